#include "common/paging.h"

#include <charconv>

namespace plinth {

namespace {
std::optional<int64_t> ParseNonNegative(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}
}  // namespace

Result<PageRequest> ParsePageRequest(std::optional<std::string_view> limit,
                                     std::optional<std::string_view> page_token,
                                     int default_limit, int max_limit) {
  PageRequest page;
  page.limit = default_limit;
  if (limit) {
    auto v = ParseNonNegative(*limit);
    if (!v || *v < 1 || *v > max_limit) {
      return InvalidArgument("limit must be an integer from 1 to " + std::to_string(max_limit));
    }
    page.limit = static_cast<int>(*v);
  }
  if (page_token && !page_token->empty()) {
    auto v = ParseNonNegative(*page_token);
    if (!v) return InvalidArgument("page_token '" + std::string(*page_token) + "' is not valid");
    page.offset = *v;
  }
  return page;
}

std::string NextPageToken(const PageRequest& page, size_t fetched) {
  if (fetched <= static_cast<size_t>(page.limit)) return "";
  return std::to_string(page.offset + page.limit);
}

}  // namespace plinth

#pragma once
// Offset paging behind the API's opaque page tokens.
//
// A page token is the decimal offset of the next item. Callers fetch limit + 1 items to learn
// whether another page exists.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace plinth {

struct PageRequest {
  int64_t offset = 0;
  int limit = 100;  // 1..1000
};

// From the ?limit= and ?page_token= query values (either may be absent). InvalidArgument names
// the bad one.
Result<PageRequest> ParsePageRequest(std::optional<std::string_view> limit,
                                     std::optional<std::string_view> page_token,
                                     int default_limit = 100, int max_limit = 1000);

// The next_page_token for a page that fetched `fetched` items (limit + 1 means there is more).
std::string NextPageToken(const PageRequest& page, size_t fetched);

}  // namespace plinth

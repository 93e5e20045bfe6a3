#include "tracking/artifact_path.h"

#include <string>

namespace plinth::tracking {

Status ValidateArtifactPath(std::string_view path) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("artifact path '" + std::string(path.substr(0, 200)) + "' " + why);
  };
  if (path.empty()) return bad("is empty");
  if (path.size() > 1024) return bad("is longer than 1024 characters");
  if (path.front() == '/') return bad("must be relative");
  if (path.find('\\') != std::string_view::npos) return bad("must not contain a backslash");
  if (path.find('\0') != std::string_view::npos) return bad("must not contain NUL");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty()) return bad("has an empty part");
    if (part == "." || part == "..") return bad("must not contain '.' or '..' parts");
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace plinth::tracking

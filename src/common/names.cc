#include "common/names.h"

#include <string>

namespace plinth {

namespace {
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
}  // namespace

Status ValidateName(std::string_view what, std::string_view name) {
  if (name.empty()) return InvalidArgument(std::string(what) + " must not be empty");
  if (name.size() > 128) {
    return InvalidArgument(std::string(what) + " has " + std::to_string(name.size()) +
                           " characters; the limit is 128");
  }
  if (!IsAlnum(name[0])) {
    return InvalidArgument(std::string(what) + " must start with a letter or digit");
  }
  for (char c : name) {
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '-') {
      return InvalidArgument(std::string(what) +
                             " may contain only letters, digits, '.', '_' and '-'");
    }
  }
  return Status::Ok();
}

}  // namespace plinth

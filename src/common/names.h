#pragma once
// The naming rule of the API conventions: 1 to 128 characters of A-Z a-z 0-9 . _ -, starting
// with a letter or digit.

#include <string_view>

#include "common/status.h"

namespace plinth {

// OK if `name` is valid; otherwise InvalidArgument naming `what` ("experiment name").
Status ValidateName(std::string_view what, std::string_view name);

}  // namespace plinth

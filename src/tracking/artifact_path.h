#pragma once
// The rule for artifact paths: relative, '/'-separated, no empty, '.' or '..' parts, no
// backslash or NUL, at most 1024 characters. Anything else is InvalidArgument.

#include <string_view>

#include "common/status.h"

namespace plinth::tracking {

Status ValidateArtifactPath(std::string_view path);

}  // namespace plinth::tracking

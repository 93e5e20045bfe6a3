#pragma once
// Reading and writing the user's local files for uploads and downloads.

#include <string>

#include "common/status.h"

namespace plinth::cli {

// The whole file. A missing or unreadable file is a usage error naming the path.
Result<std::string> ReadLocalFile(const std::string& path);

// Writes `bytes` to `path` through a temporary file beside it and a rename, so the path holds
// either its old content or all of the new one. "-" writes to stdout. Failures are
// FailedPrecondition naming the path.
Status WriteLocalFile(const std::string& path, const std::string& bytes);

}  // namespace plinth::cli

#include "cli/local_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/errors.h"

namespace plinth::cli {

Result<std::string> ReadLocalFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return UsageError("cannot read '" + path + "': it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return UsageError("cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return UsageError("cannot read '" + path + "': " + std::strerror(errno));
  return bytes.str();
}

Status WriteLocalFile(const std::string& path, const std::string& bytes) {
  if (path == "-") {
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout.flush();
    if (!std::cout) return FailedPrecondition("cannot write to stdout");
    return Status::Ok();
  }
  const std::string temp = path + ".plinth-partial-" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return FailedPrecondition("cannot write '" + path + "': " + std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      int err = errno;
      std::remove(temp.c_str());
      return FailedPrecondition("cannot write '" + path + "': " + std::strerror(err));
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(temp.c_str());
    return FailedPrecondition("cannot write '" + path + "': " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace plinth::cli

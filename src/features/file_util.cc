#include "features/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace plinth::features::internal {

std::string ErrnoText(int err) { return std::strerror(err); }

namespace {
Status IoError(const char* what, const std::string& path, int err) {
  return Internal(std::string(what) + " '" + path + "' failed: " + ErrnoText(err));
}
}  // namespace

Status WriteAll(int fd, const void* data, size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError("writing", path, errno);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

Status PreadAll(int fd, void* data, size_t n, uint64_t offset, const std::string& path) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError("reading", path, errno);
    }
    if (r == 0) return Internal("reading '" + path + "' failed: the file is shorter than expected");
    p += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return Status::Ok();
}

Status FsyncFd(int fd, const std::string& path) {
  if (::fsync(fd) != 0) return IoError("fsync of", path, errno);
  return Status::Ok();
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("opening directory", dir, errno);
  Status st = FsyncFd(fd, dir);
  ::close(fd);
  return st;
}

Status MakeDirs(const std::string& dir) {
  std::filesystem::path p(dir);
  if (std::filesystem::is_directory(p)) return Status::Ok();
  if (p.has_parent_path() && p.parent_path() != p) RETURN_IF_ERROR(MakeDirs(p.parent_path()));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return IoError("creating directory", dir, errno);
  }
  return p.has_parent_path() ? FsyncDir(p.parent_path().string()) : Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("'" + path + "' does not exist");
    return IoError("opening", path, errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("stat of", path, err);
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  Status s = PreadAll(fd, out.data(), out.size(), 0, path);
  ::close(fd);
  if (!s.ok()) return s;
  return out;
}

Status ReplaceFileAtomically(const std::string& path, std::string_view content,
                             const std::function<void()>& before_rename) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("creating", tmp, errno);
  Status s = WriteAll(fd, content.data(), content.size(), tmp);
  if (s.ok()) s = FsyncFd(fd, tmp);
  ::close(fd);
  if (!s.ok()) return s;
  if (before_rename) before_rename();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return IoError("renaming", tmp, errno);
  return FsyncDir(std::filesystem::path(path).parent_path().string());
}

}  // namespace plinth::features::internal

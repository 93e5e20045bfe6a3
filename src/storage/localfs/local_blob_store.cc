#include "storage/localfs/local_blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/sha256.h"

namespace plinth::storage {

namespace fs = std::filesystem;

namespace {

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status Errno(const std::string& what) {
  return Internal(what + ": " + std::strerror(errno));
}

Status WriteAllAndSync(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create " + path);
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status st = Errno("cannot write " + path);
      ::close(fd);
      return st;
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status st = Errno("cannot fsync " + path);
    ::close(fd);
    return st;
  }
  ::close(fd);
  return Status::Ok();
}

void SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

Result<std::unique_ptr<LocalBlobStore>> LocalBlobStore::Open(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Internal("cannot create blob directory " + root + ": " + ec.message());
  return std::unique_ptr<LocalBlobStore>(new LocalBlobStore(root));
}

std::string LocalBlobStore::PathFor(std::string_view sha256) const {
  std::string s(sha256);
  return root_ + "/" + s.substr(0, 2) + "/" + s;
}

bool LocalBlobStore::Contains(std::string_view sha256) {
  if (!IsSha256Hex(sha256)) return false;
  std::error_code ec;
  return fs::exists(PathFor(sha256), ec);
}

Result<BlobInfo> LocalBlobStore::Put(std::string_view bytes) {
  BlobInfo info{Sha256Hex(bytes), static_cast<int64_t>(bytes.size())};
  std::string final_path = PathFor(info.sha256);
  std::error_code ec;
  if (fs::exists(final_path, ec) && static_cast<int64_t>(fs::file_size(final_path, ec)) == info.size) {
    return info;
  }
  std::string dir = root_ + "/" + info.sha256.substr(0, 2);
  fs::create_directories(dir, ec);
  if (ec) return Internal("cannot create " + dir + ": " + ec.message());
  static std::atomic<uint64_t> counter{0};
  std::string tmp = dir + "/.tmp-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter.fetch_add(1));
  RETURN_IF_ERROR(WriteAllAndSync(tmp, bytes));
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    Status st = Errno("cannot rename blob into " + final_path);
    ::unlink(tmp.c_str());
    return st;
  }
  SyncDirectory(dir);
  return info;
}

Result<std::string> LocalBlobStore::Get(std::string_view sha256) {
  if (!IsSha256Hex(sha256)) return InvalidArgument("'" + std::string(sha256) + "' is not a SHA-256");
  std::string path = PathFor(sha256);
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("blob " + std::string(sha256) + " is not in the blob store");
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string bytes = std::move(buf).str();
  if (Sha256Hex(bytes) != sha256) {
    return Internal("stored content " + std::string(sha256) +
                    " failed its SHA-256 check: the file was changed or corrupted");
  }
  return bytes;
}

}  // namespace plinth::storage

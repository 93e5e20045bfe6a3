#pragma once
// POSIX file helpers for the offline store: whole writes, fsync of files and directories, and
// atomic replacement of small files. Internal to the feature store. Errors are Internal and name
// the path and errno text. Thread-safe.

#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace plinth::features::internal {

Status WriteAll(int fd, const void* data, size_t n, const std::string& path);
Status PreadAll(int fd, void* data, size_t n, uint64_t offset, const std::string& path);
Status FsyncFd(int fd, const std::string& path);
// fsyncs a directory so that entries created, renamed or removed in it are durable.
Status FsyncDir(const std::string& dir);
// Creates `dir` (and parents) if absent, making each new entry durable in its parent.
Status MakeDirs(const std::string& dir);
Result<std::string> ReadWholeFile(const std::string& path);
// Writes `content` to `path` + ".tmp", fsyncs it, renames it over `path` and fsyncs the
// directory. `before_rename` runs between the fsync and the rename (a test hook; may be empty).
Status ReplaceFileAtomically(const std::string& path, std::string_view content,
                             const std::function<void()>& before_rename = {});
std::string ErrnoText(int err);

}  // namespace plinth::features::internal

#pragma once
// The embedded BlobStore: one file per blob under ROOT/ab/abcdef... (the SHA-256 in hex).
//
// Put writes a temporary file, fsyncs it, renames it into place and fsyncs the directory, so a
// blob is either wholly present or absent after a crash.

#include <memory>
#include <string>

#include "storage/blob_store.h"

namespace plinth::storage {

class LocalBlobStore final : public BlobStore {
 public:
  // Creates `root` if needed.
  static Result<std::unique_ptr<LocalBlobStore>> Open(const std::string& root);

  Result<BlobInfo> Put(std::string_view bytes) override;
  Result<std::string> Get(std::string_view sha256) override;
  bool Contains(std::string_view sha256) override;

  // Where a blob lives (for operators and tests).
  std::string PathFor(std::string_view sha256) const;

 private:
  explicit LocalBlobStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace plinth::storage

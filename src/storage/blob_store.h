#pragma once
// BlobStore: content-addressed storage for artifacts and model files, named by SHA-256.
//
// Put is idempotent and durable when it returns. Get verifies the content against its name on
// every read: a mismatch is Internal ("failed its SHA-256 check"), and the bytes are never
// returned. Thread-safe. The embedded default keeps files under the data dir (storage/localfs).

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace plinth::storage {

struct BlobInfo {
  std::string sha256;  // lowercase hex
  int64_t size = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  virtual Result<BlobInfo> Put(std::string_view bytes) = 0;
  // NotFound if absent; Internal if present but corrupt.
  virtual Result<std::string> Get(std::string_view sha256) = 0;
  virtual bool Contains(std::string_view sha256) = 0;
};

}  // namespace plinth::storage

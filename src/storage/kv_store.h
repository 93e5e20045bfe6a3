#pragma once
// KvStore: a persistent ordered map from byte-string keys to byte-string values, the storage of
// the feature store's online store (latest feature values per entity).
//
// Keys and values are arbitrary bytes (NUL included); keys are ordered by memcmp, shorter first
// on a common prefix. The embedded default is RocksDB (storage/rocksdb); a server store (Redis)
// can implement the same interface.
//
// Contract (tests/storage/kv_store_conformance.h checks it against every backend):
//   - A WriteBatch is applied atomically: after a crash a reader sees all of it or none of it;
//     concurrent readers never see part of it. Within a batch, operations apply in order (a
//     later Put or Delete of the same key wins).
//   - Write with sync = false survives a crash of the process (kill -9) but may lose the latest
//     writes on power loss; sync = true makes this batch and every batch written before it
//     durable before it returns.
//   - Reads see every Write that returned before they began (read-your-writes in one process).
//   - Thread-safe: any number of readers and writers at once; no global lock on the read path.
// Errors: NotFound from Get for an absent key; Internal for I/O errors and corruption.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plinth::storage {

// An ordered list of puts and deletes, applied atomically by KvStore::Write. Owns copies of the
// bytes. Not thread-safe; reusable after Clear().
class WriteBatch {
 public:
  struct Op {
    bool is_delete = false;
    std::string key;
    std::string value;  // empty for a delete
  };

  void Put(std::string_view key, std::string_view value) {
    ops_.push_back({false, std::string(key), std::string(value)});
    bytes_ += key.size() + value.size();
  }
  void Delete(std::string_view key) {
    ops_.push_back({true, std::string(key), {}});
    bytes_ += key.size();
  }
  void Clear() {
    ops_.clear();
    bytes_ = 0;
  }

  const std::vector<Op>& ops() const { return ops_; }
  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  size_t bytes() const { return bytes_; }  // of keys and values

 private:
  std::vector<Op> ops_;
  size_t bytes_ = 0;
};

struct KvWriteOptions {
  bool sync = false;  // see the contract above
};

class KvStore {
 public:
  virtual ~KvStore() = default;

  // The value of `key` into `*value` (replacing its contents, reusing its capacity). NotFound
  // when absent.
  virtual Status Get(std::string_view key, std::string* value) = 0;

  // Looks up keys[i] for every i, from one consistent snapshot. values->size() and
  // found->size() become keys.size(); (*values)[i] is meaningful when (*found)[i]. The
  // strings of `values` are reused (their capacity kept) across calls, so a caller that keeps
  // its vectors allocates nothing on the steady path. An absent key is not an error.
  virtual Status MultiGet(std::span<const std::string_view> keys, std::vector<std::string>* values,
                          std::vector<uint8_t>* found) = 0;

  // Applies `batch` atomically (see the contract). An empty batch is OK and does nothing.
  virtual Status Write(const WriteBatch& batch, const KvWriteOptions& options = {}) = 0;

  // One-operation batches.
  Status Put(std::string_view key, std::string_view value, const KvWriteOptions& options = {}) {
    WriteBatch batch;
    batch.Put(key, value);
    return Write(batch, options);
  }
  Status Delete(std::string_view key, const KvWriteOptions& options = {}) {
    WriteBatch batch;
    batch.Delete(key);
    return Write(batch, options);
  }

  // Makes every Write that returned before the call durable (as a sync = true write would).
  virtual Status Sync() = 0;

  // Calls fn(key, value) for every key that starts with `prefix`, in key order, from one
  // consistent snapshot, until fn returns false. The views are valid only during the call.
  // An empty prefix scans everything.
  virtual Status ScanPrefix(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) = 0;
};

}  // namespace plinth::storage

#pragma once
// The embedded KvStore: RocksDB (Debian's librocksdb 7.8) in one directory.
//
// Tuned for the online store's pattern, point lookups of small values: a bloom filter per SST
// (10 bits a key) and an LRU block cache so that a hot key set is served from memory; the WAL is
// on, so an unsynced write survives kill -9 (kv_store.h's contract). RocksDB's exceptions never
// escape (it reports through rocksdb::Status, converted to Internal here).
//
// Thread-safe: RocksDB's DB is.

#include <memory>
#include <string>

#include "storage/kv_store.h"

namespace rocksdb {
class DB;
}

namespace plinth::storage {

struct RocksDbOptions {
  std::string dir;                            // created if absent
  size_t block_cache_bytes = 64ull << 20;     // shared LRU block cache
  size_t write_buffer_bytes = 32ull << 20;    // memtable size
};

class RocksDbKvStore final : public KvStore {
 public:
  // Internal if the directory cannot be opened (for example another process holds its lock).
  static Result<std::unique_ptr<RocksDbKvStore>> Open(const RocksDbOptions& options);
  ~RocksDbKvStore() override;

  Status Get(std::string_view key, std::string* value) override;
  Status MultiGet(std::span<const std::string_view> keys, std::vector<std::string>* values,
                  std::vector<uint8_t>* found) override;
  Status Write(const WriteBatch& batch, const KvWriteOptions& options) override;
  Status Sync() override;
  Status ScanPrefix(std::string_view prefix,
                    const std::function<bool(std::string_view, std::string_view)>& fn) override;

 private:
  explicit RocksDbKvStore(std::unique_ptr<rocksdb::DB> db);
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace plinth::storage

#include "storage/rocksdb/rocksdb_kv_store.h"

#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

namespace plinth::storage {

namespace {

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

Status FromRocks(const rocksdb::Status& st, std::string_view what) {
  if (st.ok()) return Status::Ok();
  if (st.IsNotFound()) return NotFound(std::string(what) + ": not found");
  return Internal("rocksdb " + std::string(what) + ": " + st.ToString());
}

}  // namespace

RocksDbKvStore::RocksDbKvStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
RocksDbKvStore::~RocksDbKvStore() = default;

Result<std::unique_ptr<RocksDbKvStore>> RocksDbKvStore::Open(const RocksDbOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Internal("cannot create " + options.dir + ": " + ec.message());
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.write_buffer_size = options.write_buffer_bytes;
  opts.max_background_jobs = 2;
  opts.keep_log_file_num = 3;
  opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st = rocksdb::DB::Open(opts, options.dir, &raw);
  if (!st.ok()) return Internal("cannot open the online store at " + options.dir + ": " + st.ToString());
  return std::unique_ptr<RocksDbKvStore>(new RocksDbKvStore(std::unique_ptr<rocksdb::DB>(raw)));
}

Status RocksDbKvStore::Get(std::string_view key, std::string* value) {
  rocksdb::PinnableSlice pinned;
  rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), ToSlice(key),
                                &pinned);
  if (st.IsNotFound()) return NotFound("key not found");
  RETURN_IF_ERROR(FromRocks(st, "get"));
  value->assign(pinned.data(), pinned.size());
  return Status::Ok();
}

Status RocksDbKvStore::MultiGet(std::span<const std::string_view> keys,
                                std::vector<std::string>* values, std::vector<uint8_t>* found) {
  size_t n = keys.size();
  values->resize(n);
  found->assign(n, 0);
  if (n == 0) return Status::Ok();
  if (n == 1) {
    // One key (the common serving request): a plain Get skips MultiGet's batch setup.
    rocksdb::PinnableSlice pinned;
    rocksdb::Status st =
        db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), ToSlice(keys[0]), &pinned);
    if (st.IsNotFound()) return Status::Ok();
    RETURN_IF_ERROR(FromRocks(st, "multiget"));
    (*values)[0].assign(pinned.data(), pinned.size());
    (*found)[0] = 1;
    return Status::Ok();
  }
  // Small requests (the serving path) stay on the stack.
  constexpr size_t kInline = 16;
  rocksdb::Slice slices_inline[kInline];
  rocksdb::PinnableSlice pinned_inline[kInline];
  rocksdb::Status statuses_inline[kInline];
  std::vector<rocksdb::Slice> slices_heap;
  std::vector<rocksdb::PinnableSlice> pinned_heap;
  std::vector<rocksdb::Status> statuses_heap;
  rocksdb::Slice* slices = slices_inline;
  rocksdb::PinnableSlice* pinned = pinned_inline;
  rocksdb::Status* statuses = statuses_inline;
  if (n > kInline) {
    slices_heap.resize(n);
    pinned_heap.resize(n);
    statuses_heap.resize(n);
    slices = slices_heap.data();
    pinned = pinned_heap.data();
    statuses = statuses_heap.data();
  }
  for (size_t i = 0; i < n; ++i) slices[i] = ToSlice(keys[i]);
  db_->MultiGet(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), n, slices, pinned, statuses);
  Status result;
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].ok()) {
      (*values)[i].assign(pinned[i].data(), pinned[i].size());
      (*found)[i] = 1;
    } else if (!statuses[i].IsNotFound() && result.ok()) {
      result = FromRocks(statuses[i], "multiget");
    }
    pinned[i].Reset();
  }
  return result;
}

Status RocksDbKvStore::Write(const WriteBatch& batch, const KvWriteOptions& options) {
  if (batch.empty()) return Status::Ok();
  rocksdb::WriteBatch rb(batch.bytes() + batch.size() * 16);
  for (const WriteBatch::Op& op : batch.ops()) {
    rocksdb::Status st = op.is_delete ? rb.Delete(ToSlice(op.key))
                                      : rb.Put(ToSlice(op.key), ToSlice(op.value));
    RETURN_IF_ERROR(FromRocks(st, "batch"));
  }
  rocksdb::WriteOptions wo;
  wo.sync = options.sync;
  return FromRocks(db_->Write(wo, &rb), "write");
}

Status RocksDbKvStore::Sync() { return FromRocks(db_->SyncWAL(), "sync"); }

Status RocksDbKvStore::ScanPrefix(
    std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& fn) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    std::string_view key(k.data(), k.size());
    if (key.substr(0, prefix.size()) != prefix) break;
    rocksdb::Slice v = it->value();
    if (!fn(key, std::string_view(v.data(), v.size()))) break;
  }
  return FromRocks(it->status(), "scan");
}

}  // namespace plinth::storage

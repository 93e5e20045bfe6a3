#include "features/offline_store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <condition_variable>
#include <map>
#include <mutex>
#include <queue>

#include "common/json_util.h"
#include "features/big_vector.h"
#include "features/entity_key.h"
#include "features/file_util.h"
#include "features/parallel.h"
#include "features/row_sort.h"

namespace plinth::features {

namespace fs = std::filesystem;
using internal::ParallelFor;

namespace {

constexpr int kManifestFormat = 1;
constexpr size_t kRecentIngests = 32;
constexpr char kManifest[] = "MANIFEST";

std::string SegmentFileName(uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "seg-%08llu.pseg", static_cast<unsigned long long>(number));
  return buf;
}

// The number in "seg-N.pseg" or "seg-N.pseg.tmp", or 0.
uint64_t SegmentFileNumber(const std::string& name) {
  unsigned long long n = 0;
  int used = 0;
  if (std::sscanf(name.c_str(), "seg-%llu.pseg%n", &n, &used) == 1 && used > 0) return n;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Building a segment

// Rows are visited in sorted order, that is at random: prefetches, for position `i` of `order`
// (below `end`), the key of the row 16 positions ahead (for keys of varying widths, the key
// offsets 32 ahead first, then the key bytes 16 ahead).
inline void PrefetchKey(const RowKeys& keys, const BigVector<uint32_t>& order, size_t i,
                        size_t end) {
  if (keys.key_width != 0) {  // fixed-width keys: no offsets to fetch first
    if (i + 16 < end) {
      __builtin_prefetch(keys.key_bytes.data() + size_t{order[i + 16]} * keys.key_width);
    }
    return;
  }
  if (i + 32 < end) __builtin_prefetch(keys.key_offsets.data() + order[i + 32]);
  if (i + 16 < end) __builtin_prefetch(keys.key_bytes.data() + keys.key_offsets[order[i + 16]]);
}

// A batch's rows in (key, time) order with one row per (key, time), and their times in that order.
struct SortedRows {
  BigVector<uint32_t> order;
  BigVector<int64_t> times;  // times[i]: the event time of row order[i]

  size_t size() const { return order.size(); }
};

// The batch's rows sorted, keeping of each (key, time) the last in input order. The rows left out
// go to `dropped`.
SortedRows SortedUniqueRows(const RowKeys& keys, int threads, std::vector<uint32_t>* dropped) {
  const size_t n = keys.rows;
  SortedRows sorted;
  BigVector<uint32_t>& order = sorted.order;
  BigVector<int64_t>& times = sorted.times;
  order.resize(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  internal::SortRows(&order, {keys.key_bytes.data(), keys.key_offsets.data(), keys.key_width},
                     keys.event_ms.data(), threads, &times);
  // Position i is dropped when position i + 1 has the same key and time (a later row of the
  // batch). Threads mark their slices of positions. Keys are looked up only for equal times.
  const int t = internal::ThreadsFor(n, threads, 200000);
  BigVector<uint8_t> keep(n);
  std::vector<size_t> kept(t + 1, 0);  // kept[k + 1]: rows slice k keeps
  ParallelFor(t, [&](int k) {
    size_t count = 0;
    for (size_t i = n * k / t, end = n * (k + 1) / t; i < end; ++i) {
      const bool last = i + 1 == n || times[i] != times[i + 1] ||
                        !KeysEqual(keys.Key(order[i]), keys.Key(order[i + 1]));
      keep[i] = last;
      count += last;
    }
    kept[k + 1] = count;
  });
  size_t total = 0;
  for (int k = 0; k < t; ++k) total += kept[k + 1];
  if (total == n) return sorted;
  // Duplicates are few: compact in place, in one pass (no second array to allocate).
  size_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    if (keep[i]) {
      order[at] = order[i];
      times[at] = times[i];
      ++at;
    } else {
      dropped->push_back(order[i]);
    }
  }
  order.resize(at);
  times.resize(at);
  return sorted;
}

// The keys and times of sorted rows [begin, end) into blk (sized for them).
void GatherKeysAndTimes(const RowKeys& keys, const SortedRows& sorted, size_t begin, size_t end,
                        Block* blk) {
  const size_t n = end - begin;
  const BigVector<uint32_t>& order = sorted.order;
  std::memcpy(blk->ts.data(), sorted.times.data() + begin, n * sizeof(int64_t));
  if (keys.key_width != 0) {  // fixed-width keys: a fixed-size copy per row, no offsets to read
    const size_t w = keys.key_width;
    blk->key_bytes.resize(n * w);
    for (size_t i = 0; i < n; ++i) {
      PrefetchKey(keys, order, begin + i, end);
      blk->key_offsets[i + 1] = static_cast<uint32_t>((i + 1) * w);
      std::memcpy(blk->key_bytes.data() + i * w,
                  keys.key_bytes.data() + size_t{order[begin + i]} * w, w);
    }
    return;
  }
  size_t key_total = 0;
  for (size_t i = 0; i < n; ++i) {
    PrefetchKey(keys, order, begin + i, end);
    const uint32_t row = order[begin + i];
    key_total += keys.key_offsets[row + 1] - keys.key_offsets[row];
    blk->key_offsets[i + 1] = static_cast<uint32_t>(key_total);
  }
  blk->key_bytes.resize(key_total);
  for (size_t i = 0; i < n; ++i) {
    std::string_view key = keys.Key(order[begin + i]);
    std::memcpy(blk->key_bytes.data() + blk->key_offsets[i], key.data(), key.size());
  }
}

// Sorted rows [begin, end) of `rows` into blk. False when the source finds a cell that fails.
bool GatherBlock(SegmentRows& rows, const SortedRows& sorted, size_t begin, size_t end,
                 int worker, Block* blk) {
  const size_t n = end - begin;
  const size_t nf = rows.features().size();
  blk->Reset(nf);
  blk->rows = n;
  blk->key_offsets.resize(n + 1);
  blk->ts.resize(n);
  GatherKeysAndTimes(rows.keys(), sorted, begin, end, blk);
  for (BlockColumn& column : blk->columns) {
    column.values.resize(n);
    column.valid_bits.assign((n + 7) / 8, 0);
  }
  return rows.GatherCells(sorted.order.data() + begin, n, worker, blk);
}

// A parsed batch as segment rows.
class ParsedRows final : public SegmentRows {
 public:
  explicit ParsedRows(const FeatureBatch& batch) : batch_(batch) {}

  const RowKeys& keys() const override { return batch_; }
  const std::vector<JoinKey>& join_keys() const override { return batch_.join_keys; }
  const std::vector<Feature>& features() const override { return batch_.features; }

  bool GatherCells(const uint32_t* rows, size_t n, int, Block* blk) override {
    const size_t nf = batch_.features.size();
    std::vector<uint64_t*> values(nf);
    std::vector<uint8_t*> bits(nf);
    for (size_t f = 0; f < nf; ++f) {
      values[f] = blk->columns[f].values.data();
      bits[f] = blk->columns[f].valid_bits.data();
    }
    // Row by row: a batch row's cells are adjacent, so each row costs one or two cache misses.
    constexpr size_t kAhead = 16;
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) {
        const size_t ahead = static_cast<size_t>(rows[i + kAhead]) * nf;
        __builtin_prefetch(batch_.values.data() + ahead);
        __builtin_prefetch(batch_.values.data() + ahead + nf - 1);
        __builtin_prefetch(batch_.valid.data() + ahead);
      }
      const size_t cell = static_cast<size_t>(rows[i]) * nf;
      const uint64_t* src = batch_.values.data() + cell;
      const uint8_t* valid = batch_.valid.data() + cell;
      for (size_t f = 0; f < nf; ++f) {
        values[f][i] = src[f];
        bits[f][i >> 3] |= static_cast<uint8_t>(valid[f] << (i & 7));
      }
    }
    for (size_t f = 0; f < nf; ++f) {
      if (batch_.features[f].type != ValueType::kString) continue;
      BlockColumn& dst = blk->columns[f];
      for (size_t i = 0; i < n; ++i) {
        std::string_view s =
            batch_.Valid(rows[i], f) ? batch_.String(rows[i], f) : std::string_view();
        dst.values[i] = (static_cast<uint64_t>(dst.strings.size()) << 24) | s.size();
        dst.strings.append(s);
      }
    }
    return true;
  }

 private:
  const FeatureBatch& batch_;
};

SegmentSchema SchemaOf(const SegmentRows& rows) {
  SegmentSchema schema;
  schema.join_keys = rows.join_keys();
  for (const Feature& f : rows.features()) schema.columns.push_back({f.name, f.type});
  return schema;
}

Status CellsFailed() {
  return InvalidArgument("the batch was rejected and nothing was written: a value fails validation");
}

// Writes the rows to `path` (fsynced); fills rows, bytes, min_ts, max_ts.
Result<SegmentEntry> BuildSegment(const std::string& path, SegmentRows& rows, int threads,
                                  size_t block_rows) {
  SegmentSchema schema = SchemaOf(rows);
  std::vector<uint32_t> dropped;
  const SortedRows sorted = SortedUniqueRows(rows.keys(), threads, &dropped);
  const size_t n = sorted.size();
  const size_t nblocks = (n + block_rows - 1) / block_rows;
  const int t = std::max(1, std::min<int>(threads, static_cast<int>(nblocks)));
  rows.PrepareWorkers(t);
  if (!rows.SkipRows(dropped.data(), dropped.size(), 0)) return CellsFailed();
  ASSIGN_OR_RETURN(auto writer, SegmentWriter::Create(path, schema));
  // Each thread takes the lowest block no thread has taken (so a thread the machine runs slower
  // holds the others up less than a fixed share would), builds and encodes it; blocks are
  // appended strictly in order. An encoded block that is not next waits in `encoded`, and its
  // thread goes on building; whoever queues the next block appends it and every queued block
  // after it, outside the lock. At most 2t blocks wait, except that a thread whose block is the
  // next to append is never held back (so the wait cannot deadlock).
  SegmentEntry entry;  // min_ts and max_ts: written by the appending thread only
  std::mutex mu;
  std::condition_variable progress;
  size_t next = 0;                            // GUARDED_BY(mu): the block to append next
  std::map<size_t, EncodedBlock> encoded;     // GUARDED_BY(mu): blocks after `next`, waiting
  bool appending = false;                     // GUARDED_BY(mu)
  Status failed;                              // GUARDED_BY(mu)
  std::vector<Block> blocks(t);               // per thread, reused from block to block
  internal::ParallelForEach(t, nblocks, [&](size_t b, int k) {
    {
      std::unique_lock<std::mutex> lock(mu);
      progress.wait(lock, [&] {
        return !failed.ok() || b == next || encoded.size() < 2 * static_cast<size_t>(t);
      });
      if (!failed.ok()) return;
    }
    const size_t begin = b * block_rows;
    const bool gathered = GatherBlock(rows, sorted, begin, std::min(n, begin + block_rows), k,
                                      &blocks[k]);
    EncodedBlock built;
    if (gathered) built = EncodeBlock(schema, blocks[k]);

    std::unique_lock<std::mutex> lock(mu);
    if (!gathered && failed.ok()) failed = CellsFailed();
    if (!failed.ok()) {
      progress.notify_all();
      return;
    }
    encoded.emplace(b, std::move(built));
    while (!appending && failed.ok() && !encoded.empty() && encoded.begin()->first == next) {
      const bool first = next == 0;
      EncodedBlock e = std::move(encoded.begin()->second);
      encoded.erase(encoded.begin());
      appending = true;
      lock.unlock();
      const BlockMeta& m = e.meta;
      entry.min_ts = first ? m.min_ts : std::min(entry.min_ts, m.min_ts);
      entry.max_ts = first ? m.max_ts : std::max(entry.max_ts, m.max_ts);
      Status st = writer->Append(std::move(e));
      lock.lock();
      appending = false;
      if (!st.ok()) failed = st;
      ++next;
      progress.notify_all();
    }
  });
  RETURN_IF_ERROR(failed);
  RETURN_IF_ERROR(writer->Finish());
  entry.rows = writer->rows();
  entry.bytes = writer->bytes();
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Manifest

Json RecordJson(const IngestRecord& r) {
  Json stats = Json::parse(r.stats_json, nullptr, false);
  return {{"id", r.id},
          {"view", r.view},
          {"view_version", r.view_version},
          {"actor", r.actor},
          {"created_ms", r.created_ms},
          {"rows", r.rows},
          {"stats", stats.is_discarded() ? Json(nullptr) : stats}};
}

IngestRecord RecordFromJson(const Json& j) {
  IngestRecord r;
  r.id = j.at("id").get<std::string>();
  r.view = j.at("view").get<std::string>();
  r.view_version = j.at("view_version").get<int>();
  r.actor = j.at("actor").get<std::string>();
  r.created_ms = j.at("created_ms").get<int64_t>();
  r.rows = j.at("rows").get<int64_t>();
  r.stats_json = j.at("stats").is_null() ? "{}" : j.at("stats").dump();
  return r;
}

std::string ManifestText(const std::string& view, const std::vector<SegmentEntry>& entries,
                         const std::vector<IngestRecord>& recent, uint64_t next_seq,
                         uint64_t next_file) {
  Json segs = Json::array();
  for (const SegmentEntry& e : entries) {
    segs.push_back({{"file", e.file},
                    {"seq", e.seq},
                    {"rows", e.rows},
                    {"bytes", e.bytes},
                    {"min_ts", e.min_ts},
                    {"max_ts", e.max_ts}});
  }
  Json ingests = Json::array();
  for (const IngestRecord& r : recent) ingests.push_back(RecordJson(r));
  return Json{{"format", kManifestFormat},  {"view", view},
              {"next_seq", next_seq},       {"next_file", next_file},
              {"segments", std::move(segs)}, {"recent_ingests", std::move(ingests)}}
      .dump(1);
}

int Tier(uint64_t rows) {
  int tier = 0;
  while (rows >= 4) {
    rows /= 4;
    ++tier;
  }
  return tier;
}

}  // namespace

uint64_t ViewSnapshot::rows() const {
  uint64_t n = 0;
  for (const SegmentEntry& e : entries) n += e.rows;
  return n;
}

uint64_t ViewSnapshot::bytes() const {
  uint64_t n = 0;
  for (const SegmentEntry& e : entries) n += e.bytes;
  return n;
}

struct OfflineStore::ViewState {
  std::mutex commit_mu;  // serializes commits and compactions of this view
  // The rest is guarded by OfflineStore::mu_.
  std::string name;
  std::shared_ptr<const ViewSnapshot> snapshot;
  std::vector<IngestRecord> recent;
  uint64_t next_seq = 1;
  uint64_t next_file = 1;
  bool dir_ready = false;
};

Result<std::unique_ptr<OfflineStore>> OfflineStore::Open(const OfflineStoreOptions& options) {
  if (options.dir.empty()) return InvalidArgument("the offline store needs a directory");
  if (options.block_rows == 0 || options.block_rows > (1u << 20)) {
    return InvalidArgument("block_rows must be between 1 and 1048576");
  }
  std::unique_ptr<OfflineStore> store(new OfflineStore(options));
  std::string views = options.dir + "/views";
  RETURN_IF_ERROR(internal::MakeDirs(views));
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(views, ec)) {
    if (entry.is_directory()) RETURN_IF_ERROR(store->LoadView(entry.path().filename().string()));
  }
  if (ec) return Internal("listing '" + views + "' failed: " + ec.message());
  return store;
}

OfflineStore::OfflineStore(OfflineStoreOptions options) : options_(std::move(options)) {}

OfflineStore::~OfflineStore() = default;

std::string OfflineStore::ViewDir(const std::string& view) const {
  return options_.dir + "/views/" + view;
}

void OfflineStore::CrashPoint(std::string_view point) const {
  if (options_.crash_point) options_.crash_point(point);
}

Status OfflineStore::LoadView(const std::string& view) {
  auto state = std::make_unique<ViewState>();
  state->name = view;
  state->dir_ready = true;
  std::string dir = ViewDir(view);
  auto snap = std::make_shared<ViewSnapshot>();
  snap->view = view;
  auto text = internal::ReadWholeFile(dir + "/" + kManifest);
  if (text.ok()) {
    Json m = Json::parse(*text, nullptr, false);
    if (m.is_discarded() || !m.is_object()) {
      return Internal("the MANIFEST of feature view '" + view + "' is corrupt");
    }
    try {
      if (m.at("format").get<int>() != kManifestFormat) {
        return Internal("the MANIFEST of feature view '" + view + "' has an unknown format");
      }
      state->next_seq = m.at("next_seq").get<uint64_t>();
      state->next_file = m.at("next_file").get<uint64_t>();
      for (const Json& s : m.at("segments")) {
        SegmentEntry e{s.at("file").get<std::string>(), s.at("seq").get<uint64_t>(),
                       s.at("rows").get<uint64_t>(),    s.at("bytes").get<uint64_t>(),
                       s.at("min_ts").get<int64_t>(),   s.at("max_ts").get<int64_t>()};
        snap->entries.push_back(std::move(e));
      }
      for (const Json& r : m.at("recent_ingests")) state->recent.push_back(RecordFromJson(r));
    } catch (const Json::exception& e) {
      return Internal("the MANIFEST of feature view '" + view + "' is corrupt: " + e.what());
    }
  } else if (text.status().code() != StatusCode::kNotFound) {
    return text.status();
  }
  for (const SegmentEntry& e : snap->entries) {
    ASSIGN_OR_RETURN(auto reader, SegmentReader::Open(dir + "/" + e.file));
    snap->segments.push_back(std::move(reader));
  }
  // Whatever the MANIFEST does not name is left from an interrupted ingest or compaction.
  std::error_code ec;
  bool removed = false;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name == kManifest) continue;
    uint64_t number = SegmentFileNumber(name);
    state->next_file = std::max(state->next_file, number + 1);
    bool live = std::any_of(snap->entries.begin(), snap->entries.end(),
                            [&](const SegmentEntry& e) { return e.file == name; });
    if (!live) {
      fs::remove(entry.path(), ec);
      removed = true;
    }
  }
  if (removed) RETURN_IF_ERROR(internal::FsyncDir(dir));
  state->snapshot = std::move(snap);
  std::lock_guard<std::mutex> lock(mu_);
  views_[view] = std::move(state);
  return Status::Ok();
}

OfflineStore::ViewState& OfflineStore::StateFor(const std::string& view) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = views_[view];
  if (!slot) {
    slot = std::make_unique<ViewState>();
    slot->name = view;
    auto snap = std::make_shared<ViewSnapshot>();
    snap->view = view;
    slot->snapshot = std::move(snap);
  }
  return *slot;
}

std::shared_ptr<const ViewSnapshot> OfflineStore::Snapshot(const std::string& view) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = views_.find(view);
  if (it == views_.end()) {
    auto empty = std::make_shared<ViewSnapshot>();
    empty->view = view;
    return empty;
  }
  return it->second->snapshot;
}

std::vector<IngestRecord> OfflineStore::RecentIngests(const std::string& view) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = views_.find(view);
  return it == views_.end() ? std::vector<IngestRecord>() : it->second->recent;
}

std::vector<std::string> OfflineStore::Views() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, state] : views_) out.push_back(name);
  return out;
}

Status OfflineStore::Commit(ViewState& state, std::vector<SegmentEntry> entries,
                            std::vector<std::shared_ptr<const SegmentReader>> readers,
                            std::vector<IngestRecord> recent, uint64_t next_seq) {
  uint64_t next_file;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next_file = state.next_file;
  }
  std::string text = ManifestText(state.name, entries, recent, next_seq, next_file);
  RETURN_IF_ERROR(internal::ReplaceFileAtomically(
      ViewDir(state.name) + "/" + kManifest, text, [this] { CrashPoint("manifest_synced"); }));
  CrashPoint("manifest_renamed");
  auto snap = std::make_shared<ViewSnapshot>();
  snap->view = state.name;
  snap->entries = std::move(entries);
  snap->segments = std::move(readers);
  std::lock_guard<std::mutex> lock(mu_);
  state.snapshot = std::move(snap);
  state.recent = std::move(recent);
  state.next_seq = next_seq;
  return Status::Ok();
}

Status OfflineStore::Write(const std::string& view, const FeatureBatch& batch,
                           const IngestRecord& record) {
  ParsedRows rows(batch);
  return Write(view, rows, [&record] { return record; });
}

Status OfflineStore::Write(const std::string& view, SegmentRows& rows,
                           const std::function<IngestRecord()>& record_of) {
  if (rows.keys().rows == 0) return InvalidArgument("the batch has no rows");
  ViewState& state = StateFor(view);
  const std::string dir = ViewDir(view);
  uint64_t number;
  {
    std::lock_guard<std::mutex> commit(state.commit_mu);
    bool ready;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready = state.dir_ready;
    }
    if (!ready) {
      RETURN_IF_ERROR(internal::MakeDirs(dir));
      std::lock_guard<std::mutex> lock(mu_);
      state.dir_ready = true;
    }
    std::lock_guard<std::mutex> lock(mu_);
    number = state.next_file++;
  }
  const std::string name = SegmentFileName(number);
  const std::string path = dir + "/" + name;
  const std::string tmp = path + ".tmp";
  auto built = BuildSegment(tmp, rows, options_.threads, options_.block_rows);
  if (!built.ok()) {
    ::unlink(tmp.c_str());
    return built.status();
  }
  CrashPoint("segment_synced");
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Internal("renaming '" + tmp + "' failed: " + internal::ErrnoText(err));
  }
  Status synced = internal::FsyncDir(dir);
  auto reader = synced.ok() ? SegmentReader::Open(path) : Result<std::unique_ptr<SegmentReader>>(synced);
  if (!reader.ok()) {
    ::unlink(path.c_str());
    return reader.status();
  }
  CrashPoint("segment_renamed");
  SegmentEntry entry = *built;
  entry.file = name;

  std::lock_guard<std::mutex> commit(state.commit_mu);
  std::shared_ptr<const ViewSnapshot> snap;
  std::vector<IngestRecord> recent;
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snap = state.snapshot;
    recent = state.recent;
    seq = state.next_seq;
  }
  entry.seq = seq;
  std::vector<SegmentEntry> entries = snap->entries;
  entries.push_back(entry);
  std::vector<std::shared_ptr<const SegmentReader>> readers = snap->segments;
  readers.push_back(std::shared_ptr<const SegmentReader>(std::move(reader).value()));
  recent.push_back(record_of());
  if (recent.size() > kRecentIngests) recent.erase(recent.begin());
  Status st = Commit(state, std::move(entries), std::move(readers), std::move(recent), seq + 1);
  if (!st.ok()) ::unlink(path.c_str());
  return st;
}

// ---------------------------------------------------------------------------------------------
// Compaction

namespace {

struct MergeCursor {
  const SegmentReader* reader = nullptr;
  uint64_t seq = 0;
  size_t block = 0;
  size_t row = 0;
  Block data;
};

}  // namespace

Result<std::pair<SegmentEntry, std::shared_ptr<const SegmentReader>>> OfflineStore::MergeRun(
    ViewState& state, const ViewSnapshot& snap, size_t begin, size_t end) {
  const SegmentSchema& schema = snap.segments[begin]->schema();
  std::vector<ValueType> types;
  for (const SegmentColumn& c : schema.columns) types.push_back(c.type);
  const std::vector<bool> want(schema.columns.size(), true);
  uint64_t number;
  {
    std::lock_guard<std::mutex> lock(mu_);
    number = state.next_file++;
  }
  const std::string dir = ViewDir(state.name);
  const std::string name = SegmentFileName(number);
  const std::string path = dir + "/" + name;
  const std::string tmp = path + ".tmp";

  auto run = [&]() -> Result<SegmentEntry> {
    ASSIGN_OR_RETURN(auto writer, SegmentWriter::Create(tmp, schema));
    std::vector<MergeCursor> cursors(end - begin);
    for (size_t i = begin; i < end; ++i) {
      MergeCursor& c = cursors[i - begin];
      c.reader = snap.segments[i].get();
      c.seq = snap.entries[i].seq;
      if (!c.reader->blocks().empty()) {
        RETURN_IF_ERROR(c.reader->ReadBlock(0, want, &c.data));
      }
    }
    // Order: key, then time, then the newest segment first, so that the first row of each
    // (key, time) group is the one that wins.
    auto after = [&cursors](size_t a, size_t b) {
      const MergeCursor& x = cursors[a];
      const MergeCursor& y = cursors[b];
      int c = CompareKeys(x.data.Key(x.row), y.data.Key(y.row));
      if (c != 0) return c > 0;
      if (x.data.ts[x.row] != y.data.ts[y.row]) return x.data.ts[x.row] > y.data.ts[y.row];
      return x.seq < y.seq;
    };
    std::priority_queue<size_t, std::vector<size_t>, decltype(after)> heap(after);
    for (size_t i = 0; i < cursors.size(); ++i) {
      if (cursors[i].data.rows > 0) heap.push(i);
    }
    Block out;
    out.Reset(schema.columns.size());
    std::string last_key;
    int64_t last_ts = 0;
    bool have_last = false;
    SegmentEntry entry;
    bool first = true;
    auto flush = [&]() -> Status {
      if (out.rows == 0) return Status::Ok();
      EncodedBlock eb = EncodeBlock(schema, out);
      entry.min_ts = first ? eb.meta.min_ts : std::min(entry.min_ts, eb.meta.min_ts);
      entry.max_ts = first ? eb.meta.max_ts : std::max(entry.max_ts, eb.meta.max_ts);
      first = false;
      RETURN_IF_ERROR(writer->Append(std::move(eb)));
      out.Reset(schema.columns.size());
      return Status::Ok();
    };
    while (!heap.empty()) {
      size_t i = heap.top();
      heap.pop();
      MergeCursor& c = cursors[i];
      std::string_view key = c.data.Key(c.row);
      int64_t ts = c.data.ts[c.row];
      if (!(have_last && ts == last_ts && key == last_key)) {
        out.AppendRow(c.data, c.row, types);
        last_key.assign(key);
        last_ts = ts;
        have_last = true;
        if (out.rows >= options_.block_rows) RETURN_IF_ERROR(flush());
      }
      if (++c.row >= c.data.rows) {
        c.row = 0;
        if (++c.block >= c.reader->blocks().size()) continue;
        RETURN_IF_ERROR(c.reader->ReadBlock(c.block, want, &c.data));
      }
      heap.push(i);
    }
    RETURN_IF_ERROR(flush());
    RETURN_IF_ERROR(writer->Finish());
    entry.rows = writer->rows();
    entry.bytes = writer->bytes();
    return entry;
  };
  auto entry = run();
  if (!entry.ok()) {
    ::unlink(tmp.c_str());
    return entry.status();
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Internal("renaming '" + tmp + "' failed: " + internal::ErrnoText(err));
  }
  RETURN_IF_ERROR(internal::FsyncDir(dir));
  ASSIGN_OR_RETURN(auto reader, SegmentReader::Open(path));
  entry->file = name;
  entry->seq = snap.entries[end - 1].seq;
  return std::make_pair(*entry, std::shared_ptr<const SegmentReader>(std::move(reader)));
}

Status OfflineStore::CompactRuns(ViewState& state, bool all) {
  for (int round = 0; round < 16; ++round) {
    std::shared_ptr<const ViewSnapshot> snap;
    std::vector<IngestRecord> recent;
    uint64_t next_seq;
    {
      std::lock_guard<std::mutex> lock(mu_);
      snap = state.snapshot;
      recent = state.recent;
      next_seq = state.next_seq;
    }
    const size_t n = snap->entries.size();
    // Runs [begin, end) to merge.
    std::vector<std::pair<size_t, size_t>> runs;
    size_t i = 0;
    while (i < n) {
      size_t j = i + 1;
      while (j < n && snap->segments[j]->schema() == snap->segments[i]->schema() &&
             (all || Tier(snap->entries[j].rows) == Tier(snap->entries[i].rows))) {
        ++j;
      }
      if (j - i >= (all ? 2u : 4u)) runs.push_back({i, j});
      i = j;
    }
    if (runs.empty()) return Status::Ok();
    std::vector<SegmentEntry> entries;
    std::vector<std::shared_ptr<const SegmentReader>> readers;
    std::vector<std::string> obsolete;
    size_t next_run = 0;
    for (size_t k = 0; k < n;) {
      if (next_run < runs.size() && runs[next_run].first == k) {
        auto [b, e] = runs[next_run++];
        ASSIGN_OR_RETURN(auto merged, MergeRun(state, *snap, b, e));
        entries.push_back(merged.first);
        readers.push_back(merged.second);
        for (size_t x = b; x < e; ++x) obsolete.push_back(snap->entries[x].file);
        k = e;
      } else {
        entries.push_back(snap->entries[k]);
        readers.push_back(snap->segments[k]);
        ++k;
      }
    }
    RETURN_IF_ERROR(Commit(state, std::move(entries), std::move(readers), std::move(recent),
                           next_seq));
    // Readers of older snapshots keep their descriptors; the names can go.
    for (const std::string& file : obsolete) {
      ::unlink((ViewDir(state.name) + "/" + file).c_str());
    }
    if (all) return Status::Ok();
  }
  return Status::Ok();
}

Status OfflineStore::Compact(const std::string& view) {
  ViewState& state = StateFor(view);
  std::lock_guard<std::mutex> commit(state.commit_mu);
  return CompactRuns(state, /*all=*/true);
}

Status OfflineStore::MaybeCompact(const std::string& view) {
  ViewState& state = StateFor(view);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state.snapshot->entries.size() < 4) return Status::Ok();
  }
  std::lock_guard<std::mutex> commit(state.commit_mu);
  return CompactRuns(state, /*all=*/false);
}

}  // namespace plinth::features

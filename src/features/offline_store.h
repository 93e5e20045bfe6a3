#pragma once
// OfflineStore: the feature store's history, on local disk in plinth's own format, laid out for
// the point-in-time join.
//
// Per feature view, a directory <dir>/views/<view>/ holds immutable segment files (segment.h:
// rows sorted by (entity key, event time) in columnar blocks) and a MANIFEST naming the live
// segments, oldest first, each with a sequence number. An ingest writes its batch as one new
// segment: written to seg-N.pseg.tmp, fsynced, renamed to seg-N.pseg, the directory fsynced; then
// a new MANIFEST listing it is written to MANIFEST.tmp, fsynced, renamed over MANIFEST, and the
// directory fsynced again. The MANIFEST rename is the commit point: a crash (kill -9, power loss)
// at any moment leaves the batch either entirely present or entirely absent, and Open() deletes
// files no MANIFEST names.
//
// Duplicates: within one batch, among rows with the same entity key and event time the last row
// of the batch is kept. Across batches, the segment with the higher sequence number (the later
// commit) wins; readers apply that rule, and compaction keeps only the winner.
//
// Compaction merges runs of adjacent segments with the same schema into one (a streaming k-way
// merge, a block per input in memory), keeping the run's place in the order. Compact() merges
// every such run; MaybeCompact() is the automatic size-tiered policy: it merges a run of at least
// four adjacent segments whose row counts have the same power of four.
//
// Thread-safe. Writes to different views run in parallel; commits to one view are serialized
// (segment building runs in parallel). Readers take a ViewSnapshot, which keeps its segments
// readable (open descriptors) even if a compaction replaces them meanwhile.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "features/batch.h"
#include "features/segment.h"
#include "features/segment_rows.h"

namespace plinth::features {

struct OfflineStoreOptions {
  std::string dir;                       // created if absent
  int threads = 2;                       // for sorting and encoding a batch
  size_t block_rows = kDefaultBlockRows; // rows per block of new segments
  // Test hook, called at each step of a commit: "segment_synced" (the .tmp file is complete and
  // fsynced), "segment_renamed", "manifest_synced" (MANIFEST.tmp fsynced, not yet renamed),
  // "manifest_renamed" (committed). Crash tests SIGKILL the process there.
  std::function<void(std::string_view point)> crash_point;
};

// What the manifest keeps about each of a view's latest ingests (the last 32), so that a record
// the registry missed (a crash between the commit and the registry's write) can be rebuilt.
struct IngestRecord {
  std::string id;
  std::string view;
  int view_version = 0;
  std::string actor;
  int64_t created_ms = 0;
  int64_t rows = 0;          // rows in the batch, duplicates included
  std::string stats_json;    // IngestStats::ToJson()
};

struct SegmentEntry {
  std::string file;  // "seg-00000012.pseg"
  uint64_t seq = 0;  // commit order; larger wins ties
  uint64_t rows = 0;
  uint64_t bytes = 0;
  int64_t min_ts = 0, max_ts = 0;
};

// A consistent view of one feature view's segments at one moment. Immutable.
struct ViewSnapshot {
  std::string view;
  std::vector<SegmentEntry> entries;                           // oldest first
  std::vector<std::shared_ptr<const SegmentReader>> segments;  // entries[i]'s reader

  uint64_t rows() const;
  uint64_t bytes() const;
};

class OfflineStore {
 public:
  static Result<std::unique_ptr<OfflineStore>> Open(const OfflineStoreOptions& options);
  ~OfflineStore();

  // Writes `batch` for `view` as one new segment and commits it; durable when OK is returned.
  // Internal on an I/O error, after which nothing of the batch is visible.
  Status Write(const std::string& view, const FeatureBatch& batch, const IngestRecord& record);
  // The same for any source of rows. `record_of` is called once the segment file is durable,
  // just before the commit (a CsvTextBatch knows its statistics only then). When the source
  // finds a cell that fails validation, InvalidArgument and nothing is written.
  Status Write(const std::string& view, SegmentRows& rows,
               const std::function<IngestRecord()>& record_of);

  // The view's current segments (none if nothing was ever written).
  std::shared_ptr<const ViewSnapshot> Snapshot(const std::string& view) const;

  // Merges every run of adjacent same-schema segments of `view`.
  Status Compact(const std::string& view);
  // The automatic policy (see above); cheap when there is nothing to do.
  Status MaybeCompact(const std::string& view);

  // The view's latest ingests, oldest first.
  std::vector<IngestRecord> RecentIngests(const std::string& view) const;
  std::vector<std::string> Views() const;

 private:
  struct ViewState;
  explicit OfflineStore(OfflineStoreOptions options);

  Status LoadView(const std::string& view);
  ViewState& StateFor(const std::string& view);
  std::string ViewDir(const std::string& view) const;
  void CrashPoint(std::string_view point) const;
  // Writes MANIFEST with `entries` and `recent`, then publishes the new state. commit_mu held.
  Status Commit(ViewState& state, std::vector<SegmentEntry> entries,
                std::vector<std::shared_ptr<const SegmentReader>> readers,
                std::vector<IngestRecord> recent, uint64_t next_seq);
  // Merges entries [begin, end) of the snapshot into one segment. commit_mu held.
  Result<std::pair<SegmentEntry, std::shared_ptr<const SegmentReader>>> MergeRun(
      ViewState& state, const ViewSnapshot& snap, size_t begin, size_t end);
  Status CompactRuns(ViewState& state, bool all);

  const OfflineStoreOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<ViewState>> views_;  // GUARDED_BY(mu_); never erased
};

}  // namespace plinth::features

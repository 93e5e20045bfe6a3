#pragma once
// CsvTextBatch: a CSV ingest batch whose feature cells stay text until the segment build gathers
// them. Read() parses and checks only the join keys and event times, and remembers where each
// record starts; the build (OfflineStore::Write) then reads each row's cells from the body and
// checks them against the view's rules as it gathers the row into its block, in sorted order. A
// large batch thus never holds a parsed copy of its cells: for 2M rows of 10 floats, 180 MB that a
// parsed FeatureBatch allocates and fills, and that a fresh process pays the kernel for page by
// page.
//
// Only a CSV without quote characters can be read so (its records are found again by their start
// offsets alone); Read() answers FailedPrecondition otherwise.
//
// Errors and failures are ParseBatch's: when Read() fails, or the build stops because a cell
// fails (failed() is then true), ParseBatch of the same body answers what to report (the same
// failures, the first 100 in row order). Callers fall back to it; valid batches, the common case,
// are read once.
//
// The body must stay valid and unchanged while the batch is used. Statistics (stats()) count every
// row of the batch, duplicates included, once the build has gathered them all.

#include <atomic>
#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "features/batch.h"
#include "features/segment_rows.h"
#include "features/types.h"
#include "features/value_rules.h"

namespace plinth::features {

class CsvTextBatch final : public SegmentRows {
 public:
  static Result<std::unique_ptr<CsvTextBatch>> Read(const FeatureView& view, std::string_view body,
                                                    const ParseOptions& options);

  size_t rows() const { return keys_.rows; }
  // True once a gathered cell failed validation.
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  // Per feature: count, nulls, min, max, mean, over every row (after a complete build).
  IngestStats stats() const;

  // SegmentRows.
  const RowKeys& keys() const override { return keys_; }
  const std::vector<JoinKey>& join_keys() const override { return keys_.join_keys; }
  const std::vector<Feature>& features() const override { return features_; }
  void PrepareWorkers(int workers) override;
  bool GatherCells(const uint32_t* rows, size_t n, int worker, Block* block) override;
  bool SkipRows(const uint32_t* rows, size_t n, int worker) override;

 private:
  CsvTextBatch() = default;

  // Where one field's cells go, resolved once per block.
  struct FieldPlan {
    const internal::ValueRules* rules = nullptr;  // null: not a feature (skipped)
    BlockColumn* column = nullptr;
    FeatureStatsAccumulator* stats = nullptr;
    int* places = nullptr;  // floats: the most decimal places a value of the block needed
    bool float_without_rules = false;
  };
  struct Worker {
    std::vector<FeatureStatsAccumulator> stats;  // per feature
    std::vector<int> places;         // per feature, for the block being gathered
    std::vector<FieldPlan> plan;     // per field read, for the block being gathered
  };

  std::string_view body_;
  FeatureBatch keys_;  // keys and times only (no features)
  internal::CsvRecordIndex index_;
  std::vector<Feature> features_;
  std::vector<int> field_feature_;  // per field of a record: its feature, or -1
  std::vector<internal::ValueRules> rules_;
  std::vector<Worker> workers_;
  std::atomic<bool> failed_{false};
};

}  // namespace plinth::features

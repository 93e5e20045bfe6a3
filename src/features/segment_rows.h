#pragma once
// SegmentRows: what OfflineStore::Write builds a new segment from. Every row's entity key and
// event time are there up front, for ordering the rows; the feature cells are fetched a block at a
// time, in segment order (that is, at random), by several threads at once.
//
// Two sources implement it: a parsed FeatureBatch (offline_store.cc), and a CSV batch whose cells
// stay text until they are gathered here and are checked against the view's rules only then
// (CsvTextBatch, csv_text_batch.h).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "features/batch.h"
#include "features/segment.h"
#include "features/types.h"

namespace plinth::features {

class SegmentRows {
 public:
  virtual ~SegmentRows() = default;

  virtual const RowKeys& keys() const = 0;
  virtual const std::vector<JoinKey>& join_keys() const = 0;
  virtual const std::vector<Feature>& features() const = 0;

  // Called once before any of the calls below, with how many workers will make them.
  virtual void PrepareWorkers(int workers) {}
  // Fills block->columns (one per feature, each sized for n rows: `values` of n entries,
  // `valid_bits` zeroed, `strings` empty) with the cells of rows[0, n), in that order. Calls run
  // concurrently with distinct `worker`s (< PrepareWorkers' count). False when a cell fails
  // validation: the build stops and writes nothing.
  virtual bool GatherCells(const uint32_t* rows, size_t n, int worker, Block* block) = 0;
  // The rows the segment leaves out (each an earlier duplicate of a later row's key and time),
  // for sources that check cells as they read them. False as for GatherCells.
  virtual bool SkipRows(const uint32_t* rows, size_t n, int worker) { return true; }
};

}  // namespace plinth::features

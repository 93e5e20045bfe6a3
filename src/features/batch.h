#pragma once
// An ingest batch: rows for one feature view, parsed from CSV or JSON lines, validated against
// the view's types and rules, held column by column, with the statistics of the batch.
//
// Columns of a batch are the view's join keys, "event_timestamp" and the view's features, in any
// order. A join key or event_timestamp column that is missing, a column the view does not have,
// or a column named twice rejects the batch with InvalidArgument naming the column. A feature
// column may be left out: its values are null (and fail a not_null rule). An empty body or a
// header with no rows is InvalidArgument.
//
// Validation is all-or-nothing: if any cell fails its type or a rule, ParseBatch returns
// InvalidArgument whose details_json is
//   {"failures": [{"row": 7, "column": "trips", "rule": "min", "value": "-3"}, ...],
//    "failure_count": 12, "truncated": false}
// with the first 100 failures in row order. `row` is the 1-based number of the data record (the
// CSV header is not counted; for JSON lines, the 1-based line number). Rules: "type" (the text
// is not a value of the column's type: for event_timestamp, not a time; for a string, not UTF-8
// or too long), "not_null" (a null join key, timestamp, or not_null feature), "min", "max",
// "allowed_values", and "field_count" (a CSV record with more or fewer fields than the header;
// column is ""). `value` is the cell's text (at most 200 bytes; bytes that are not UTF-8 are
// shown as U+FFFD), or null for a null cell.
//
// Thread-safe (no shared state); ParseBatch uses up to options.threads threads.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "features/big_vector.h"
#include "features/types.h"

namespace plinth::features {

enum class BatchFormat { kCsv, kJsonLines };

// From a content type or a short name: "text/csv", "csv"; "application/x-ndjson",
// "application/jsonl", "jsonl", "ndjson". UnsupportedMediaType-like InvalidArgument otherwise.
Result<BatchFormat> ParseBatchFormat(std::string_view name);

struct FeatureStats {
  std::string name;
  ValueType type = ValueType::kFloat;
  int64_t count = 0;  // non-null values
  int64_t nulls = 0;
  // Over non-null values of float, int and bool (as 0/1) features; absent for strings and when
  // every value is null.
  std::optional<double> min, max, mean;
};

// One feature's running statistics over the values seen so far (null cells are not added).
struct FeatureStatsAccumulator {
  int64_t count = 0;  // non-null values
  double lo = std::numeric_limits<double>::infinity();  // lo, hi, sum: numbers only
  double hi = -std::numeric_limits<double>::infinity();
  double sum = 0;

  void Add(double v) {
    ++count;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
    sum += v;
  }
  void AddString() { ++count; }
  void Merge(const FeatureStatsAccumulator& other);
  // The statistics of `feature` over a batch of `rows` rows.
  FeatureStats Finish(const Feature& feature, int64_t rows) const;
};

// What the monitoring issue keeps as an ingest's baseline.
struct IngestStats {
  int64_t rows = 0;
  std::vector<FeatureStats> features;  // in the view's feature order

  // {"rows": N, "features": {"trips": {"type": "int", "count": .., "nulls": .., "min": ..,
  //  "max": .., "mean": ..}, ...}} (min/max/mean are null when absent).
  std::string ToJson() const;
};

// Every row's entity key and event time: what ordering rows for a segment needs.
struct RowKeys {
  size_t rows = 0;
  // Row i's entity key (entity_key.h) is Key(i): key_bytes[i * key_width, (i + 1) * key_width)
  // when key_width is not 0, else key_bytes[key_offsets[i], key_offsets[i+1]).
  BigVector<char> key_bytes;
  BigVector<uint64_t> key_offsets;  // empty when key_width is not 0
  BigVector<int64_t> event_ms;
  // Every key's length when all have the same (when all join keys are ints, 8 bytes each), else
  // 0. Such keys need no offsets (and one memory access less each when rows are visited in
  // sorted order, that is at random).
  size_t key_width = 0;

  std::string_view Key(size_t i) const {
    if (key_width != 0) return std::string_view(key_bytes.data() + i * key_width, key_width);
    return std::string_view(key_bytes.data() + key_offsets[i], key_offsets[i + 1] - key_offsets[i]);
  }
};

// The rows of a batch, in input order. Values are stored row by row (cell (row, f) at
// row * features.size() + f): sorting and gathering whole rows is what a segment build does, and a
// row of ten features is then two cache lines, not ten.
struct FeatureBatch : RowKeys {
  std::vector<JoinKey> join_keys;  // of the view version the batch was parsed for
  std::vector<Feature> features;   // of that version
  // 8 bytes per cell: a double's bits, an int64, a bool as 0/1, or for strings
  // (offset << 24 | length) into strings[f]. valid is 0 for null.
  BigVector<uint64_t> values;
  BigVector<uint8_t> valid;
  std::vector<std::string> strings;  // per feature; used by string features

  size_t Cell(size_t row, size_t f) const { return row * features.size() + f; }
  bool Valid(size_t row, size_t f) const { return valid[Cell(row, f)] != 0; }
  uint64_t Raw(size_t row, size_t f) const { return values[Cell(row, f)]; }
  double Float(size_t row, size_t f) const;
  int64_t Int(size_t row, size_t f) const { return static_cast<int64_t>(Raw(row, f)); }
  bool Bool(size_t row, size_t f) const { return Raw(row, f) != 0; }
  std::string_view String(size_t row, size_t f) const {
    uint64_t v = Raw(row, f);
    return std::string_view(strings[f]).substr(v >> 24, v & 0xffffff);
  }
};

struct RowFailure {
  int64_t row = 0;
  std::string column;
  std::string rule;
  std::optional<std::string> value;
};

struct ParseOptions {
  int threads = 2;
  size_t max_failures = 100;  // how many failures the report lists
};

// Parses and validates `body` for `view` (whose join_keys must be resolved). On success the batch
// holds every row, in input order.
Result<FeatureBatch> ParseBatch(const FeatureView& view, BatchFormat format,
                                std::string_view body, const ParseOptions& options = {});

// Per feature: count, nulls, min, max, mean (over every row of the batch, duplicates included).
IngestStats ComputeStats(const FeatureBatch& batch, int threads = 2);

namespace internal {
// Where a CSV body's records and fields are, for reading a row's cells again later.
struct CsvRecordIndex {
  std::vector<int> feature_columns;  // per feature of the view: its field in a record, or -1
  size_t columns = 0;                // fields per record
  // The first field that holds a feature (columns when none does), and per row where that field
  // starts in the body: the rest of the record is what reading its cells again needs.
  size_t first_field = 0;
  BigVector<uint64_t> starts;
};

// The first pass of a CsvTextBatch (csv_text_batch.h): ParseBatch of a CSV body, except that only
// the join keys and event times are read and checked (the batch has join_keys but no features:
// the header's feature columns are checked against the view, their cells are not read), and
// `index` tells where each row's fields are. FailedPrecondition when the body has a quote
// character (its records cannot then be split again one by one without context).
Result<FeatureBatch> ParseCsvKeys(const FeatureView& view, std::string_view body,
                                  const ParseOptions& options, CsvRecordIndex* index);
}  // namespace internal

// The Status ParseBatch returns for failures (exposed for tests and for other batch readers).
Status ValidationError(const std::vector<RowFailure>& failures, int64_t failure_count);

}  // namespace plinth::features

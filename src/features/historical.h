#pragma once
// Point-in-time correct training sets ("historical features").
//
// A request is a table of entity rows (the join keys of the views asked for, "event_timestamp",
// and any other columns, such as labels, which pass through untouched) and a list of feature refs
// "view:feature". The result has the same rows in the same order, with the entity columns as
// given followed by one column per ref, in ref order. For each row and each view, the values come
// from the view's latest feature row for the same entity whose event time is at or before the
// row's event_timestamp and, when the view has a TTL, not older than the TTL:
//     row_time - ttl <= feature_time <= row_time
// otherwise every feature of that view is null for the row. These are Feast's semantics, and
// pandas' merge_asof(direction="backward", by=<join keys>, tolerance=ttl) computes the same.
// Ties (docs/feature-store.md, "Ties and duplicates"):
//   - a feature row whose time equals the row's event_timestamp is included (<=), and one exactly
//     TTL older is included too;
//   - among feature rows of one entity with the same event time, the last written wins (within a
//     batch the later row, across batches the later ingest);
//   - the winning row is taken whole: a null in it stays null (no fallback to older rows).
// An entity row with a null join key gets nulls for that view.
//
// How it runs: per view, the entity rows are keyed and sorted by (entity key, time) once, split
// into key ranges (two per thread, taken as threads become free), and each range is merge-joined
// with every segment of the view in commit order, reading only the blocks of its key range and
// only the requested columns; a later segment's match replaces an earlier one when its time is
// the same or later. The values
// land in result columns indexed by the original row, so the original order costs nothing.
// Memory is bounded by the request, not by the store (docs/feature-store.md, "Memory"): the
// entity rows (their text plus 16 bytes per cell), about 48 + 32 bytes per row per view for keys,
// sort order and best times, 9 bytes per row per requested feature for the results (plus string
// values), and two decoded blocks per thread of the segment being read.
//
// TrainingSet is immutable once built and may be read from several threads.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "features/big_vector.h"
#include "features/offline_store.h"
#include "features/types.h"

namespace plinth::features {

// The entity rows of a request: named columns of text cells, each possibly null.
class EntityTable {
 public:
  // From CSV with a header row (csv.h's rules; an unquoted empty cell is null). InvalidArgument
  // for an empty body, a header with no rows, a repeated column name, a malformed record or a
  // record with a different number of fields than the header (naming its line).
  static Result<EntityTable> FromCsv(std::string body, int threads = 2);
  // From columns and rows of cells (nullopt = null), as a JSON request carries them.
  static Result<EntityTable> FromRows(std::vector<std::string> columns,
                                      const std::vector<std::vector<std::optional<std::string>>>& rows);

  size_t num_rows() const { return rows_; }
  const std::vector<std::string>& columns() const { return columns_; }
  // The index of column `name`, or -1.
  int FindColumn(std::string_view name) const;
  bool IsNull(size_t row, size_t col) const { return Ref(row, col).flags & kNull; }
  // True when no cell holds a character CSV output must quote (',', '"', CR, LF): a CSV body
  // without any '"' (whose unquoted fields cannot hold the others).
  bool plain() const { return plain_; }
  std::string_view Cell(size_t row, size_t col) const {
    const CellRef& r = Ref(row, col);
    const std::string& arena = (r.flags & kInExtra) ? extra_ : text_;
    return std::string_view(arena.data() + r.offset, r.length);
  }

 private:
  struct CellRef {
    uint64_t offset;
    uint32_t length;
    uint32_t flags;
  };
  static constexpr uint32_t kNull = 1, kInExtra = 2;
  const CellRef& Ref(size_t row, size_t col) const { return cells_[row * columns_.size() + col]; }

  std::vector<std::string> columns_;
  size_t rows_ = 0;
  std::string text_;   // the CSV body, or the concatenated cells
  std::string extra_;  // cells that needed unescaping
  BigVector<CellRef> cells_;  // row-major
  bool plain_ = false;
};

// One cell of a training set. Entity columns are kString (their text as given).
struct CellValue {
  bool is_null = true;
  ValueType type = ValueType::kString;
  double f = 0;
  int64_t i = 0;
  bool b = false;
  std::string_view s;
};

struct ViewRequest {
  FeatureView view;                           // the version whose schema is read
  std::vector<std::string> features;          // requested features of the view
  std::shared_ptr<const ViewSnapshot> snapshot;
};

struct HistoricalProgress {
  std::string stage;  // "parse", "join", "done"
  size_t done = 0;    // views joined so far (stage "join")
  size_t total = 0;
};

struct HistoricalOptions {
  int threads = 2;
  // Name feature columns "view__feature" instead of "feature" (needed when two views share a
  // feature name).
  bool full_feature_names = false;
  std::function<void(const HistoricalProgress&)> progress;  // may be empty
};

class TrainingSet;

// The join itself, for views already resolved (FeatureStore::GetHistoricalFeatures resolves refs
// through the registry). `columns` names the output feature columns as (view index in `views`,
// feature index in that view's `features`), in output order. InvalidArgument for a missing
// join key or event_timestamp column, an unparseable timestamp or int key (naming the row and
// column), or an output column name that collides with another; Internal for unreadable segments.
Result<TrainingSet> JoinHistorical(EntityTable entities, std::vector<ViewRequest> views,
                                   std::vector<std::pair<int, int>> columns,
                                   const HistoricalOptions& options);

class TrainingSet {
 public:
  // Internal: a result cell's state (ViewResult::valid): null, a value as stored (a double's bits, an
  // int64, a bool as 0/1, a string in `strings`), or a float kept as the decimal the segment
  // stored, m / 10^(state - kDecimal0) with m in `values`: the CSV writer formats it from its
  // digits (FormatDecimalText) instead of searching for the shortest digits of the double.
  static constexpr uint8_t kNull = 0, kPlain = 1, kDecimal0 = 2;
  size_t num_rows() const { return entities_.num_rows(); }
  size_t num_columns() const { return names_.size(); }
  const std::vector<std::string>& columns() const { return names_; }
  // kString for entity columns; the feature's type for feature columns.
  ValueType column_type(size_t col) const;
  bool is_feature_column(size_t col) const { return col >= entities_.columns().size(); }
  CellValue Cell(size_t row, size_t col) const;

  // Reads rows in order: `while (rows.Next()) use(rows[col]);`.
  class RowIterator {
   public:
    explicit RowIterator(const TrainingSet& set) : set_(set) {}
    bool Next() { return ++next_ <= set_.num_rows(); }
    size_t row() const { return next_ - 1; }
    CellValue operator[](size_t col) const { return set_.Cell(next_ - 1, col); }

   private:
    const TrainingSet& set_;
    size_t next_ = 0;
  };
  RowIterator Rows() const { return RowIterator(*this); }

  // Writes the header and rows as CSV in pieces of about 1 MiB to `sink`, stopping at the first
  // error it returns. Floats as Python's repr (value_text.h), nulls as empty fields. Pieces are
  // formatted by up to `threads` threads; the sink gets them in order, one call at a time, from
  // the calling thread or one of the formatting threads.
  Status WriteCsv(const std::function<Status(std::string_view)>& sink, int threads = 2) const;
  std::string ToCsv() const;

 private:
  friend Result<TrainingSet> JoinHistorical(EntityTable, std::vector<ViewRequest>,
                                            std::vector<std::pair<int, int>>,
                                            const HistoricalOptions&);
  struct ViewResult {
    size_t nf = 0;                  // requested features of the view
    std::vector<ValueType> types;   // per requested feature
    BigVector<uint64_t> values;     // row-major: row * nf + feature
    BigVector<uint8_t> valid;       // cell states, as values
    std::vector<std::string> strings;  // row * nf + feature, for string features only
    // The cell's value as Cell() reads it (a decimal decoded to the double's bits).
    uint64_t Bits(size_t idx) const;
  };
  // An upper bound on the bytes of row `row` as CSV (`string_features`: whether any feature
  // column is a string, whose lengths then count), and the writer that stays within it.
  size_t RowCsvBound(size_t row, bool string_features) const;
  char* WriteRowCsv(size_t row, char* p) const;

  EntityTable entities_;
  std::vector<std::string> names_;
  std::vector<ViewResult> results_;
  std::vector<std::pair<int, int>> feature_columns_;  // (view, feature) per feature column
};

}  // namespace plinth::features

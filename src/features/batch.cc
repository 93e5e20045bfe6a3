#include "features/batch.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "common/json_util.h"
#include "common/utf8.h"
#include "features/csv.h"
#include "features/entity_key.h"
#include "features/event_time.h"
#include "features/parallel.h"
#include "features/value_rules.h"
#include "features/value_text.h"

namespace plinth::features {

using internal::ParallelFor;
using internal::ValueRules;

double FeatureBatch::Float(size_t row, size_t f) const {
  uint64_t bits = Raw(row, f);
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  return d;
}

Result<BatchFormat> ParseBatchFormat(std::string_view name) {
  std::string_view base = name.substr(0, name.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  if (base == "csv" || base == "text/csv") return BatchFormat::kCsv;
  if (base == "jsonl" || base == "ndjson" || base == "application/x-ndjson" ||
      base == "application/jsonl" || base == "application/x-jsonlines" ||
      base == "application/jsonlines") {
    return BatchFormat::kJsonLines;
  }
  return InvalidArgument("'" + std::string(name) +
                         "' is not a batch format: use CSV (text/csv) or JSON lines "
                         "(application/x-ndjson)");
}

namespace {

constexpr size_t kMaxValueText = 200;
constexpr size_t kMaxKeyValue = 1024;  // bytes of one string join key value

// Where each input column goes.
struct Layout {
  std::vector<std::string> names;       // input columns, in input order
  std::vector<int> key_input;           // per join key: its input column
  int ts_input = -1;
  std::vector<int> feature_input;       // per feature: its input column or -1
  std::vector<std::string> column_name; // per input column (for reports)
};

Result<Layout> MakeLayout(const FeatureView& view, std::vector<std::string> names) {
  Layout layout;
  layout.key_input.assign(view.join_keys.size(), -1);
  layout.feature_input.assign(view.features.size(), -1);
  std::unordered_map<std::string, int> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (!seen.emplace(name, static_cast<int>(i)).second) {
      return InvalidArgument("column '" + name + "' appears twice in the batch");
    }
    int col = static_cast<int>(i);
    if (name == kEventTimestampColumn) {
      layout.ts_input = col;
      continue;
    }
    bool found = false;
    for (size_t k = 0; k < view.join_keys.size() && !found; ++k) {
      if (view.join_keys[k].name == name) {
        layout.key_input[k] = col;
        found = true;
      }
    }
    for (size_t f = 0; f < view.features.size() && !found; ++f) {
      if (view.features[f].name == name) {
        layout.feature_input[f] = col;
        found = true;
      }
    }
    if (!found) {
      return InvalidArgument("column '" + (name.size() > 128 ? name.substr(0, 128) + "..." : name) +
                             "' is not a join key, event_timestamp or feature of feature view '" +
                             view.name + "' (version " + std::to_string(view.version) + ")");
    }
  }
  for (size_t k = 0; k < view.join_keys.size(); ++k) {
    if (layout.key_input[k] < 0) {
      return InvalidArgument("the batch has no column for join key '" + view.join_keys[k].name +
                             "' of feature view '" + view.name + "'");
    }
  }
  if (layout.ts_input < 0) return InvalidArgument("the batch has no 'event_timestamp' column");
  layout.names = std::move(names);
  return layout;
}

// The bytes of every row's entity key when all join keys are ints (8 bytes each), else 0.
size_t FixedKeyWidth(const FeatureView& view) {
  for (const JoinKey& k : view.join_keys) {
    if (k.type != ValueType::kInt) return 0;
  }
  return 8 * view.join_keys.size();
}

// Rows parsed by one thread, written straight into the batch's arrays from row `row_base` on
// (at most `capacity` rows). Fixed-width keys (all join keys ints) are written in place too;
// other keys and string values go to part-local buffers that MergeParts appends.
class PartBuilder {
 public:
  PartBuilder(const FeatureView& view, const std::vector<ValueRules>& rules, size_t max_failures,
              FeatureBatch* out, size_t row_base, size_t capacity)
      : view_(view),
        rules_(rules),
        max_failures_(max_failures),
        nf_(view.features.size()),
        out_(out),
        row_base_(row_base),
        capacity_(capacity),
        key_width_(FixedKeyWidth(view)) {
    strings_.resize(nf_);
    scratch_.resize(2 * nf_ + 1);
    if (key_width_ == 0) {
      key_offsets_.reserve(capacity + 1);
      key_offsets_.push_back(0);
      key_bytes_.reserve(capacity * 8);
    }
  }

  size_t rows() const { return rows_; }
  bool overflow() const { return overflow_; }
  size_t row_base() const { return row_base_; }
  size_t capacity() const { return capacity_; }
  int64_t failure_count() const { return failure_count_; }
  std::vector<RowFailure>& failures() { return failures_; }

  void Fail(int64_t row, const std::string& column, const char* rule,
            std::optional<std::string_view> value) {
    ++failure_count_;
    if (failures_.size() >= max_failures_) return;
    RowFailure f{row, column, rule, std::nullopt};
    if (value) f.value = std::string(value->substr(0, kMaxValueText));
    failures_.push_back(std::move(f));
  }

  // fail(rule) for ValueRules: records the failure of feature f's cell in `row`.
  template <typename TextFn>
  auto RuleFailer(size_t f, int64_t row, const TextFn& text_fn) {
    return [this, f, row, &text_fn](const char* rule) {
      Fail(row, view_.features[f].name, rule, text_fn());
    };
  }

  // --- Join keys: call once per key part, in join key order (a part may be skipped when the row
  // has already failed), then EndKey().
  void KeyInt(int64_t v) {
    if (key_width_ == 0) {
      AppendIntKeyPart(v, &key_bytes_);
      return;
    }
    if (rows_ >= capacity_ || key_part_ * 8 >= key_width_) return;  // overflow: see Timestamp
    PutIntKeyPart(v, out_->key_bytes.data() + (row_base_ + rows_) * key_width_ + 8 * key_part_++);
  }
  void KeyString(std::string_view v, bool last) { AppendStringKeyPart(v, last, &key_bytes_); }
  void EndKey() {
    if (key_width_ == 0) {
      key_offsets_.push_back(key_bytes_.size());
    } else {
      key_part_ = 0;
    }
  }

  // Starts a row: records its time and makes every cell null until set. False when the part is
  // full (which the line count that sized it rules out).
  bool Timestamp(int64_t ms) {
    if (rows_ >= capacity_) {
      overflow_ = true;  // cannot happen: capacity counts line ends; checked by the caller
      cells_ = scratch_.data();
      valid_ = reinterpret_cast<uint8_t*>(scratch_.data() + nf_);
      return false;
    }
    const size_t row = row_base_ + rows_++;
    out_->event_ms[row] = ms;
    cells_ = out_->values.data() + row * nf_;
    valid_ = out_->valid.data() + row * nf_;
    for (size_t f = 0; f < nf_; ++f) {  // a loop: rows are short, and a call to memset is not free
      cells_[f] = 0;
      valid_[f] = 0;
    }
    return true;
  }

  // --- Features of the current row.
  void Null(size_t f, int64_t row) {
    if (rules_[f].not_null()) Fail(row, view_.features[f].name, "not_null", std::nullopt);
  }

  // The text is only for failure reports; the caller computes it lazily through `text_fn`.
  template <typename TextFn>
  void Float(size_t f, double v, int64_t row, const TextFn& text_fn) {
    rules_[f].CheckFloat(v, RuleFailer(f, row, text_fn));
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof(bits));
    Set(f, bits);
  }

  template <typename TextFn>
  void Int(size_t f, int64_t v, int64_t row, const TextFn& text_fn) {
    rules_[f].CheckInt(v, RuleFailer(f, row, text_fn));
    Set(f, static_cast<uint64_t>(v));
  }

  template <typename TextFn>
  void Bool(size_t f, bool v, int64_t row, const TextFn& text_fn) {
    rules_[f].CheckBool(v, RuleFailer(f, row, text_fn));
    Set(f, v ? 1 : 0);
  }

  // The text of a non-null CSV cell of a float, int or bool feature.
  void NumberText(size_t f, std::string_view text, int64_t row) {
    uint64_t cell;
    auto text_fn = [text] { return std::optional<std::string_view>(text); };
    if (rules_[f].ReadNumberCell(text, &cell, RuleFailer(f, row, text_fn))) Set(f, cell);
  }

  void String(size_t f, std::string_view v, int64_t row) {
    auto text_fn = [v] { return std::optional<std::string_view>(v); };
    if (!rules_[f].CheckString(v, RuleFailer(f, row, text_fn))) return;
    std::string& arena = strings_[f];
    Set(f, (static_cast<uint64_t>(arena.size()) << 24) | v.size());
    arena.append(v);
  }

  // Where the next row's record starts (for a CsvTextBatch's first pass: see ParseCsvKeys).
  void RecordStart(uint64_t offset) {
    if (record_starts_ != nullptr && rows_ < capacity_) record_starts_[row_base_ + rows_] = offset;
  }
  void KeepRecordStarts(uint64_t* record_starts) { record_starts_ = record_starts; }

  // A row whose cells could not be read at all: keeps the arrays aligned.
  void PadRow() {
    if (key_width_ != 0 || key_offsets_.size() == rows_ + 1) EndKey();
    Timestamp(0);
  }

  friend void MergeParts(std::vector<PartBuilder>& parts, FeatureBatch* out, int threads);

 private:
  void Set(size_t f, uint64_t v) {
    cells_[f] = v;
    valid_[f] = 1;
  }

  const FeatureView& view_;
  const std::vector<ValueRules>& rules_;
  size_t max_failures_;
  size_t nf_;
  FeatureBatch* out_;
  size_t row_base_;
  size_t capacity_;
  size_t key_width_;      // FixedKeyWidth(view)
  size_t key_part_ = 0;   // fixed-width keys: the next key part of the current row
  size_t rows_ = 0;
  bool overflow_ = false;
  std::vector<uint64_t> scratch_;  // cells of a row past capacity
  uint64_t* cells_ = nullptr;  // the current row's cells
  uint64_t* record_starts_ = nullptr;  // per row of the batch, when kept
  uint8_t* valid_ = nullptr;
  BigVector<char> key_bytes_;
  BigVector<uint64_t> key_offsets_;
  std::vector<std::string> strings_;
  std::vector<RowFailure> failures_;
  int64_t failure_count_ = 0;
};

// Sizes the batch's row arrays for `rows` rows (uninitialized; the parts fill them).
void AllocateRows(FeatureBatch* out, const FeatureView& view, size_t rows) {
  const size_t nf = view.features.size();
  out->key_bytes.resize(rows * FixedKeyWidth(view));
  out->event_ms.resize(rows);
  out->values.resize(rows * nf);
  out->valid.resize(rows * nf);
}

// Closes the gaps parts left below their capacity, appends the parts' keys and strings, and
// sets the row count. Each part is handled by its own thread where that helps.
void MergeParts(std::vector<PartBuilder>& parts, FeatureBatch* out, int threads) {
  const size_t nf = parts.empty() ? 0 : parts[0].nf_;
  const size_t width = parts.empty() ? 0 : parts[0].key_width_;
  // Rows are where the parts wrote them; move a part down when an earlier one was not full.
  size_t rows = 0;
  std::vector<size_t> row_base(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    PartBuilder& p = parts[i];
    row_base[i] = rows;
    if (p.row_base_ != rows && p.rows_ > 0) {
      std::memmove(out->event_ms.data() + rows, out->event_ms.data() + p.row_base_, p.rows_ * 8);
      std::memmove(out->values.data() + rows * nf, out->values.data() + p.row_base_ * nf,
                   p.rows_ * nf * 8);
      std::memmove(out->valid.data() + rows * nf, out->valid.data() + p.row_base_ * nf,
                   p.rows_ * nf);
      std::memmove(out->key_bytes.data() + rows * width,
                   out->key_bytes.data() + p.row_base_ * width, p.rows_ * width);
      if (p.record_starts_ != nullptr) {
        std::memmove(p.record_starts_ + rows, p.record_starts_ + p.row_base_, p.rows_ * 8);
      }
    }
    rows += p.rows_;
  }
  out->rows = rows;
  out->event_ms.resize(rows);
  out->values.resize(rows * nf);
  out->valid.resize(rows * nf);
  if (width != 0) out->key_bytes.resize(rows * width);
  out->key_width = width;
  size_t key_total = 0;
  std::vector<size_t> key_base(parts.size());
  std::vector<std::vector<size_t>> string_base(parts.size(), std::vector<size_t>(nf));
  std::vector<size_t> string_total(nf, 0);
  for (size_t i = 0; i < parts.size(); ++i) {
    key_base[i] = key_total;
    key_total += parts[i].key_bytes_.size();
    for (size_t f = 0; f < nf; ++f) {
      string_base[i][f] = string_total[f];
      string_total[f] += parts[i].strings_[f].size();
    }
  }
  if (width == 0) {  // fixed-width keys need no offsets
    out->key_bytes.resize(key_total);
    out->key_offsets.resize(rows + 1);
    out->key_offsets[0] = 0;
  }
  out->strings.assign(nf, std::string());
  for (size_t f = 0; f < nf; ++f) out->strings[f].resize(string_total[f]);
  std::vector<bool> is_string(nf);
  for (size_t f = 0; f < nf; ++f) {
    is_string[f] = parts[0].view_.features[f].type == ValueType::kString;
  }
  const int t = std::max(1, std::min<int>(threads, static_cast<int>(parts.size())));
  internal::ParallelFor(t, [&](int k) {
    for (size_t i = k; i < parts.size(); i += t) {
      PartBuilder& p = parts[i];
      if (width == 0) {
        uint64_t* offsets = out->key_offsets.data() + row_base[i] + 1;
        std::memcpy(out->key_bytes.data() + key_base[i], p.key_bytes_.data(), p.key_bytes_.size());
        for (size_t r = 0; r < p.rows_; ++r) offsets[r] = key_base[i] + p.key_offsets_[r + 1];
      }
      for (size_t f = 0; f < nf; ++f) {
        if (!is_string[f]) continue;
        std::memcpy(out->strings[f].data() + string_base[i][f], p.strings_[f].data(),
                    p.strings_[f].size());
        uint64_t* cells = out->values.data() + row_base[i] * nf + f;
        const uint64_t shift = uint64_t{string_base[i][f]} << 24;
        for (size_t r = 0; r < p.rows_; ++r) {
          if (out->valid[(row_base[i] + r) * nf + f]) cells[r * nf] += shift;
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// CSV

void ParseCsvRow(const FeatureView& view, const Layout& layout, const CsvField* cells, int64_t row,
                 PartBuilder& part) {
  const size_t nkeys = view.join_keys.size();
  for (size_t k = 0; k < nkeys; ++k) {
    const CsvField& cell = cells[layout.key_input[k]];
    const JoinKey& key = view.join_keys[k];
    if (cell.is_null()) {
      part.Fail(row, key.name, "not_null", std::nullopt);
    } else if (key.type == ValueType::kInt) {
      int64_t v = 0;
      if (!ParseIntText(cell.text, &v)) part.Fail(row, key.name, "type", cell.text);
      part.KeyInt(v);
    } else if (cell.text.size() > kMaxKeyValue || !IsValidUtf8(cell.text)) {
      part.Fail(row, key.name, "type", cell.text);
    } else {
      part.KeyString(cell.text, k + 1 == nkeys);
    }
  }
  part.EndKey();
  {
    const CsvField& cell = cells[layout.ts_input];
    int64_t ms = 0;
    if (cell.is_null()) {
      part.Fail(row, std::string(kEventTimestampColumn), "not_null", std::nullopt);
    } else if (!ParseEventTimeMs(cell.text, &ms)) {
      part.Fail(row, std::string(kEventTimestampColumn), "type", cell.text);
    }
    part.Timestamp(ms);
  }
  for (size_t f = 0; f < layout.feature_input.size(); ++f) {
    int in = layout.feature_input[f];
    if (in < 0 || cells[in].is_null()) {
      part.Null(f, row);
      continue;
    }
    if (view.features[f].type == ValueType::kString) {
      part.String(f, cells[in].text, row);
    } else {
      part.NumberText(f, cells[in].text, row);
    }
  }
}

// Parses the records of `text`. `plain`: the text has no quote character, so records split on
// commas and line ends alone.
// `text_offset`: where `text` starts in the body; PartBuilder::RecordStart gets where field
// `start_field` of each record starts in the body.
void ParseCsvPart(const FeatureView& view, const Layout& layout, std::string_view text,
                  size_t text_offset, size_t start_field, bool plain, PartBuilder& part,
                  std::string* error) {
  const size_t ncols = layout.names.size();
  int64_t row = 0;
  if (plain) {
    std::vector<std::string_view> cells(ncols);
    std::vector<CsvField> fields(ncols);
    // The fields ParseCsvRow reads (a first pass reads only the keys and the time).
    std::vector<int> used(layout.key_input.begin(), layout.key_input.end());
    used.push_back(layout.ts_input);
    for (int in : layout.feature_input) {
      if (in >= 0) used.push_back(in);
    }
    size_t pos = 0;
    while (size_t n = SplitPlainRecord(text, &pos, &cells)) {
      ++row;
      // (A record without that field fails field_count below; one is recorded either way.)
      const size_t field = start_field < n && start_field < ncols ? start_field : 0;
      part.RecordStart(text_offset + static_cast<size_t>(cells[field].data() - text.data()));
      if (n != ncols) {
        part.Fail(row, "", "field_count", std::nullopt);
        part.PadRow();
        continue;
      }
      for (int i : used) fields[i] = {cells[i], false};
      ParseCsvRow(view, layout, fields.data(), row, part);
    }
    return;
  }
  CsvReader reader(text);
  std::vector<CsvField> fields;
  fields.reserve(ncols + 1);
  while (reader.Next(&fields)) {
    ++row;
    if (fields.size() != ncols) {
      part.Fail(row, "", "field_count", std::nullopt);
      part.PadRow();
      continue;
    }
    ParseCsvRow(view, layout, fields.data(), row, part);
  }
  if (!reader.error().empty()) *error = reader.error();
}

// With `index`, only join keys and times are parsed (ParseCsvKeys).
Result<FeatureBatch> ParseCsv(const FeatureView& view, const std::vector<ValueRules>& rules,
                              std::string_view body, const ParseOptions& options,
                              internal::CsvRecordIndex* index = nullptr) {
  BigVector<uint64_t>* record_starts = index == nullptr ? nullptr : &index->starts;
  CsvReader header_reader(body);
  std::vector<CsvField> header;
  if (!header_reader.Next(&header)) {
    if (!header_reader.error().empty()) return InvalidArgument(header_reader.error());
    return InvalidArgument("the batch is empty: expected a CSV header and rows");
  }
  std::vector<std::string> names;
  for (const CsvField& h : header) {
    std::string name(h.text);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    if (names.empty() && name.rfind("\xEF\xBB\xBF", 0) == 0) name.erase(0, 3);  // a UTF-8 BOM
    names.push_back(std::move(name));
  }
  ASSIGN_OR_RETURN(Layout layout, MakeLayout(view, std::move(names)));
  // Keys and times only: a view without features, whose layout reads no feature column.
  FeatureView keys_view;
  const FeatureView* parse_view = &view;
  if (index != nullptr) {
    index->feature_columns = layout.feature_input;
    index->columns = layout.names.size();
    index->first_field = index->columns;
    for (int column : layout.feature_input) {
      if (column >= 0) index->first_field = std::min<size_t>(index->first_field, column);
    }
    keys_view.name = view.name;
    keys_view.version = view.version;
    keys_view.join_keys = view.join_keys;
    layout.feature_input.clear();
    parse_view = &keys_view;
  }
  std::string_view rest = body.substr(header_reader.position());
  if (rest.find_first_not_of("\r\n") == std::string_view::npos) {
    return InvalidArgument("the batch has a header but no rows");
  }
  // Quoted fields may hold line breaks, so only a body without quotes is split between threads:
  // the threads scan their ranges for line ends and quotes, and one range is parsed when any
  // has a quote (its line count is the ranges' sum: they were cut just after line ends).
  // Four ranges per thread, taken by the threads as they become free (a thread the machine runs
  // slower then reads fewer of them).
  const int threads = internal::ThreadsFor(rest.size(), options.threads, 1 << 20);
  std::vector<std::string_view> ranges =
      SplitAtLineEnds(rest, threads == 1 ? 1 : 4 * threads);
  std::vector<LineScan> scans(ranges.size());
  internal::ParallelForEach(threads, ranges.size(),
                            [&](size_t i, int) { scans[i] = ScanLines(ranges[i]); });
  bool plain = true;
  std::vector<size_t> lines;
  for (const LineScan& scan : scans) {
    plain = plain && !scan.quotes;
    lines.push_back(scan.lines);
  }
  if (!plain && record_starts != nullptr) {
    return FailedPrecondition("the CSV has quoted fields: its records cannot be read one by one");
  }
  if (!plain && ranges.size() > 1) {
    size_t total = 0;
    for (size_t n : lines) total += n;
    ranges.assign(1, rest);
    lines.assign(1, total);
  }
  FeatureBatch batch;
  size_t capacity = 0;
  for (size_t n : lines) capacity += n;
  AllocateRows(&batch, *parse_view, capacity);
  if (record_starts != nullptr) record_starts->resize(capacity);
  std::vector<PartBuilder> parts;
  parts.reserve(ranges.size());
  size_t base = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    parts.emplace_back(*parse_view, rules, options.max_failures, &batch, base, lines[i]);
    if (record_starts != nullptr) parts.back().KeepRecordStarts(record_starts->data());
    base += lines[i];
  }
  std::vector<std::string> errors(ranges.size());
  internal::ParallelForEach(threads, ranges.size(), [&](size_t i, int) {
    ParseCsvPart(*parse_view, layout, ranges[i], static_cast<size_t>(ranges[i].data() - body.data()),
                 index == nullptr ? 0 : index->first_field, plain, parts[i], &errors[i]);
  });
  // Part-local rows to batch rows; header lines offset the malformed-quote messages only.
  int64_t row_base = 0;
  std::vector<RowFailure> failures;
  int64_t failure_count = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!errors[i].empty()) {
      return InvalidArgument("the CSV is malformed: " + errors[i] + " (counting from the header)");
    }
    for (RowFailure& f : parts[i].failures()) {
      f.row += row_base;
      if (failures.size() < options.max_failures) failures.push_back(std::move(f));
    }
    failure_count += parts[i].failure_count();
    row_base += static_cast<int64_t>(parts[i].rows());
  }
  if (failure_count > 0) return ValidationError(failures, failure_count);
  for (const PartBuilder& p : parts) {
    if (p.overflow()) return Internal("the CSV has more records than line ends");
  }
  MergeParts(parts, &batch, options.threads);
  if (record_starts != nullptr) record_starts->resize(batch.rows);
  return batch;
}

// ---------------------------------------------------------------------------------------------
// JSON lines

namespace dom = simdjson::dom;

std::string JsonText(dom::element e) { return simdjson::minify(e); }

Result<FeatureBatch> ParseJsonLines(const FeatureView& view, const std::vector<ValueRules>& rules,
                                    std::string_view body, const ParseOptions& options) {
  std::vector<std::string> names;
  for (const JoinKey& k : view.join_keys) names.push_back(k.name);
  names.emplace_back(kEventTimestampColumn);
  for (const Feature& f : view.features) names.push_back(f.name);
  ASSIGN_OR_RETURN(Layout layout, MakeLayout(view, names));
  std::unordered_map<std::string_view, int> index;
  for (size_t i = 0; i < layout.names.size(); ++i) index[layout.names[i]] = static_cast<int>(i);

  FeatureBatch batch;
  const size_t capacity = ScanLines(body).lines;
  AllocateRows(&batch, view, capacity);
  std::vector<PartBuilder> parts;
  parts.emplace_back(view, rules, options.max_failures, &batch, 0, capacity);
  PartBuilder& part = parts[0];
  dom::parser parser;
  std::vector<dom::element> cells(names.size());
  std::vector<bool> present(names.size());
  const size_t nkeys = view.join_keys.size();
  int64_t line = 0;
  size_t pos = 0;
  bool any_row = false;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view text = body.substr(pos, nl - pos);
    pos = nl + 1;
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    any_row = true;
    dom::element doc;
    dom::object obj;
    if (parser.parse(text.data(), text.size(), true).get(doc) || doc.get_object().get(obj)) {
      return InvalidArgument("line " + std::to_string(line) + " is not a JSON object");
    }
    std::fill(present.begin(), present.end(), false);
    for (dom::key_value_pair field : obj) {
      auto it = index.find(field.key);
      if (it == index.end()) {
        return InvalidArgument("line " + std::to_string(line) + ": column '" +
                               std::string(field.key.substr(0, 128)) +
                               "' is not a join key, event_timestamp or feature of feature view '" +
                               view.name + "' (version " + std::to_string(view.version) + ")");
      }
      cells[it->second] = field.value;
      present[it->second] = !field.value.is_null();
    }
    // Join keys.
    for (size_t k = 0; k < nkeys; ++k) {
      int in = layout.key_input[k];
      const JoinKey& key = view.join_keys[k];
      if (!present[in]) {
        part.Fail(line, key.name, "not_null", std::nullopt);
        continue;
      }
      dom::element e = cells[in];
      int64_t i = 0;
      std::string_view s;
      if (key.type == ValueType::kInt) {
        if (e.get_int64().get(i) == simdjson::SUCCESS ||
            (e.get_string().get(s) == simdjson::SUCCESS && ParseIntText(s, &i))) {
          part.KeyInt(i);
        } else {
          part.Fail(line, key.name, "type", JsonText(e));
        }
      } else if (e.get_string().get(s) == simdjson::SUCCESS && s.size() <= kMaxKeyValue) {
        part.KeyString(s, k + 1 == nkeys);
      } else if (e.get_int64().get(i) == simdjson::SUCCESS) {
        char buf[kMaxNumberText];
        part.KeyString(std::string_view(buf, FormatIntText(i, buf) - buf), k + 1 == nkeys);
      } else {
        part.Fail(line, key.name, "type", JsonText(e));
      }
    }
    part.EndKey();
    {
      int in = layout.ts_input;
      int64_t ms = 0;
      if (!present[in]) {
        part.Fail(line, std::string(kEventTimestampColumn), "not_null", std::nullopt);
      } else {
        dom::element e = cells[in];
        std::string_view s;
        int64_t i;
        double d;
        char buf[kMaxNumberText];
        bool ok = false;
        if (e.get_string().get(s) == simdjson::SUCCESS) {
          ok = ParseEventTimeMs(s, &ms);
        } else if (e.get_int64().get(i) == simdjson::SUCCESS) {
          ok = ParseEventTimeMs(std::string_view(buf, FormatIntText(i, buf) - buf), &ms);
        } else if (e.get_double().get(d) == simdjson::SUCCESS) {
          ok = ParseEventTimeMs(std::string_view(buf, FormatFloatText(d, buf) - buf), &ms);
        }
        if (!ok) part.Fail(line, std::string(kEventTimestampColumn), "type", JsonText(e));
      }
      part.Timestamp(ms);
    }
    for (size_t f = 0; f < view.features.size(); ++f) {
      int in = layout.feature_input[f];
      if (!present[in]) {
        part.Null(f, line);
        continue;
      }
      dom::element e = cells[in];
      auto text_fn = [&e] { return std::optional<std::string>(JsonText(e)); };
      const std::string& name = view.features[f].name;
      std::string_view s;
      switch (view.features[f].type) {
        case ValueType::kFloat: {
          double d;
          if (e.is_number() && e.get_double().get(d) == simdjson::SUCCESS) {
            part.Float(f, d, line, text_fn);
          } else if (e.get_string().get(s) == simdjson::SUCCESS && ParseFloatText(s, &d)) {
            part.Float(f, d, line, text_fn);
          } else {
            part.Fail(line, name, "type", JsonText(e));
          }
          break;
        }
        case ValueType::kInt: {
          int64_t i;
          double d;
          bool ok = false;
          if (e.get_int64().get(i) == simdjson::SUCCESS) {
            ok = true;
          } else if (e.get_double().get(d) == simdjson::SUCCESS && std::trunc(d) == d &&
                     std::fabs(d) < 9.2e18) {
            i = static_cast<int64_t>(d);
            ok = true;
          } else if (e.get_string().get(s) == simdjson::SUCCESS) {
            ok = ParseIntText(s, &i);
          }
          if (ok) {
            part.Int(f, i, line, text_fn);
          } else {
            part.Fail(line, name, "type", JsonText(e));
          }
          break;
        }
        case ValueType::kBool: {
          bool b = false;
          int64_t i;
          bool ok = false;
          if (e.get_bool().get(b) == simdjson::SUCCESS) {
            ok = true;
          } else if (e.get_int64().get(i) == simdjson::SUCCESS && (i == 0 || i == 1)) {
            b = i == 1;
            ok = true;
          } else if (e.get_string().get(s) == simdjson::SUCCESS) {
            ok = ParseBoolText(s, &b);
          }
          if (ok) {
            part.Bool(f, b, line, text_fn);
          } else {
            part.Fail(line, name, "type", JsonText(e));
          }
          break;
        }
        case ValueType::kString:
          if (e.get_string().get(s) == simdjson::SUCCESS) {
            part.String(f, s, line);
          } else {
            part.Fail(line, name, "type", JsonText(e));
          }
          break;
      }
    }
  }
  if (!any_row) return InvalidArgument("the batch is empty: expected JSON objects, one per line");
  if (part.failure_count() > 0) return ValidationError(part.failures(), part.failure_count());
  if (part.overflow()) return Internal("the batch has more records than line ends");
  MergeParts(parts, &batch, 1);
  return batch;
}

}  // namespace

Status ValidationError(const std::vector<RowFailure>& failures, int64_t failure_count) {
  Json list = Json::array();
  for (const RowFailure& f : failures) {
    list.push_back({{"row", f.row},
                    {"column", f.column},
                    {"rule", f.rule},
                    {"value", f.value ? Json(*f.value) : Json(nullptr)}});
  }
  std::string message = "the batch was rejected and nothing was written: " +
                        std::to_string(failure_count) +
                        (failure_count == 1 ? " value fails" : " values fail") +
                        " validation";
  if (!failures.empty()) {
    const RowFailure& first = failures.front();
    message += "; the first is row " + std::to_string(first.row);
    if (!first.column.empty()) message += ", column '" + first.column + "'";
    message += ", rule '" + first.rule + "'";
    if (first.value) message += ", value '" + first.value->substr(0, 64) + "'";
  }
  Json details = {{"failures", std::move(list)},
                  {"failure_count", failure_count},
                  {"truncated", static_cast<int64_t>(failures.size()) < failure_count}};
  // Values are input bytes, cut at kMaxValueText: not always UTF-8, which JSON needs.
  return InvalidArgument(std::move(message))
      .WithDetails(details.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Result<FeatureBatch> internal::ParseCsvKeys(const FeatureView& view, std::string_view body,
                                           const ParseOptions& options, CsvRecordIndex* index) {
  if (view.join_keys.empty()) {
    return Internal("feature view '" + view.name + "' has no resolved join keys");
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return InvalidArgument("the batch is empty");
  }
  ASSIGN_OR_RETURN(FeatureBatch batch, ParseCsv(view, {}, body, options, index));
  batch.join_keys = view.join_keys;
  return batch;
}

Result<FeatureBatch> ParseBatch(const FeatureView& view, BatchFormat format,
                                std::string_view body, const ParseOptions& options) {
  if (view.join_keys.empty()) {
    return Internal("feature view '" + view.name + "' has no resolved join keys");
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return InvalidArgument("the batch is empty");
  }
  std::vector<ValueRules> rules;
  for (const Feature& f : view.features) rules.emplace_back(f);
  Result<FeatureBatch> batch = format == BatchFormat::kCsv
                                   ? ParseCsv(view, rules, body, options)
                                   : ParseJsonLines(view, rules, body, options);
  if (!batch.ok()) return batch;
  batch->join_keys = view.join_keys;
  batch->features = view.features;
  return batch;
}

void FeatureStatsAccumulator::Merge(const FeatureStatsAccumulator& other) {
  count += other.count;
  lo = std::min(lo, other.lo);
  hi = std::max(hi, other.hi);
  sum += other.sum;
}

FeatureStats FeatureStatsAccumulator::Finish(const Feature& feature, int64_t rows) const {
  FeatureStats s;
  s.name = feature.name;
  s.type = feature.type;
  s.count = count;
  s.nulls = rows - count;
  if (feature.type != ValueType::kString && count > 0) {
    s.min = lo;
    s.max = hi;
    s.mean = sum / static_cast<double>(count);
  }
  return s;
}

IngestStats ComputeStats(const FeatureBatch& batch, int threads) {
  const size_t nf = batch.features.size();
  const size_t n = batch.rows;
  threads = internal::ThreadsFor(n, threads, 100000);
  std::vector<std::vector<FeatureStatsAccumulator>> acc(
      threads, std::vector<FeatureStatsAccumulator>(nf));
  std::vector<ValueType> types;
  for (const Feature& f : batch.features) types.push_back(f.type);
  ParallelFor(threads, [&](int t) {
    std::vector<FeatureStatsAccumulator>& a = acc[t];
    for (size_t r = n * t / threads, end = n * (t + 1) / threads; r < end; ++r) {
      for (size_t f = 0; f < nf; ++f) {
        if (!batch.Valid(r, f)) continue;
        if (types[f] == ValueType::kString) {
          a[f].AddString();
        } else {
          a[f].Add(types[f] == ValueType::kFloat ? batch.Float(r, f)
                                                 : static_cast<double>(batch.Int(r, f)));
        }
      }
    }
  });
  IngestStats stats;
  stats.rows = static_cast<int64_t>(n);
  for (size_t f = 0; f < nf; ++f) {
    FeatureStatsAccumulator total;
    for (const auto& a : acc) total.Merge(a[f]);
    stats.features.push_back(total.Finish(batch.features[f], stats.rows));
  }
  return stats;
}

std::string IngestStats::ToJson() const {
  Json feats = Json::object();
  for (const FeatureStats& s : features) {
    auto opt = [](const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); };
    feats[s.name] = {{"type", ValueTypeName(s.type)}, {"count", s.count}, {"nulls", s.nulls},
                     {"min", opt(s.min)},           {"max", opt(s.max)},  {"mean", opt(s.mean)}};
  }
  return Json{{"rows", rows}, {"features", std::move(feats)}}.dump();
}

}  // namespace plinth::features

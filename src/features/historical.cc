#include "features/historical.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <mutex>
#include <unordered_set>

#include "features/csv.h"
#include "features/big_vector.h"
#include "features/entity_key.h"
#include "features/event_time.h"
#include "features/parallel.h"
#include "features/row_sort.h"
#include "features/value_text.h"

namespace plinth::features {

using internal::ParallelFor;

// ---------------------------------------------------------------------------------------------
// EntityTable

Result<EntityTable> EntityTable::FromCsv(std::string body, int threads) {
  EntityTable t;
  t.text_ = std::move(body);
  std::string_view text = t.text_;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return InvalidArgument("the entity rows are empty: expected a CSV header and rows");
  }
  CsvReader header_reader(text);
  std::vector<CsvField> fields;
  if (!header_reader.Next(&fields)) {
    return InvalidArgument("the entity rows are not valid CSV: " + header_reader.error());
  }
  std::unordered_set<std::string> seen;
  for (const CsvField& f : fields) {
    std::string name(f.text);
    if (t.columns_.empty() && name.rfind("\xEF\xBB\xBF", 0) == 0) name.erase(0, 3);
    if (!seen.insert(name).second) {
      return InvalidArgument("column '" + name + "' appears twice in the entity rows");
    }
    t.columns_.push_back(std::move(name));
  }
  const size_t ncols = t.columns_.size();
  std::string_view rest = text.substr(header_reader.position());
  if (rest.find_first_not_of("\r\n") == std::string_view::npos) {
    return InvalidArgument("the entity rows have a header but no rows");
  }
  const uint64_t rest_base = header_reader.position();
  t.plain_ = std::memchr(text.data(), '"', text.size()) == nullptr;
  // Without quotes, records end at line ends: the text is split between threads, and each range's
  // line count bounds its records, so the ranges write their cells in place in one array (blank
  // lines leave gaps, closed afterwards). With quotes, one reader unescapes as it goes.
  const int n = t.plain_ ? internal::ThreadsFor(rest.size(), threads, 1 << 20) : 1;
  std::vector<std::string_view> ranges = SplitAtLineEnds(rest, n);
  std::vector<size_t> first_row(ranges.size() + 1, 0);  // of each range's cells, in rows
  if (t.plain_) {
    std::vector<LineScan> scans(ranges.size());
    ParallelFor(static_cast<int>(ranges.size()), [&](int i) { scans[i] = ScanLines(ranges[i]); });
    for (size_t i = 0; i < ranges.size(); ++i) first_row[i + 1] = first_row[i] + scans[i].lines;
    t.cells_.resize(first_row.back() * ncols);
  } else {
    t.cells_.reserve(rest.size() / 8);
  }
  std::vector<size_t> rows(ranges.size(), 0);      // records each range read
  std::vector<std::string> errors(ranges.size());  // "line\x1fmessage", line within the range
  ParallelFor(static_cast<int>(ranges.size()), [&](int i) {
    std::string_view range = ranges[i];
    const uint64_t base = static_cast<uint64_t>(range.data() - rest.data()) + rest_base;
    if (t.plain_) {  // no quotes: split at commas and line ends alone
      CellRef* out = t.cells_.data() + first_row[i] * ncols;
      const size_t capacity = first_row[i + 1] - first_row[i];
      std::vector<std::string_view> row(ncols);
      size_t pos = 0;
      while (size_t nf = SplitPlainRecord(range, &pos, &row)) {
        if (nf != ncols) {
          // The record's 1-based line in the range: line ends before its first field, as
          // CsvReader counts them ("\n", "\r\n" or a lone "\r").
          int64_t line = 1;
          for (const char* c = range.data(); c < row[0].data(); ++c) {
            line += *c == '\n' || (*c == '\r' && (c + 1 == row[0].data() || c[1] != '\n'));
          }
          errors[i] = std::to_string(line) + "\x1f" + "has " + std::to_string(nf) +
                      " fields; the header has " + std::to_string(ncols);
          return;
        }
        if (rows[i] == capacity) {  // cannot happen: every record ends a line
          errors[i] = "1\x1fhas more records than line ends";
          return;
        }
        for (std::string_view f : row) {
          *out++ = {base + static_cast<uint64_t>(f.data() - range.data()),
                    static_cast<uint32_t>(f.size()), f.empty() ? kNull : 0u};
        }
        ++rows[i];
      }
      return;
    }
    CsvReader reader(range);
    std::vector<CsvField> row;
    while (reader.Next(&row)) {
      if (row.size() != ncols) {
        errors[i] = std::to_string(reader.line()) + "\x1f" + "has " + std::to_string(row.size()) +
                    " fields; the header has " + std::to_string(ncols);
        return;
      }
      for (const CsvField& f : row) {
        CellRef ref{0, static_cast<uint32_t>(f.text.size()), 0};
        if (f.is_null()) {
          ref.flags = kNull;
        } else if (f.text.data() >= range.data() && f.text.data() < range.data() + range.size()) {
          ref.offset = base + static_cast<uint64_t>(f.text.data() - range.data());
        } else {  // unescaped into the scratch arena
          ref.offset = t.extra_.size();
          ref.flags = kInExtra;
          t.extra_.append(f.text);
        }
        t.cells_.push_back(ref);
      }
      ++rows[i];
    }
    if (!reader.error().empty()) {
      errors[i] = std::to_string(reader.line()) + "\x1f" + reader.error();
    }
  });
  // Lines before each range, to turn range-relative lines into file lines.
  int64_t lines_before = 1;  // the header
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (!errors[i].empty()) {
      size_t sep = errors[i].find('\x1f');
      int64_t line = std::stoll(errors[i].substr(0, sep)) + lines_before;
      return InvalidArgument("the entity rows are not valid CSV: line " + std::to_string(line) +
                             " " + errors[i].substr(sep + 1));
    }
    lines_before += std::count(ranges[i].begin(), ranges[i].end(), '\n');
  }
  if (t.plain_) {  // close the gaps blank lines left
    size_t at = rows[0];
    for (size_t i = 1; i < ranges.size(); ++i) {
      if (first_row[i] != at) {
        std::memmove(t.cells_.data() + at * ncols, t.cells_.data() + first_row[i] * ncols,
                     rows[i] * ncols * sizeof(CellRef));
      }
      at += rows[i];
    }
    t.cells_.resize(at * ncols);
  }
  t.rows_ = ncols == 0 ? 0 : t.cells_.size() / ncols;
  return t;
}

Result<EntityTable> EntityTable::FromRows(
    std::vector<std::string> columns,
    const std::vector<std::vector<std::optional<std::string>>>& rows) {
  EntityTable t;
  std::unordered_set<std::string> seen;
  for (const std::string& c : columns) {
    if (!seen.insert(c).second) {
      return InvalidArgument("column '" + c + "' appears twice in the entity rows");
    }
  }
  if (rows.empty()) return InvalidArgument("the request has no entity rows");
  t.columns_ = std::move(columns);
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != t.columns_.size()) {
      return InvalidArgument("entity row " + std::to_string(r + 1) + " has " +
                             std::to_string(rows[r].size()) + " cells; there are " +
                             std::to_string(t.columns_.size()) + " columns");
    }
    for (const auto& cell : rows[r]) {
      CellRef ref{t.text_.size(), 0, kNull};
      if (cell) {
        ref.length = static_cast<uint32_t>(cell->size());
        ref.flags = 0;
        t.text_.append(*cell);
      }
      t.cells_.push_back(ref);
    }
  }
  t.rows_ = rows.size();
  return t;
}

int EntityTable::FindColumn(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// The join

namespace {

constexpr int64_t kNoMatch = std::numeric_limits<int64_t>::min();

// The entity rows of one view that have a key, sorted by (key, time, row), with their keys and
// times laid out in that order so that the merge reads them sequentially.
struct KeyedRows {
  BigVector<uint32_t> order;        // position -> row
  BigVector<char> key_bytes;        // by position
  size_t key_width = 0;             // every key's length when all have one (all-int keys), or 0
  BigVector<uint64_t> key_offsets;  // when key_width is 0, position p: [off[p], off[p+1])
  BigVector<int64_t> times;         // by position

  size_t size() const { return order.size(); }
  std::string_view Key(size_t pos) const {
    if (key_width != 0) return std::string_view(key_bytes.data() + pos * key_width, key_width);
    return std::string_view(key_bytes.data() + key_offsets[pos],
                            key_offsets[pos + 1] - key_offsets[pos]);
  }
};

Status BadIntKey(size_t row, std::string_view cell, const JoinKey& key) {
  return InvalidArgument("entity row " + std::to_string(row + 1) + ": '" +
                         std::string(cell.substr(0, 64)) + "' in column '" + key.name +
                         "' is not an int");
}

// Keys by row when every join key is an int: fixed-width keys (8 bytes per key, row r's at
// r * width) written in place by `threads` threads; `order` gets the rows that have every key,
// ascending.
Status IntKeysByRow(const EntityTable& t, const std::vector<int>& key_cols,
                    const std::vector<JoinKey>& keys, int threads, BigVector<char>* row_keys,
                    BigVector<uint32_t>* order) {
  const size_t n = t.num_rows();
  const size_t width = 8 * keys.size();
  row_keys->resize(n * width);
  const int nt = internal::ThreadsFor(n, threads, 50000);
  std::vector<BigVector<uint32_t>> rows(nt);
  std::vector<size_t> bad(nt, n);  // per thread: its first row with an unparseable key
  ParallelFor(nt, [&](int k) {
    const size_t lo = n * k / nt, hi = n * (k + 1) / nt;
    rows[k].reserve(hi - lo);
    for (size_t r = lo; r < hi; ++r) {
      bool has_key = true;
      for (size_t p = 0; p < keys.size() && has_key; ++p) has_key = !t.IsNull(r, key_cols[p]);
      if (!has_key) continue;
      char* at = row_keys->data() + r * width;
      for (size_t p = 0; p < keys.size(); ++p) {
        int64_t v;
        if (!ParseIntText(t.Cell(r, key_cols[p]), &v)) {
          bad[k] = r;
          return;
        }
        PutIntKeyPart(v, at + 8 * p);
      }
      rows[k].push_back(static_cast<uint32_t>(r));
    }
  });
  const size_t first_bad = *std::min_element(bad.begin(), bad.end());
  if (first_bad < n) {
    for (size_t p = 0; p < keys.size(); ++p) {
      std::string_view cell = t.Cell(first_bad, key_cols[p]);
      int64_t v;
      if (!ParseIntText(cell, &v)) return BadIntKey(first_bad, cell, keys[p]);
    }
  }
  size_t total = 0;
  for (const auto& r : rows) total += r.size();
  order->reserve(total);
  for (const auto& r : rows) order->insert(order->end(), r.begin(), r.end());
  return Status::Ok();
}

Result<KeyedRows> KeyRows(const EntityTable& t, const std::vector<int>& key_cols,
                          const std::vector<JoinKey>& keys, const BigVector<int64_t>& times,
                          int threads) {
  const size_t n = t.num_rows();
  // Keys by row first.
  BigVector<char> row_keys;
  BigVector<uint64_t> row_offsets;
  KeyedRows k;
  const bool all_int = std::all_of(keys.begin(), keys.end(), [](const JoinKey& key) {
    return key.type == ValueType::kInt;
  });
  const size_t int_width = all_int ? 8 * keys.size() : 0;  // all-int keys: fixed width
  if (all_int) {
    RETURN_IF_ERROR(IntKeysByRow(t, key_cols, keys, threads, &row_keys, &k.order));
  } else {
    row_offsets.resize(n + 1);
    row_offsets[0] = 0;
    row_keys.reserve(n * 8);
    k.order.reserve(n);
    for (size_t r = 0; r < n; ++r) {
      bool has_key = true;
      for (size_t p = 0; p < keys.size() && has_key; ++p) has_key = !t.IsNull(r, key_cols[p]);
      if (has_key) {
        for (size_t p = 0; p < keys.size(); ++p) {
          std::string_view cell = t.Cell(r, key_cols[p]);
          if (keys[p].type == ValueType::kInt) {
            int64_t v;
            if (!ParseIntText(cell, &v)) return BadIntKey(r, cell, keys[p]);
            AppendIntKeyPart(v, &row_keys);
          } else {
            AppendStringKeyPart(cell, p + 1 == keys.size(), &row_keys);
          }
        }
        k.order.push_back(static_cast<uint32_t>(r));
      }
      row_offsets[r + 1] = row_keys.size();
    }
  }
  internal::SortRows(&k.order, {row_keys.data(), row_offsets.data(), int_width}, times.data(),
                     threads, &k.times);
  // Keys in sorted order, laid out by threads over ranges of positions (each range's bytes start
  // where the lengths before it end; fixed-width keys need no offsets).
  const size_t m = k.order.size();
  k.key_width = int_width;
  if (!all_int) {
    k.key_offsets.resize(m + 1);
    k.key_offsets[0] = 0;
  }
  const int nt = internal::ThreadsFor(m, threads, 50000);
  std::vector<size_t> range_bytes(nt + 1, 0);
  if (all_int) {
    for (int i = 0; i <= nt; ++i) range_bytes[i] = (m * i / nt) * int_width;
  } else {
    ParallelFor(nt, [&](int i) {
      size_t bytes = 0;
      for (size_t pos = m * i / nt, end = m * (i + 1) / nt; pos < end; ++pos) {
        const uint32_t r = k.order[pos];
        bytes += row_offsets[r + 1] - row_offsets[r];
      }
      range_bytes[i + 1] = bytes;
    });
    for (int i = 1; i <= nt; ++i) range_bytes[i] += range_bytes[i - 1];
  }
  k.key_bytes.resize(range_bytes[nt]);
  const bool one_int = all_int && keys.size() == 1;
  ParallelFor(nt, [&](int i) {
    size_t at = range_bytes[i];
    for (size_t pos = m * i / nt, end = m * (i + 1) / nt; pos < end; ++pos) {
      const uint32_t r = k.order[pos];
      if (all_int && pos + 16 < end) {
        __builtin_prefetch(row_keys.data() + size_t{k.order[pos + 16]} * int_width);
      }
      if (one_int) {  // a fixed-size copy
        std::memcpy(k.key_bytes.data() + at, row_keys.data() + size_t{r} * 8, 8);
        at += 8;
      } else if (all_int) {
        std::memcpy(k.key_bytes.data() + at, row_keys.data() + size_t{r} * int_width, int_width);
        at += int_width;
      } else {
        const size_t len = row_offsets[r + 1] - row_offsets[r];
        std::memcpy(k.key_bytes.data() + at, row_keys.data() + row_offsets[r], len);
        at += len;
      }
      if (!all_int) k.key_offsets[pos + 1] = at;
    }
  });
  return k;
}

struct JoinTarget {
  BigVector<uint64_t>* values;
  BigVector<uint8_t>* valid;
  std::vector<std::string>* strings;
  BigVector<int64_t>* best_ts;
  size_t nf;
  const std::vector<ValueType>* types;
};

// Merge-joins items [begin, end) with one segment. `columns[f]` is the segment column of
// requested feature f, or -1.
Status JoinSegment(const KeyedRows& rows, size_t begin, size_t end, const SegmentReader& seg,
                   const std::vector<int>& columns, int64_t ttl_ms, const JoinTarget& out) {
  const std::vector<BlockMeta>& blocks = seg.blocks();
  const size_t nblocks = blocks.size();
  if (nblocks == 0 || begin >= end) return Status::Ok();
  std::vector<bool> want(seg.schema().columns.size(), false);
  for (int c : columns) {
    if (c >= 0) want[c] = true;
  }
  // The first block that may hold the range's first key.
  std::string_view first_key = rows.Key(begin);
  size_t b = std::lower_bound(blocks.begin(), blocks.end(), first_key,
                              [](const BlockMeta& m, std::string_view key) {
                                return CompareKeys(m.last_key, key) < 0;
                              }) -
             blocks.begin();
  Block buf[2];
  int cur = 0;
  bool loaded = false;
  size_t r = 0;
  int prev_buf = -1;  // -1: no previous row with the current key
  size_t prev_row = 0;
  const size_t nf = out.nf;
  for (size_t it = begin; it < end; ++it) {
    const uint32_t row = rows.order[it];
    if (it + 8 < end) {  // result cells are written in row order, i.e. at random
      __builtin_prefetch(out.values->data() + static_cast<size_t>(rows.order[it + 8]) * out.nf, 1);
    }
    std::string_view key = rows.Key(it);
    const int64_t t = rows.times[it];
    if (prev_buf >= 0 && !KeysEqual(buf[prev_buf].Key(prev_row), key)) prev_buf = -1;
    while (b < nblocks) {
      if (!loaded) {
        if (CompareKeys(blocks[b].last_key, key) < 0) {  // nothing for this key: skip unread
          ++b;
          continue;
        }
        cur = prev_buf >= 0 ? 1 - prev_buf : 0;
        RETURN_IF_ERROR(seg.ReadBlock(b, want, &buf[cur]));
        loaded = true;
        r = 0;
      }
      const Block& blk = buf[cur];
      if (r >= blk.rows) {
        ++b;
        loaded = false;
        continue;
      }
      if (CompareKeys(blk.Key(r), key) < 0) {
        if (CompareKeys(blocks[b].last_key, key) < 0) {
          ++b;
          loaded = false;
          continue;
        }
        // Gallop to the first row whose key is >= key (one exists: last_key >= key).
        size_t lo = r, step = 1, hi = r + 1;
        while (hi < blk.rows && CompareKeys(blk.Key(hi), key) < 0) {
          lo = hi;
          step *= 2;
          hi = r + step;
        }
        hi = std::min(hi, blk.rows);
        while (hi - lo > 1) {  // invariant: Key(lo) < key <= Key(hi) (or hi == rows)
          size_t mid = lo + (hi - lo) / 2;
          if (CompareKeys(blk.Key(mid), key) < 0) {
            lo = mid;
          } else {
            hi = mid;
          }
        }
        r = hi;
      }
      while (r < blk.rows && blk.ts[r] <= t && KeysEqual(blk.Key(r), key)) {
        prev_buf = cur;
        prev_row = r;
        ++r;
      }
      if (r >= blk.rows) {  // the key may go on in the next block
        ++b;
        loaded = false;
        continue;
      }
      break;
    }
    if (prev_buf < 0) continue;
    const Block& pb = buf[prev_buf];
    const int64_t ft = pb.ts[prev_row];
    if (ttl_ms > 0 && t - ft > ttl_ms) continue;
    int64_t& best = (*out.best_ts)[it];  // by position
    if (ft < best) continue;  // an older segment had a later row
    best = ft;
    const size_t base = static_cast<size_t>(row) * nf;
    for (size_t f = 0; f < nf; ++f) {
      int c = columns[f];
      if (c < 0 || !pb.columns[c].Valid(prev_row)) {
        (*out.valid)[base + f] = 0;
        continue;
      }
      const BlockColumn& col = pb.columns[c];
      if ((*out.types)[f] == ValueType::kString) {
        (*out.valid)[base + f] = TrainingSet::kPlain;
        (*out.strings)[base + f].assign(col.String(prev_row));
      } else if ((*out.types)[f] == ValueType::kFloat && col.IsDecimal()) {
        (*out.valid)[base + f] = static_cast<uint8_t>(TrainingSet::kDecimal0 + col.codec.decimals);
        (*out.values)[base + f] = static_cast<uint64_t>(col.DecimalMantissa(prev_row));
      } else {
        (*out.valid)[base + f] = TrainingSet::kPlain;
        (*out.values)[base + f] = col.Get(prev_row);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<TrainingSet> JoinHistorical(EntityTable entities, std::vector<ViewRequest> views,
                                   std::vector<std::pair<int, int>> columns,
                                   const HistoricalOptions& options) {
  auto progress = [&](const char* stage, size_t done) {
    if (options.progress) options.progress({stage, done, views.size()});
  };
  progress("parse", 0);
  const size_t n = entities.num_rows();
  if (n >= std::numeric_limits<uint32_t>::max()) {
    return InvalidArgument("a training set request may have at most 4294967294 entity rows");
  }
  const int ts_col = entities.FindColumn(kEventTimestampColumn);
  if (ts_col < 0) return InvalidArgument("the entity rows have no 'event_timestamp' column");

  TrainingSet set;
  set.names_ = entities.columns();
  std::unordered_set<std::string> names(set.names_.begin(), set.names_.end());
  for (const auto& [v, f] : columns) {
    if (v < 0 || static_cast<size_t>(v) >= views.size() || f < 0 ||
        static_cast<size_t>(f) >= views[v].features.size()) {
      return Internal("a training set column refers to no requested feature");
    }
    const ViewRequest& vr = views[v];
    std::string name = options.full_feature_names ? vr.view.name + "__" + vr.features[f]
                                                  : vr.features[f];
    if (!names.insert(name).second) {
      return InvalidArgument(
          "the training set would have two columns named '" + name + "'" +
          (options.full_feature_names
               ? std::string()
               : "; ask for full feature names to get 'view__feature' column names"));
    }
    set.names_.push_back(std::move(name));
  }
  std::vector<std::vector<int>> key_cols(views.size());
  std::vector<std::vector<ValueType>> types(views.size());
  for (size_t v = 0; v < views.size(); ++v) {
    for (const JoinKey& k : views[v].view.join_keys) {
      int c = entities.FindColumn(k.name);
      if (c < 0) {
        return InvalidArgument("the entity rows have no column '" + k.name +
                               "', a join key of feature view '" + views[v].view.name + "'");
      }
      key_cols[v].push_back(c);
    }
    for (const std::string& name : views[v].features) {
      const Feature* f = views[v].view.FindFeature(name);
      if (f == nullptr) {
        return NotFound("feature view '" + views[v].view.name + "' has no feature '" + name + "'");
      }
      types[v].push_back(f->type);
    }
  }

  // Event times, parsed once for every view.
  BigVector<int64_t> times(n);
  {
    int nt = internal::ThreadsFor(n, options.threads, 50000);
    std::vector<size_t> bad(nt, n);
    ParallelFor(nt, [&](int t) {
      size_t lo = n * t / nt, hi = n * (t + 1) / nt;
      for (size_t r = lo; r < hi; ++r) {
        if (entities.IsNull(r, ts_col) || !ParseEventTimeMs(entities.Cell(r, ts_col), &times[r])) {
          bad[t] = r;
          return;
        }
      }
    });
    size_t first_bad = *std::min_element(bad.begin(), bad.end());
    if (first_bad < n) {
      if (entities.IsNull(first_bad, ts_col)) {
        return InvalidArgument("entity row " + std::to_string(first_bad + 1) +
                               " has no event_timestamp");
      }
      return InvalidArgument("entity row " + std::to_string(first_bad + 1) +
                             ": event_timestamp '" +
                             std::string(entities.Cell(first_bad, ts_col).substr(0, 64)) +
                             "' is not an RFC 3339 time, epoch seconds or epoch milliseconds");
    }
  }

  set.results_.resize(views.size());
  BigVector<int64_t> best_ts;
  for (size_t v = 0; v < views.size(); ++v) {
    const ViewRequest& vr = views[v];
    TrainingSet::ViewResult& res = set.results_[v];
    res.nf = vr.features.size();
    res.types = types[v];
    res.values.resize(n * res.nf);
    res.valid.resize(n * res.nf);
    {
      // Unmatched cells stay null; zeroed by two threads (this also takes the page faults).
      const int zt = internal::ThreadsFor(n, options.threads, 50000);
      ParallelFor(zt, [&](int t) {
        size_t lo = n * res.nf * t / zt, hi = n * res.nf * (t + 1) / zt;
        std::memset(res.values.data() + lo, 0, (hi - lo) * 8);
        std::memset(res.valid.data() + lo, 0, hi - lo);
      });
    }
    if (std::count(res.types.begin(), res.types.end(), ValueType::kString) > 0) {
      res.strings.resize(n * res.nf);
    }
    ASSIGN_OR_RETURN(KeyedRows rows,
                     KeyRows(entities, key_cols[v], vr.view.join_keys, times, options.threads));
    best_ts.assign(n, kNoMatch);
    const int64_t ttl_ms = vr.view.ttl_seconds * 1000;
    JoinTarget target{&res.values, &res.valid, &res.strings, &best_ts, res.nf, &res.types};

    // Segments the view's current join keys can read, and where each requested feature is.
    std::vector<const SegmentReader*> segments;
    std::vector<std::vector<int>> mapping;
    if (vr.snapshot) {
      for (const auto& seg : vr.snapshot->segments) {
        if (seg->schema().join_keys != vr.view.join_keys) continue;
        std::vector<int> cols;
        for (size_t f = 0; f < res.nf; ++f) cols.push_back(seg->schema().Find(vr.features[f], res.types[f]));
        segments.push_back(seg.get());
        mapping.push_back(std::move(cols));
      }
    }
    // Key ranges, cut between keys: two per thread, taken by the threads as they become free (a
    // thread the machine runs slower then joins fewer rows; each range costs at most one block
    // read twice).
    const size_t m = rows.size();
    const int nt = internal::ThreadsFor(m, options.threads, 20000);
    const size_t nranges = nt == 1 ? 1 : 2 * static_cast<size_t>(nt);
    std::vector<size_t> bounds(nranges + 1, 0);
    bounds[nranges] = m;
    for (size_t i = 1; i < nranges; ++i) {
      size_t b = std::max(bounds[i - 1], m * i / nranges);
      while (b > 0 && b < m && KeysEqual(rows.Key(b), rows.Key(b - 1))) {
        ++b;
      }
      bounds[i] = b;
    }
    std::vector<Status> errors(nranges);
    internal::ParallelForEach(nt, nranges, [&](size_t i, int) {
      for (size_t s = 0; s < segments.size() && errors[i].ok(); ++s) {
        errors[i] = JoinSegment(rows, bounds[i], bounds[i + 1], *segments[s], mapping[s], ttl_ms,
                                target);
      }
    });
    for (const Status& st : errors) RETURN_IF_ERROR(st);
    progress("join", v + 1);
  }
  set.entities_ = std::move(entities);
  set.feature_columns_ = std::move(columns);
  progress("done", views.size());
  return set;
}

// ---------------------------------------------------------------------------------------------
// TrainingSet

uint64_t TrainingSet::ViewResult::Bits(size_t idx) const {
  if (valid[idx] < kDecimal0) return values[idx];
  double d = DecimalValue(static_cast<int64_t>(values[idx]),
                          static_cast<uint8_t>(valid[idx] - kDecimal0));
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  return bits;
}

ValueType TrainingSet::column_type(size_t col) const {
  if (!is_feature_column(col)) return ValueType::kString;
  auto [v, f] = feature_columns_[col - entities_.columns().size()];
  return results_[v].types[f];
}

CellValue TrainingSet::Cell(size_t row, size_t col) const {
  CellValue out;
  const size_t ne = entities_.columns().size();
  if (col < ne) {
    out.type = ValueType::kString;
    out.is_null = entities_.IsNull(row, col);
    if (!out.is_null) out.s = entities_.Cell(row, col);
    return out;
  }
  auto [v, f] = feature_columns_[col - ne];
  const ViewResult& res = results_[v];
  const size_t idx = row * res.nf + f;
  out.type = res.types[f];
  out.is_null = res.valid[idx] == kNull;
  if (out.is_null) return out;
  uint64_t bits = res.Bits(idx);
  switch (out.type) {
    case ValueType::kFloat:
      std::memcpy(&out.f, &bits, sizeof(out.f));
      break;
    case ValueType::kInt:
      out.i = static_cast<int64_t>(bits);
      break;
    case ValueType::kBool:
      out.b = bits != 0;
      break;
    case ValueType::kString:
      out.s = res.strings[idx];
      break;
  }
  return out;
}

namespace {

// Writes `s` as a CSV field at p (room for 2 * size + 2 bytes) and returns the end. An empty
// string is written "" so that it differs from a null.
char* WriteCsvField(std::string_view s, char* p) {
  if (s.empty()) {
    *p++ = '"';
    *p++ = '"';
    return p;
  }
  if (!CsvNeedsQuotes(s)) {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
  }
  *p++ = '"';
  for (char c : s) {
    if (c == '"') *p++ = '"';
    *p++ = c;
  }
  *p++ = '"';
  return p;
}

}  // namespace

size_t TrainingSet::RowCsvBound(size_t row, bool string_features) const {
  size_t bound = 1 + feature_columns_.size() * (kMaxNumberText + 1);
  const size_t ne = entities_.columns().size();
  for (size_t c = 0; c < ne; ++c) bound += 2 * entities_.Cell(row, c).size() + 3;
  if (!string_features) return bound;
  for (const auto& [v, f] : feature_columns_) {
    const ViewResult& res = results_[v];
    if (res.types[f] == ValueType::kString) bound += 2 * res.strings[row * res.nf + f].size() + 3;
  }
  return bound;
}

char* TrainingSet::WriteRowCsv(size_t row, char* p) const {
  const size_t ne = entities_.columns().size();
  const bool plain = entities_.plain();
  for (size_t c = 0; c < ne; ++c) {
    if (c > 0) *p++ = ',';
    if (entities_.IsNull(row, c)) continue;
    const std::string_view cell = entities_.Cell(row, c);
    if (plain && !cell.empty()) {
      std::memcpy(p, cell.data(), cell.size());
      p += cell.size();
    } else {
      p = WriteCsvField(cell, p);
    }
  }
  for (const auto& [v, f] : feature_columns_) {
    *p++ = ',';
    const ViewResult& res = results_[v];
    const size_t idx = row * res.nf + f;
    const uint8_t state = res.valid[idx];
    if (state == kNull) continue;
    if (state >= kDecimal0) {  // a float written from its stored decimal
      const int64_t m = static_cast<int64_t>(res.values[idx]);
      const uint8_t decimals = static_cast<uint8_t>(state - kDecimal0);
      char* end = FormatDecimalText(m, decimals, p);
      p = end != nullptr ? end : FormatFloatText(DecimalValue(m, decimals), p);
      continue;
    }
    const uint64_t bits = res.values[idx];
    switch (res.types[f]) {
      case ValueType::kFloat: {
        double d;
        std::memcpy(&d, &bits, sizeof(d));
        p = FormatFloatText(d, p);
        break;
      }
      case ValueType::kInt:
        p = FormatIntText(static_cast<int64_t>(bits), p);
        break;
      case ValueType::kBool:
        if (bits) {
          std::memcpy(p, "true", 4);
          p += 4;
        } else {
          std::memcpy(p, "false", 5);
          p += 5;
        }
        break;
      case ValueType::kString:
        p = WriteCsvField(res.strings[idx], p);
        break;
    }
  }
  *p++ = '\n';
  return p;
}

Status TrainingSet::WriteCsv(const std::function<Status(std::string_view)>& sink,
                             int threads) const {
  std::string header;
  for (size_t c = 0; c < names_.size(); ++c) {
    if (c > 0) header.push_back(',');
    AppendCsvField(names_[c], &header);
  }
  header.push_back('\n');
  RETURN_IF_ERROR(sink(header));
  const size_t n = num_rows();
  constexpr size_t kChunkRows = 8192;
  const size_t nchunks = (n + kChunkRows - 1) / kChunkRows;
  const int nt = internal::ThreadsFor(n, threads, kChunkRows);
  // Each thread takes the lowest chunk none has taken, formats it into its own buffer and hands
  // it to the sink in chunk order, one call at a time: while one thread's piece is being written,
  // the others format.
  bool string_features = false;
  for (const auto& [v, f] : feature_columns_) {
    string_features = string_features || results_[v].types[f] == ValueType::kString;
  }
  std::mutex mu;
  std::condition_variable turn;
  size_t next = 0;  // GUARDED_BY(mu): the chunk to hand over next
  Status failed;    // GUARDED_BY(mu)
  std::vector<BigVector<char>> buffers(nt);  // per thread
  internal::ParallelForEach(nt, nchunks, [&](size_t c, int worker) {
    BigVector<char>& bytes = buffers[worker];
    size_t used = 0;
    for (size_t r = c * kChunkRows, hi = std::min(n, r + kChunkRows); r < hi; ++r) {
      const size_t bound = RowCsvBound(r, string_features);
      if (bytes.size() < used + bound) {
        bytes.resize(std::max(bytes.size() * 2, used + bound + (1 << 20)));
      }
      used = static_cast<size_t>(WriteRowCsv(r, bytes.data() + used) - bytes.data());
    }
    std::unique_lock<std::mutex> lock(mu);
    turn.wait(lock, [&] { return next == c || !failed.ok(); });
    if (!failed.ok()) return;
    Status st = sink(std::string_view(bytes.data(), used));
    if (!st.ok()) failed = st;
    ++next;
    turn.notify_all();
  });
  return failed;
}

std::string TrainingSet::ToCsv() const {
  std::string out;
  Status st = WriteCsv([&out](std::string_view piece) {
    out.append(piece);
    return Status::Ok();
  });
  return out;
}

}  // namespace plinth::features

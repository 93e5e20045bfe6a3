#include "features/csv_text_batch.h"

#include <algorithm>
#include <cstring>

#include "features/csv.h"
#include "features/decimal_text.h"

namespace plinth::features {

Result<std::unique_ptr<CsvTextBatch>> CsvTextBatch::Read(const FeatureView& view,
                                                         std::string_view body,
                                                         const ParseOptions& options) {
  std::unique_ptr<CsvTextBatch> batch(new CsvTextBatch());
  ASSIGN_OR_RETURN(batch->keys_, internal::ParseCsvKeys(view, body, options, &batch->index_));
  // Gathering reads the fields a record has; a not_null feature without a column fails in every
  // row, which is ParseBatch's to report.
  for (size_t f = 0; f < view.features.size(); ++f) {
    if (batch->index_.feature_columns[f] < 0 && view.features[f].rules.not_null) {
      return FailedPrecondition("not_null feature '" + view.features[f].name +
                                "' has no column in the batch");
    }
  }
  batch->body_ = body;
  batch->features_ = view.features;
  batch->field_feature_.assign(batch->index_.columns, -1);
  for (size_t f = 0; f < view.features.size(); ++f) {
    const int column = batch->index_.feature_columns[f];
    if (column >= 0) batch->field_feature_[column] = static_cast<int>(f);
  }
  for (const Feature& f : view.features) batch->rules_.emplace_back(f);
  return batch;
}

void CsvTextBatch::PrepareWorkers(int workers) {
  workers_.assign(std::max(1, workers), Worker());
  for (Worker& w : workers_) w.stats.resize(features_.size());
}

namespace {

inline bool IsDelimiter(char c) { return c == ',' || c == '\n' || c == '\r'; }

}  // namespace

bool CsvTextBatch::GatherCells(const uint32_t* rows, size_t n, int worker, Block* blk) {
  Worker& w = workers_[worker];
  const size_t ncols = index_.columns;
  const uint64_t* starts = index_.starts.data();
  const char* const text = body_.data();
  const char* const end = text + body_.size();
  bool bad = false;
  auto fail = [&bad](const char*) { bad = true; };
  // A float that is not a plain decimal makes its column's places unknown.
  constexpr int kUnknownPlaces = 1000;
  w.places.assign(features_.size(), 0);
  w.plan.assign(ncols - index_.first_field, FieldPlan());  // from the first feature's field on
  for (size_t c = index_.first_field; c < ncols; ++c) {
    const int f = field_feature_[c];
    if (f < 0) continue;
    FieldPlan& plan = w.plan[c - index_.first_field];
    plan.rules = &rules_[f];
    plan.column = &blk->columns[f];
    plan.stats = &w.stats[f];
    plan.places = &w.places[f];
    plan.float_without_rules = rules_[f].type() == ValueType::kFloat && !rules_[f].has_value_rules();
  }
  for (size_t i = 0; i < n && !bad; ++i) {
    // Rows come in segment order, that is at random: fetch where a record's cells start 48 rows
    // ahead, and the cache lines of the cells' first 97 bytes 24 rows ahead.
    if (i + 48 < n) __builtin_prefetch(starts + rows[i + 48]);
    if (i + 24 < n) {
      const char* ahead = text + starts[rows[i + 24]];
      __builtin_prefetch(ahead);
      __builtin_prefetch(ahead + 64);
      __builtin_prefetch(ahead + 96);
    }
    // The record's fields from the first feature's on, left to right: a float is parsed where it
    // starts (its end is the delimiter), other cells are cut at the next delimiter first.
    const char* p = text + starts[rows[i]];
    const uint8_t bit = static_cast<uint8_t>(1u << (i & 7));
    for (size_t c = index_.first_field; c < ncols; ++c) {
      const FieldPlan& plan = w.plan[c - index_.first_field];
      const char* q = p;
      if (plan.rules == nullptr) {
        q = FindCsvDelimiter(p, end);
      } else if (p == end || IsDelimiter(*p)) {  // an empty field: null
        if (plan.rules->not_null()) bad = true;
        BlockColumn& dst = *plan.column;
        dst.values[i] = plan.rules->type() == ValueType::kString ? dst.strings.size() << 24 : 0;
      } else {
        const internal::ValueRules& rules = *plan.rules;
        BlockColumn& dst = *plan.column;
        if (rules.type() == ValueType::kFloat) {
          double v;
          int places = kUnknownPlaces;
          q = internal::ParseFloatCell(p, end, &v, &places);
          *plan.places = std::max(*plan.places, places);
          if (q == nullptr || (q != end && !IsDelimiter(*q))) {
            bad = true;
            break;
          }
          if (!plan.float_without_rules) rules.CheckFloat(v, fail);
          std::memcpy(&dst.values[i], &v, sizeof(v));
          plan.stats->Add(v);
        } else {
          q = FindCsvDelimiter(p, end);
          const std::string_view cell(p, static_cast<size_t>(q - p));
          if (rules.type() == ValueType::kString) {
            if (!rules.CheckString(cell, fail)) break;
            dst.values[i] = (static_cast<uint64_t>(dst.strings.size()) << 24) | cell.size();
            dst.strings.append(cell);
            plan.stats->AddString();
          } else {
            if (!rules.ReadNumberCell(cell, &dst.values[i], fail)) break;
            plan.stats->Add(rules.type() == ValueType::kInt
                                ? static_cast<double>(static_cast<int64_t>(dst.values[i]))
                                : static_cast<double>(dst.values[i]));
          }
        }
        dst.valid_bits[i >> 3] |= bit;
      }
      p = q;
      // Read() checked every record's field count; a changed body would be caught here.
      if (c + 1 < ncols) {
        if (p == end || *p != ',') {
          bad = true;
          break;
        }
        ++p;
      } else if (p != end && *p == ',') {
        bad = true;
      }
    }
  }
  if (bad) {
    failed_.store(true, std::memory_order_relaxed);
    return false;
  }
  for (size_t f = 0; f < features_.size(); ++f) {
    if (features_[f].type == ValueType::kFloat && w.places[f] <= kMaxDecimals) {
      blk->columns[f].known_decimals = static_cast<uint8_t>(w.places[f]);
    }
  }
  return true;
}

bool CsvTextBatch::SkipRows(const uint32_t* rows, size_t n, int worker) {
  constexpr size_t kChunk = 4096;
  Block scratch;
  for (size_t begin = 0; begin < n; begin += kChunk) {
    const size_t m = std::min(kChunk, n - begin);
    scratch.Reset(features_.size());
    for (BlockColumn& column : scratch.columns) {
      column.values.resize(m);
      column.valid_bits.assign((m + 7) / 8, 0);
    }
    if (!GatherCells(rows + begin, m, worker, &scratch)) return false;
  }
  return true;
}

IngestStats CsvTextBatch::stats() const {
  IngestStats stats;
  stats.rows = static_cast<int64_t>(keys_.rows);
  for (size_t f = 0; f < features_.size(); ++f) {
    FeatureStatsAccumulator total;
    for (const Worker& w : workers_) total.Merge(w.stats[f]);
    stats.features.push_back(total.Finish(features_[f], stats.rows));
  }
  return stats;
}

}  // namespace plinth::features

#include "serving/batch_predict.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <thread>

namespace plinth::serving {

namespace {

std::string Describe(const LoadedModel& m) {
  return "model '" + m.model + "' version " + std::to_string(m.version);
}

// One part of the text: its output and bad rows.
struct Part {
  std::string csv;
  int64_t rows = 0;
  int64_t bad_rows = 0;
  std::vector<BadRow> bad;
  Status status;
};

class PartRunner {
 public:
  PartRunner(const LoadedModel& model, const BatchPredictOptions& options, std::string suffix)
      : model_(model),
        options_(options),
        width_(model.runtime->input_signature().num_features),
        outputs_(model.runtime->outputs_per_row()),
        suffix_(std::move(suffix)) {
    matrix_.resize(options.block_rows * width_);
    predictions_.resize(options.block_rows * outputs_);
  }

  void Run(RowReader reader, Part* part) {
    Row row;
    while (reader.Next(&row)) {
      if (row.error.empty()) MapRow(reader, &row);
      if (!row.error.empty()) {
        ++part->bad_rows;
        if (part->bad.size() < options_.max_bad_rows_kept) {
          part->bad.push_back(BadRow{row.line, std::move(row.error)});
        }
        if (options_.strict) return;
        continue;
      }
      lines_.push_back(row.line);
      if (lines_.size() == options_.block_rows) {
        part->status = Flush(part);
        if (!part->status.ok()) return;
      }
    }
    part->status = Flush(part);
  }

 private:
  // Writes the row's values into the next slot of the block; sets row->error for a key the model
  // does not take (JSON lines; CSV headers are checked up front).
  void MapRow(const RowReader& reader, Row* row) {
    const auto& columns = reader.columns();
    while (positions_.size() < columns.size()) {
      auto it = model_.feature_index.find(columns[positions_.size()]);
      positions_.push_back(it == model_.feature_index.end() ? -1 : static_cast<int64_t>(it->second));
    }
    float* slot = matrix_.data() + lines_.size() * width_;
    std::fill(slot, slot + width_, std::nanf(""));
    for (const RowCell& cell : row->cells) {
      int64_t pos = positions_[cell.column];
      if (pos < 0) {
        row->error = "field '" + columns[cell.column] + "' is not a feature of " + Describe(model_);
        return;
      }
      slot[pos] = cell.value;
    }
  }

  Status Flush(Part* part) {
    const size_t n = lines_.size();
    if (n == 0) return Status::Ok();
    RETURN_IF_ERROR(model_.runtime->Predict(matrix_.data(), n, width_, predictions_.data()));
    char buf[64];
    std::string& out = part->csv;
    for (size_t i = 0; i < n; ++i) {
      auto end = std::to_chars(buf, buf + sizeof(buf), lines_[i]).ptr;
      out.append(buf, end);
      for (size_t k = 0; k < outputs_; ++k) {
        out.push_back(',');
        end = std::to_chars(buf, buf + sizeof(buf), predictions_[i * outputs_ + k]).ptr;
        out.append(buf, end);
      }
      out.append(suffix_);
    }
    part->rows += static_cast<int64_t>(n);
    if (options_.progress) options_.progress->fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed);
    lines_.clear();
    return Status::Ok();
  }

  const LoadedModel& model_;
  const BatchPredictOptions& options_;
  const size_t width_;
  const size_t outputs_;
  const std::string suffix_;  // ",variant,version\n"
  std::vector<int64_t> positions_;  // reader column -> model feature position, -1: not a feature
  std::vector<float> matrix_;
  std::vector<float> predictions_;
  std::vector<int64_t> lines_;  // input line of each row in the block
};

}  // namespace

Result<BatchPredictResult> BatchPredict(const LoadedModel& model, std::string_view text,
                                        const BatchPredictOptions& options) {
  if (model.feature_index.empty()) {
    return InvalidArgument(Describe(model) + " has no feature names, so rows cannot be matched to it");
  }
  std::vector<std::string> columns;
  std::string_view body = text;
  int64_t first_line = 1;
  if (options.format == RowFormat::kCsv) {
    ASSIGN_OR_RETURN(CsvHeader header, ReadCsvHeader(text));
    for (const std::string& c : header.columns) {
      if (!model.feature_index.count(c)) {
        return InvalidArgument("column '" + c + "' is not a feature of " + Describe(model));
      }
    }
    columns = std::move(header.columns);
    body = text.substr(header.body_offset);
    first_line = header.body_line;
  }
  const size_t outputs = model.runtime->outputs_per_row();
  std::string suffix = "," + options.variant + "," + std::to_string(model.version) + "\n";
  std::vector<LineRange> ranges = SplitLines(body, std::max(1, options.threads), first_line);
  std::vector<Part> parts(ranges.size());
  auto run = [&](size_t i) {
    PartRunner runner(model, options, suffix);
    runner.Run(options.format == RowFormat::kCsv ? RowReader::Csv(ranges[i], columns)
                                                 : RowReader::Jsonl(ranges[i]),
               &parts[i]);
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < ranges.size(); ++i) threads.emplace_back(run, i);
  if (!ranges.empty()) run(0);
  for (auto& t : threads) t.join();

  BatchPredictResult result;
  result.csv = "line";
  if (outputs == 1) {
    result.csv += ",prediction";
  } else {
    for (size_t k = 0; k < outputs; ++k) result.csv += ",p" + std::to_string(k);
  }
  result.csv += ",variant,version\n";
  size_t size = result.csv.size();
  for (const Part& p : parts) size += p.csv.size();
  result.csv.reserve(size);
  for (Part& p : parts) {
    RETURN_IF_ERROR(p.status);
    result.rows += p.rows;
    result.bad_rows += p.bad_rows;
    for (BadRow& b : p.bad) {
      if (result.bad.size() < options.max_bad_rows_kept) result.bad.push_back(std::move(b));
    }
    result.csv += p.csv;
  }
  if (options.strict && !result.bad.empty()) {
    return InvalidArgument("line " + std::to_string(result.bad[0].line) + ": " + result.bad[0].message);
  }
  return result;
}

}  // namespace plinth::serving

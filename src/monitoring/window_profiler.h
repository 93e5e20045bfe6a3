#pragma once
// WindowProfiler: turns captured predictions (the request bodies and answers that serving's data
// capture stores) into a TableProfile of the model's inputs and outputs, plus quality metrics
// where ground-truth labels are joined, one record at a time in bounded memory.
//
// Records are buffered as columns and folded into the running profile every `chunk_rows` rows
// (TableProfile::FromTable + Merge), so memory is O(chunk_rows x columns + the profiles), never
// the window. A monitor feeds it from the capture table in chunks (monitor_runner.h).
//
// What a record may hold (the bodies plinth's predict and infer routes accept):
//   {"instances": [{"name": value, ...}, ...]}           named features
//   {"inputs": [[v, ...], ...]}                           rows by position
//   {"inputs": [{"name", "shape", "data"}, ...]}          Open Inference Protocol tensors
// Positional values take the names of `feature_columns` in order. Values must be numbers or
// null (missing). Names outside feature_columns are counted in unknown_columns() and ignored;
// feature columns a record lacks are missing for its rows. The outputs are the captured
// predictions: a list of numbers (one per row) or of lists (scores per class per row). The
// prediction column holds the value, or the argmax class for several outputs.
// A record that cannot be read (bad JSON, row counts that disagree) is skipped and counted in
// bad_records(): bad traffic never fails a monitor.
//
// Labels: a number for a one-row request, or a list with one number per row. Other shapes are
// counted in label_mismatches() and left out of quality. Thread-compatible.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitoring/profile.h"
#include "monitoring/quality.h"

namespace plinth::monitoring {

// The sketch size of monitor profiles (baselines and windows): k = 2048 keeps about 6k values
// (48 KB) per numeric column, holds every value of a column up to 2,048 rows, and keeps rank
// errors near 0.14% beyond.
inline constexpr uint32_t kMonitorSketchK = 2048;
inline ProfileOptions MonitorProfileOptions() {
  ProfileOptions options;
  options.numeric.sketch_k = kMonitorSketchK;
  return options;
}

struct WindowProfilerOptions {
  std::vector<std::string> feature_columns;      // profiled inputs, in positional order
  std::string prediction_column = "prediction";  // the outputs' column in the profile
  std::optional<QualityMetric> quality;          // scores labelled rows when set
  size_t chunk_rows = 10000;
  ProfileOptions profile = MonitorProfileOptions();
};

class WindowProfiler {
 public:
  explicit WindowProfiler(WindowProfilerOptions options);

  // One captured request. `label_json` is the joined label, or empty when there is none.
  void Add(std::string_view variant, std::string_view inputs_json, std::string_view outputs_json,
           std::string_view label_json = {});

  // The profile of everything added (columns: feature_columns then the prediction column;
  // empty columns when nothing was added). Call once.
  TableProfile Finish();

  uint64_t requests() const { return requests_; }
  uint64_t rows() const { return rows_; }
  uint64_t bad_records() const { return bad_records_; }
  uint64_t labelled_rows() const { return labelled_rows_; }
  uint64_t label_mismatches() const { return label_mismatches_; }
  const std::map<std::string, uint64_t>& unknown_columns() const { return unknown_; }
  // Quality over all variants and per variant (empty without a metric).
  std::optional<QualityResult> Quality() const;
  std::map<std::string, QualityResult> QualityByVariant() const;
  // The first reason a record was skipped, for the report.
  const std::string& first_bad_record() const { return first_bad_; }

 private:
  void Flush();

  WindowProfilerOptions options_;
  std::map<std::string, size_t, std::less<>> index_;  // feature name -> column
  std::vector<std::vector<double>> buffer_;           // features then prediction
  std::optional<TableProfile> profile_;
  uint64_t requests_ = 0, rows_ = 0, bad_records_ = 0, labelled_rows_ = 0, label_mismatches_ = 0;
  std::map<std::string, uint64_t> unknown_;
  std::optional<QualityAccumulator> quality_;
  std::map<std::string, QualityAccumulator> by_variant_;
  std::string first_bad_;
};

}  // namespace plinth::monitoring

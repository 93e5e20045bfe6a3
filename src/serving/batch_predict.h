#pragma once
// BatchPredict: one loaded model over every row of a CSV or JSON-lines text, producing the
// predictions as CSV — the engine of the server's batch jobs (batch_jobs.h) and of the batch
// benchmark. Rows are read with common/row_reader.h, the reader `plinth predict` uses.
//
// The text is split at line ends into `threads` parts, each read, predicted in blocks of
// `block_rows` rows with the model's runtime, and formatted by its own thread; the parts'
// outputs are joined in order. Output: a header `line,prediction,variant,version` (or
// `line,p0,..,p{k-1},variant,version` for k outputs per row), then one line per good input row in
// input order: its line number, the predictions (the shortest text that reads back as the same
// float32), the variant and version.
//
// Bad rows (a value that is not a number, a wrong field count, a JSON line that is not an object,
// a JSON key the model does not take) are counted and, up to max_bad_rows_kept, listed with their
// line numbers, then skipped; with `strict` the first one fails the whole call. Thread-safe:
// reads only the model and the text.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/row_reader.h"
#include "serving/model_cache.h"

namespace plinth::serving {

struct BatchPredictOptions {
  RowFormat format = RowFormat::kCsv;
  bool strict = false;
  int threads = 2;
  size_t block_rows = 1024;
  size_t max_bad_rows_kept = 1000;
  std::string variant;                      // written in the output's variant column
  std::atomic<int64_t>* progress = nullptr;  // rows predicted so far, when set
};

struct BadRow {
  int64_t line = 0;
  std::string message;
};

struct BatchPredictResult {
  std::string csv;
  int64_t rows = 0;      // rows predicted
  int64_t bad_rows = 0;  // rows skipped
  std::vector<BadRow> bad;  // the first max_bad_rows_kept of them, by line
};

// InvalidArgument for a CSV header naming a column the model does not take (or a model without
// feature names), and with `strict` for the first bad row ("line 7: column 'rain': 'x' is not a
// number"); the model's error (Internal) if it fails.
Result<BatchPredictResult> BatchPredict(const LoadedModel& model, std::string_view text,
                                        const BatchPredictOptions& options);

}  // namespace plinth::serving

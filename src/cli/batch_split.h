#pragma once
// Cutting a large CSV or JSON lines file into batches that each fit the server's body limit, at
// record boundaries, for `plinth features ingest`. Each batch of a CSV file starts with the
// file's header. A record longer than the limit is a batch of its own (the server then answers
// 413, naming the limit). Quotes are honoured: a newline inside a quoted CSV field does not end
// the record. Pure; thread-safe.

#include <cstddef>
#include <string_view>
#include <vector>

namespace plinth::cli {

struct TextBatches {
  std::string_view header;               // CSV: the header line with its newline; JSON lines: ""
  std::vector<std::string_view> bodies;  // the records of each batch, in file order
  std::vector<size_t> first_record;      // per batch: its first record's 1-based number
};

// `csv` false: JSON lines (blank lines are kept: the server skips them and counts them as lines).
// Each batch is at most `max_bytes` (header included) unless one record alone is larger.
TextBatches SplitTextBatches(std::string_view text, bool csv, size_t max_bytes);

}  // namespace plinth::cli

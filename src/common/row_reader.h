#pragma once
// RowReader: rows of named numbers, with their line numbers, from CSV or JSON lines — the input
// of batch inference, read the same way by `plinth predict` (the CLI) and by the server's batch
// jobs. It lives in common because the CLI links no subsystem (it talks HTTP).
//
// CSV: a header line of column names, then one row per line (LF or CRLF). Fields are separated
// by ',' and may be quoted with '"' (a quote inside doubled); a row never spans lines. An empty
// field, "nan" or "NaN" is missing; any other field must parse as a number (std::from_chars
// syntax plus an optional leading '+', surrounding spaces ignored).
// JSON lines: one JSON object per line, {"column": number | null | true | false}; null is missing.
// Blank lines are skipped in both formats.
//
// A line that cannot be read is returned as a row with `error` set (a sentence without the line
// number, e.g. "column 'rain': 'oops' is not a number") so that the caller decides to skip it or
// stop. Values are parsed as double then rounded to float32, as pandas + numpy do.
//
// A reader works over a range of the text so that several threads can each read one part
// (SplitLines); it keeps views into the text, which must outlive it. Not thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace plinth {

enum class RowFormat { kCsv, kJsonl };

// "csv" or "jsonl" (also "ndjson"); InvalidArgument otherwise.
Result<RowFormat> RowFormatFromName(std::string_view name);
const char* RowFormatName(RowFormat format);
// JSON lines when the first non-blank character is '{', else CSV.
RowFormat SniffRowFormat(std::string_view text);

struct RowCell {
  uint32_t column = 0;  // index into RowReader::columns()
  float value = 0;      // never NaN: missing values have no cell
};

struct Row {
  int64_t line = 0;  // 1-based line in the whole text
  std::vector<RowCell> cells;
  std::string error;  // set when the line could not be read (cells is then empty)
};

// The CSV header: the column names, and the offset and line number where the rows start.
struct CsvHeader {
  std::vector<std::string> columns;
  size_t body_offset = 0;
  int64_t body_line = 2;
};
// InvalidArgument when the text has no header line or a name is empty or repeated.
Result<CsvHeader> ReadCsvHeader(std::string_view text);

// Splits `text` into up to n ranges that end at line ends; each with the 1-based line number
// (counted from `first_line`) of its first line.
struct LineRange {
  std::string_view text;
  int64_t first_line = 1;
};
std::vector<LineRange> SplitLines(std::string_view text, int n, int64_t first_line);

class RowReader {
 public:
  // CSV rows of `columns` (from ReadCsvHeader) in `range`.
  static RowReader Csv(LineRange range, std::vector<std::string> columns);
  // JSON lines in `range`; columns are added as keys are first seen.
  static RowReader Jsonl(LineRange range);

  // Reads the next non-blank line into `row`. False at the end of the range.
  bool Next(Row* row);

  // Column names by index. For JSON lines this grows as Next sees new keys.
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  RowReader(RowFormat format, LineRange range, std::vector<std::string> columns);
  void ReadCsvLine(std::string_view line, Row* row);
  void ReadJsonLine(std::string_view line, Row* row);

  RowFormat format_;
  std::string_view text_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  std::vector<std::string> columns_;
  std::unordered_map<std::string, uint32_t> column_index_;  // JSON lines
  std::string scratch_;
};

}  // namespace plinth

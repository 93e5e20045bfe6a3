#pragma once
// Reading CSV text into a Table (table.h), for `plinth drift` and for baselines built from files.
//
// The format is RFC 4180 with a header row: fields separated by the delimiter, optionally quoted
// with '"' (a quote inside a quoted field is written twice; quoted fields may span lines), rows
// ended by LF or CRLF. Blank lines are skipped, so a one-column file writes a missing value as "".
// A UTF-8 byte order mark at the start is ignored. Spaces and tabs around a field are trimmed.
//
// Types are inferred per column: a column is numeric when every non-empty cell parses as a number
// (std::from_chars syntax plus an optional leading '+'; "nan" and "inf" parse, and count as
// missing); otherwise it is categorical and every cell is kept as text. A column with no
// non-empty cell is numeric with every value missing. Empty cells are missing in both kinds.
//
// The reader is one pass over the bytes for numeric columns, plus a second pass only when a
// column turns out to be categorical. It holds the whole input in memory. Thread-compatible.

#include <string>
#include <string_view>

#include "common/status.h"
#include "monitoring/table.h"

namespace plinth::monitoring {

struct CsvOptions {
  char delimiter = ',';
};

// Parses CSV text. InvalidArgument, naming the line, when the text is empty, a row has a
// different number of fields from the header, a quoted field is not closed or is followed by
// other characters, or a header name is empty or repeated.
Result<Table> ParseCsv(std::string_view text, const CsvOptions& options = {});

// Reads and parses a file. InvalidArgument naming the path when it cannot be read; parse errors
// are ParseCsv's, prefixed with the path.
Result<Table> ReadCsvFile(const std::string& path, const CsvOptions& options = {});

}  // namespace plinth::monitoring

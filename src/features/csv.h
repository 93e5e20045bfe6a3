#pragma once
// CSV as the feature store reads and writes it: RFC 4180 with a header row.
//
// Reading: fields are separated by ',' and records by "\n" or "\r\n"; a field may be quoted with
// '"' (a quote inside is doubled) and may then hold commas and line breaks. Blank lines are
// skipped. An unquoted empty field is a null; a quoted empty field ("") is an empty string.
// Writing quotes a field exactly when Python's csv module (QUOTE_MINIMAL, as pandas' to_csv) does:
// when it holds ',', '"', '\r' or '\n'; "\n" ends records.
//
// Not thread-safe; one reader per thread, each over its own range of text.

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::features {

struct CsvField {
  std::string_view text;  // unescaped; valid until the next call to Next()
  bool quoted = false;

  bool is_null() const { return !quoted && text.empty(); }
};

class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : text_(text) {}

  // Reads the next record into `fields` (cleared first). False at the end of the text or on a
  // malformed record (see error()).
  bool Next(std::vector<CsvField>* fields);

  // Set when Next() returned false because of malformed input ("an unterminated quoted field").
  const std::string& error() const { return error_; }
  // The 1-based line where the last record read starts.
  int64_t line() const { return record_line_; }
  // Offset in the text just after the last record read.
  size_t position() const { return pos_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  std::string error_;
  std::deque<std::string> unescaped_;  // fields with doubled quotes; stable addresses
};

// Reads one record of a text with no quote characters (so fields split at commas and records
// at line ends alone, as CsvReader would split them) into `cells`, keeping at most cells->size()
// fields; returns the number of fields, 0 at the end. Skips blank lines first; `pos` moves past
// the record. 64 bytes are scanned at a time (SSE2): the ingest and join hot path.
size_t SplitPlainRecord(std::string_view text, size_t* pos, std::vector<std::string_view>* cells);

// The first ',', '\n' or '\r' at or after p, or end; eight bytes at a time (SWAR: a byte equal
// to c becomes zero after xor, and the classic has-zero-byte test finds the lowest one exactly).
inline const char* FindCsvDelimiter(const char* p, const char* end) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t a = w ^ (kOnes * ','), b = w ^ (kOnes * '\n'), c = w ^ (kOnes * '\r');
    uint64_t hit = ((a - kOnes) & ~a) | ((b - kOnes) & ~b) | ((c - kOnes) & ~c);
    hit &= kHighs;
    if (hit != 0) return p + (__builtin_ctzll(hit) >> 3);
    p += 8;
  }
  while (p < end && *p != ',' && *p != '\n' && *p != '\r') ++p;
  return p;
}

// One pass over `text`: `lines` is its line ends ("\n", "\r\n" or a lone "\r") plus one for a
// last line without one, an upper bound on its records; `quotes` tells whether any '"' occurs
// (a text without one can be split at line ends and read by SplitPlainRecord).
struct LineScan {
  size_t lines = 0;
  bool quotes = false;
};
LineScan ScanLines(std::string_view text);

// True if `text` needs quoting under QUOTE_MINIMAL.
bool CsvNeedsQuotes(std::string_view text);
// Appends `text` as one CSV field, quoted if needed.
void AppendCsvField(std::string_view text, std::string* out);

// Splits `text` into up to n consecutive ranges, each ending at a line end, for parsing in
// parallel. (A quoted field holding a line break may straddle two ranges; callers whose input
// can have those parse it in one range.)
std::vector<std::string_view> SplitAtLineEnds(std::string_view text, int n);

}  // namespace plinth::features

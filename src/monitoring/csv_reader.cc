#include "monitoring/csv_reader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <unordered_map>

namespace plinth::monitoring {

namespace {

// Walks the rows of CSV text one field at a time. A field is a view into the text, or into
// `scratch_` when it was quoted and contained doubled quotes.
class Tokenizer {
 public:
  Tokenizer(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {
    if (text_.size() >= 3 && text_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
  }

  // Advances to the start of the next non-blank row. False at the end of the text.
  bool NextRow() {
    while (pos_ < text_.size()) {
      size_t p = pos_;
      while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t')) ++p;
      if (p < text_.size() && (text_[p] == '\n' || text_[p] == '\r')) {
        if (text_[p] == '\r' && p + 1 < text_.size() && text_[p + 1] == '\n') ++p;
        pos_ = p + 1;
        ++line_;
        continue;
      }
      if (p >= text_.size()) {
        pos_ = p;
        return false;
      }
      row_line_ = line_;
      row_done_ = false;
      return true;
    }
    return false;
  }

  // Reads the next field of the current row into `field`. False when the row has no more fields.
  Result<bool> NextField(std::string_view* field) {
    if (row_done_) return false;
    const size_t n = text_.size();
    size_t p = pos_;
    while (p < n && (text_[p] == ' ' || text_[p] == '\t')) ++p;
    if (p < n && text_[p] == '"') {
      ++p;
      const size_t start = p;
      bool escaped = false;
      while (true) {
        const void* hit = std::memchr(text_.data() + p, '"', n - p);
        if (hit == nullptr) {
          return InvalidArgument("line " + std::to_string(row_line_) +
                                 ": a quoted field is not closed");
        }
        p = static_cast<size_t>(static_cast<const char*>(hit) - text_.data());
        if (p + 1 < n && text_[p + 1] == '"') {
          escaped = true;
          p += 2;
          continue;
        }
        break;
      }
      std::string_view raw = text_.substr(start, p - start);
      for (char c : raw) line_ += (c == '\n') ? 1 : 0;
      ++p;  // the closing quote
      while (p < n && (text_[p] == ' ' || text_[p] == '\t')) ++p;
      if (p < n && text_[p] != delimiter_ && text_[p] != '\n' && text_[p] != '\r') {
        return InvalidArgument("line " + std::to_string(row_line_) +
                               ": unexpected text after a quoted field");
      }
      if (escaped) {
        scratch_.clear();
        for (size_t i = 0; i < raw.size(); ++i) {
          scratch_.push_back(raw[i]);
          if (raw[i] == '"') ++i;  // skip the second quote of a pair
        }
        *field = scratch_;
      } else {
        *field = raw;
      }
      pos_ = p;
      FinishField();
      return true;
    }
    const size_t start = p;
    while (p < n) {
      const char c = text_[p];
      if (c == delimiter_ || c == '\n' || c == '\r') break;
      ++p;
    }
    size_t end = p;
    while (end > start && (text_[end - 1] == ' ' || text_[end - 1] == '\t')) --end;
    *field = text_.substr(start, end - start);
    pos_ = p;
    FinishField();
    return true;
  }

  // The 1-based line on which the current row starts.
  size_t row_line() const { return row_line_; }

 private:
  // Consumes the delimiter or the end of the row after a field.
  void FinishField() {
    const size_t n = text_.size();
    if (pos_ < n && text_[pos_] == delimiter_) {
      ++pos_;
      return;
    }
    row_done_ = true;
    if (pos_ < n && text_[pos_] == '\r') ++pos_;
    if (pos_ < n && text_[pos_] == '\n') ++pos_;
    ++line_;
  }

  std::string_view text_;
  char delimiter_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t row_line_ = 1;
  bool row_done_ = true;
  std::string scratch_;
};

// Parses a whole numeric field. Empty fields, NaN and infinities become NaN (missing).
bool ParseNumber(std::string_view field, double* value) {
  if (field.empty()) {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  const char* begin = field.data();
  const char* end = begin + field.size();
  if (*begin == '+') {
    ++begin;
    if (begin == end || *begin == '+' || *begin == '-') return false;
  }
  double parsed = 0;
  auto [ptr, ec] = std::from_chars(begin, end, parsed);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) {
    // Overflow or underflow: keep the sign and magnitude class like strtod does.
    errno = 0;
    std::string copy(begin, end);
    parsed = std::strtod(copy.c_str(), nullptr);
  } else if (ec != std::errc()) {
    return false;
  }
  *value = IsPresent(parsed) ? parsed : std::numeric_limits<double>::quiet_NaN();
  return true;
}

Status RowLengthError(size_t line, size_t fields, size_t expected) {
  return InvalidArgument("line " + std::to_string(line) + " has " + std::to_string(fields) +
                         " field" + (fields == 1 ? "" : "s") + "; the header has " +
                         std::to_string(expected));
}

}  // namespace

Result<Table> ParseCsv(std::string_view text, const CsvOptions& options) {
  if (options.delimiter == '"' || options.delimiter == '\n' || options.delimiter == '\r') {
    return InvalidArgument("the CSV delimiter cannot be a quote or a line break");
  }
  Tokenizer header(text, options.delimiter);
  if (!header.NextRow()) return InvalidArgument("the CSV is empty: it needs a header row");
  std::vector<std::string> names;
  std::string_view field;
  while (true) {
    ASSIGN_OR_RETURN(bool more, header.NextField(&field));
    if (!more) break;
    if (field.empty()) {
      return InvalidArgument("line 1: header column " + std::to_string(names.size() + 1) +
                             " has no name");
    }
    if (std::find(names.begin(), names.end(), field) != names.end()) {
      return InvalidArgument("line 1: column '" + std::string(field) + "' appears twice");
    }
    names.emplace_back(field);
  }
  const size_t width = names.size();
  const size_t estimated_rows = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));

  // Pass 1: every column starts numeric and stays so while its cells parse.
  std::vector<std::vector<double>> numbers(width);
  std::vector<bool> numeric(width, true);
  for (auto& column : numbers) column.reserve(estimated_rows);
  Tokenizer rows = header;  // continues after the header row
  size_t row_count = 0;
  while (rows.NextRow()) {
    size_t i = 0;
    while (true) {
      ASSIGN_OR_RETURN(bool more, rows.NextField(&field));
      if (!more) break;
      if (i < width && numeric[i]) {
        double value = 0;
        if (ParseNumber(field, &value)) {
          numbers[i].push_back(value);
        } else {
          numeric[i] = false;
          std::vector<double>().swap(numbers[i]);
        }
      }
      ++i;
    }
    if (i != width) return RowLengthError(rows.row_line(), i, width);
    ++row_count;
  }

  // Pass 2, only for the columns that turned out categorical.
  std::vector<Column> columns(width);
  std::vector<std::unordered_map<std::string, int32_t>> dictionaries(width);
  bool any_categorical = false;
  for (size_t i = 0; i < width; ++i) {
    columns[i].name = names[i];
    if (numeric[i]) {
      columns[i].type = ColumnType::kNumeric;
      columns[i].numbers = std::move(numbers[i]);
    } else {
      any_categorical = true;
      columns[i].type = ColumnType::kCategorical;
      columns[i].codes.reserve(row_count);
    }
  }
  if (any_categorical) {
    Tokenizer again = header;
    while (again.NextRow()) {
      for (size_t i = 0; i < width; ++i) {
        ASSIGN_OR_RETURN(bool more, again.NextField(&field));
        if (!more) break;  // cannot happen: pass 1 checked every row's length
        if (numeric[i]) continue;
        Column& column = columns[i];
        if (field.empty()) {
          column.codes.push_back(-1);
          continue;
        }
        auto [it, inserted] = dictionaries[i].try_emplace(
            std::string(field), static_cast<int32_t>(column.categories.size()));
        if (inserted) column.categories.emplace_back(field);
        column.codes.push_back(it->second);
      }
      while (true) {  // drain the row (pass 1 guaranteed its length)
        ASSIGN_OR_RETURN(bool more, again.NextField(&field));
        if (!more) break;
      }
    }
  }

  Table table;
  for (Column& column : columns) RETURN_IF_ERROR(table.AddColumn(std::move(column)));
  return table;
}

Result<Table> ReadCsvFile(const std::string& path, const CsvOptions& options) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return InvalidArgument("cannot read " + path + ": " + std::strerror(errno));
  std::string text;
  if (std::fseek(file.get(), 0, SEEK_END) == 0) {
    long size = std::ftell(file.get());
    if (size > 0) text.reserve(static_cast<size_t>(size));
    std::rewind(file.get());
  }
  char buffer[1 << 16];
  while (true) {
    size_t got = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, got);
    if (got < sizeof buffer) break;
  }
  if (std::ferror(file.get())) {
    return InvalidArgument("cannot read " + path + ": " + std::strerror(errno));
  }
  auto table = ParseCsv(text, options);
  if (!table.ok()) return InvalidArgument(path + ": " + table.status().message());
  return table;
}

}  // namespace plinth::monitoring

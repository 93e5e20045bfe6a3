#include "common/row_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <set>

#include <nlohmann/json.hpp>

namespace plinth {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool IsBlank(std::string_view line) { return Trim(line).empty(); }

// Splits one CSV line into fields (views into `line`, or into `scratch` for quoted fields).
// Returns false for an unterminated quote.
bool SplitCsv(std::string_view line, std::vector<std::string_view>* fields,
              std::deque<std::string>* scratch) {
  fields->clear();
  size_t pos = 0;
  size_t used_scratch = 0;
  for (;;) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    if (pos < line.size() && line[pos] == '"') {
      if (used_scratch == scratch->size()) scratch->emplace_back();
      std::string& out = (*scratch)[used_scratch++];
      out.clear();
      ++pos;
      bool closed = false;
      while (pos < line.size()) {
        char c = line[pos++];
        if (c == '"') {
          if (pos < line.size() && line[pos] == '"') {
            out += '"';
            ++pos;
          } else {
            closed = true;
            break;
          }
        } else {
          out += c;
        }
      }
      if (!closed) return false;
      fields->push_back(out);
      size_t comma = line.find(',', pos);
      if (comma == std::string_view::npos) return true;
      pos = comma + 1;
      continue;
    }
    size_t comma = line.find(',', pos);
    if (comma == std::string_view::npos) {
      fields->push_back(line.substr(pos));
      return true;
    }
    fields->push_back(line.substr(pos, comma - pos));
    pos = comma + 1;
  }
}

// A number, or NaN for missing. False when the text is not a number.
bool ParseCell(std::string_view text, double* out) {
  text = Trim(text);
  if (text.empty() || text == "nan" || text == "NaN" || text == "NA") {
    *out = std::nan("");
    return true;
  }
  if (text.front() == '+') text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<RowFormat> RowFormatFromName(std::string_view name) {
  if (name == "csv") return RowFormat::kCsv;
  if (name == "jsonl" || name == "ndjson") return RowFormat::kJsonl;
  return InvalidArgument("format '" + std::string(name.substr(0, 40)) +
                         "' is not one of 'csv' and 'jsonl'");
}

const char* RowFormatName(RowFormat format) { return format == RowFormat::kCsv ? "csv" : "jsonl"; }

RowFormat SniffRowFormat(std::string_view text) {
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' ? RowFormat::kJsonl : RowFormat::kCsv;
  }
  return RowFormat::kCsv;
}

Result<CsvHeader> ReadCsvHeader(std::string_view text) {
  CsvHeader header;
  size_t pos = 0;
  int64_t line = 1;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view first = text.substr(pos, end - pos);
    pos = std::min(text.size(), end + 1);
    if (IsBlank(first)) {
      ++line;
      continue;
    }
    std::vector<std::string_view> fields;
    std::deque<std::string> scratch;
    if (!SplitCsv(Trim(first), &fields, &scratch)) {
      return InvalidArgument("line " + std::to_string(line) + ": a quoted name is not closed");
    }
    std::set<std::string> seen;
    for (std::string_view f : fields) {
      std::string name(Trim(f));
      if (name.empty()) return InvalidArgument("the CSV header has an empty column name");
      if (!seen.insert(name).second) {
        return InvalidArgument("the CSV header names column '" + name + "' twice");
      }
      header.columns.push_back(std::move(name));
    }
    header.body_offset = pos;
    header.body_line = line + 1;
    return header;
  }
  return InvalidArgument("the CSV text is empty: it needs a header line of column names");
}

std::vector<LineRange> SplitLines(std::string_view text, int n, int64_t first_line) {
  std::vector<LineRange> out;
  n = std::max(1, n);
  size_t begin = 0;
  int64_t line = first_line;
  for (int i = 0; i < n && begin < text.size(); ++i) {
    size_t end = text.size();
    if (i + 1 < n) {
      size_t target = begin + (text.size() - begin) / static_cast<size_t>(n - i);
      size_t nl = text.find('\n', std::max(target, begin));
      end = nl == std::string_view::npos ? text.size() : nl + 1;
    }
    std::string_view part = text.substr(begin, end - begin);
    out.push_back(LineRange{part, line});
    line += std::count(part.begin(), part.end(), '\n');
    begin = end;
  }
  return out;
}

RowReader::RowReader(RowFormat format, LineRange range, std::vector<std::string> columns)
    : format_(format), text_(range.text), line_(range.first_line), columns_(std::move(columns)) {}

RowReader RowReader::Csv(LineRange range, std::vector<std::string> columns) {
  return RowReader(RowFormat::kCsv, range, std::move(columns));
}

RowReader RowReader::Jsonl(LineRange range) { return RowReader(RowFormat::kJsonl, range, {}); }

bool RowReader::Next(Row* row) {
  while (pos_ < text_.size()) {
    const char* start = text_.data() + pos_;
    const void* nl = std::memchr(start, '\n', text_.size() - pos_);
    size_t len = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) : text_.size() - pos_;
    std::string_view line(start, len);
    pos_ += len + 1;
    const int64_t number = line_++;
    if (IsBlank(line)) continue;
    row->line = number;
    row->cells.clear();
    row->error.clear();
    if (format_ == RowFormat::kCsv) {
      ReadCsvLine(line, row);
    } else {
      ReadJsonLine(line, row);
    }
    if (!row->error.empty()) row->cells.clear();
    return true;
  }
  return false;
}

void RowReader::ReadCsvLine(std::string_view line, Row* row) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // The common case, no quotes: walk the commas directly.
  if (line.find('"') == std::string_view::npos) {
    size_t pos = 0;
    uint32_t column = 0;
    for (;;) {
      size_t comma = line.find(',', pos);
      std::string_view field =
          line.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
      if (column < columns_.size()) {
        double v;
        if (!ParseCell(field, &v)) {
          row->error = "column '" + columns_[column] + "': '" + std::string(Trim(field).substr(0, 40)) +
                       "' is not a number";
          return;
        }
        if (!std::isnan(v)) row->cells.push_back(RowCell{column, static_cast<float>(v)});
      }
      ++column;
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    if (column != columns_.size()) {
      row->error = "has " + std::to_string(column) + " fields, the header has " +
                   std::to_string(columns_.size());
    }
    return;
  }
  std::vector<std::string_view> fields;
  std::deque<std::string> scratch;
  if (!SplitCsv(line, &fields, &scratch)) {
    row->error = "a quoted field is not closed";
    return;
  }
  if (fields.size() != columns_.size()) {
    row->error = "has " + std::to_string(fields.size()) + " fields, the header has " +
                 std::to_string(columns_.size());
    return;
  }
  for (uint32_t c = 0; c < fields.size(); ++c) {
    double v;
    if (!ParseCell(fields[c], &v)) {
      row->error = "column '" + columns_[c] + "': '" + std::string(Trim(fields[c]).substr(0, 40)) +
                   "' is not a number";
      return;
    }
    if (!std::isnan(v)) row->cells.push_back(RowCell{c, static_cast<float>(v)});
  }
}

void RowReader::ReadJsonLine(std::string_view line, Row* row) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    row->error = "is not a JSON object";
    return;
  }
  for (const auto& [key, value] : j.items()) {
    double v;
    if (value.is_null()) continue;
    if (value.is_number()) {
      v = value.get<double>();
    } else if (value.is_boolean()) {
      v = value.get<bool>() ? 1 : 0;
    } else {
      row->error = "field '" + key + "' is not a number";
      return;
    }
    if (std::isnan(v)) continue;
    auto [it, added] = column_index_.emplace(key, static_cast<uint32_t>(columns_.size()));
    if (added) columns_.push_back(key);
    row->cells.push_back(RowCell{it->second, static_cast<float>(v)});
  }
}

}  // namespace plinth

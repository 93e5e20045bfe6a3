#include "cli/output.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

namespace plinth::cli {

namespace {

using Json = nlohmann::json;

constexpr std::array<const char*, 5> kIdentityKeys = {"id", "name", "model", "version", "alias"};

size_t DisplayWidth(const std::string& s) {
  // Counts UTF-8 code points: every byte that is not a continuation byte (10xxxxxx).
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

bool IsTime(const std::string& key, const Json& value) {
  return value.is_number_integer() && IsTimeField(key);
}

// The object's keys, identity keys first.
std::vector<std::string> OrderedKeys(const Json& object) {
  std::vector<std::string> keys;
  for (const char* k : kIdentityKeys) {
    if (object.contains(k)) keys.emplace_back(k);
  }
  for (const auto& [key, value] : object.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  return keys;
}

bool IsEmptyContainer(const Json& v) { return (v.is_object() || v.is_array()) && v.empty(); }

// "label<padding>value\n", without trailing spaces when the value is empty.
void AppendLine(const std::string& label, size_t padding, const std::string& value,
                std::string* out) {
  std::string line = label + std::string(padding, ' ') + OneLine(value);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  *out += line + "\n";
}

void AppendObject(const Json& object, int indent, std::string* out) {
  std::vector<std::string> keys = OrderedKeys(object);
  size_t width = 0;
  for (const std::string& k : keys) width = std::max(width, DisplayWidth(k));
  const std::string pad(indent, ' ');
  for (const std::string& key : keys) {
    const Json& value = object[key];
    std::string label = pad + key + ":";
    if (value.is_object() && !value.empty()) {
      *out += label + "\n";
      AppendObject(value, indent + 2, out);
      continue;
    }
    if (value.is_array() && !value.empty() && !value[0].is_object()) {
      std::string joined;
      for (const Json& element : value) {
        if (!joined.empty()) joined += ", ";
        joined +=
            element.is_object() || element.is_array() ? element.dump() : FormatScalar(element);
      }
      AppendLine(label, width - DisplayWidth(key) + 1, joined, out);
      continue;
    }
    if (value.is_array() && !value.empty()) {
      *out += label + "\n";
      for (const Json& element : value) {
        std::string line = element.is_object() ? FormatInlineMap(element) : element.dump();
        *out += pad + "  - " + OneLine(line) + "\n";
      }
      continue;
    }
    std::string text;
    if (IsEmptyContainer(value)) {
      text = "-";
    } else if (IsTime(key, value)) {
      int64_t ms = value.get<int64_t>();
      text = FormatTimeMs(ms) + " (" + std::to_string(ms) + ")";
    } else {
      text = FormatScalar(value);
    }
    AppendLine(label, width - DisplayWidth(key) + 1, text, out);
  }
}

std::string FormatTime(int64_t ms, const char* format, bool with_millis) {
  int64_t seconds = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(ms);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, format, &tm);
  std::string text(buf, n);
  if (with_millis) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(millis));
    text += frac;
  }
  return text;
}

}  // namespace

bool IsTimeField(const std::string& key) {
  return key == "timestamp" || (key.size() > 3 && key.compare(key.size() - 3, 3, "_ms") == 0);
}

Column FieldColumn(std::string header, std::string field) {
  return Column{std::move(header), [field](const Json& item) -> std::string {
                  if (!item.is_object() || !item.contains(field)) return "-";
                  const Json& value = item[field];
                  if (IsTime(field, value)) return FormatTimeMsShort(value.get<int64_t>());
                  if (value.is_object()) return value.empty() ? "-" : FormatInlineMap(value);
                  if (value.is_array()) return value.empty() ? "-" : value.dump();
                  return FormatScalar(value);
                }};
}

Column RawFieldColumn(std::string header, std::string field) {
  return Column{std::move(header), [field](const Json& item) -> std::string {
                  if (!item.is_object() || !item.contains(field)) return "-";
                  const Json& value = item[field];
                  return value.is_object() || value.is_array() ? value.dump() : FormatScalar(value);
                }};
}

std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
  const size_t columns = headers.size();
  std::vector<size_t> widths(columns, 0);
  auto cell = [&](const std::vector<std::string>& row, size_t i) {
    return i < row.size() ? OneLine(row[i]) : std::string();
  };
  for (size_t i = 0; i < columns; ++i) widths[i] = DisplayWidth(headers[i]);
  for (const auto& row : rows) {
    for (size_t i = 0; i < columns; ++i)
      widths[i] = std::max(widths[i], DisplayWidth(cell(row, i)));
  }
  std::string out;
  auto append_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < columns; ++i) {
      std::string text = cell(row, i);
      line += text;
      if (i + 1 < columns) line += std::string(widths[i] - DisplayWidth(text) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  append_row(headers);
  for (const auto& row : rows) append_row(row);
  return out;
}

std::string FormatList(const std::vector<Column>& columns, const Json& items) {
  std::vector<std::string> headers;
  for (const Column& c : columns) headers.push_back(c.header);
  std::vector<std::vector<std::string>> rows;
  if (items.is_array()) {
    for (const Json& item : items) {
      std::vector<std::string> row;
      for (const Column& c : columns) row.push_back(c.cell(item));
      rows.push_back(std::move(row));
    }
  }
  return FormatTable(headers, rows);
}

std::string FormatObject(const Json& object) {
  if (!object.is_object()) return FormatScalar(object) + "\n";
  std::string out;
  AppendObject(object, 0, &out);
  return out;
}

std::string FormatScalar(const Json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::string FormatInlineMap(const Json& object) {
  std::string out;
  for (const auto& [key, value] : object.items()) {
    if (!out.empty()) out += " ";
    out += key + "=" + (value.is_object() || value.is_array() ? value.dump() : FormatScalar(value));
  }
  return out;
}

std::string FormatTimeMs(int64_t ms) { return FormatTime(ms, "%Y-%m-%dT%H:%M:%S", true) + "Z"; }

std::string FormatTimeMsShort(int64_t ms) { return FormatTime(ms, "%Y-%m-%d %H:%M:%S", false); }

}  // namespace plinth::cli

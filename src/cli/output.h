#pragma once
// Rendering API objects for people: an aligned table for a list, "key: value" lines for one
// object. All functions are pure; they return text ending in '\n' (or "" for nothing).
//
// Scalars render as: strings as themselves, null as "-", numbers as JSON text, booleans as
// true/false. Integer fields named "*_ms" or "timestamp" are times, rendered in UTC.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace plinth::cli {

// One table column: its header and how to render an item's cell.
struct Column {
  std::string header;
  std::function<std::string(const nlohmann::json& item)> cell;
};

// A column that shows item[field] (times in the table form of FormatTimeMs).
Column FieldColumn(std::string header, std::string field);

// A column that shows item[field] as plain JSON text (times as integers).
Column RawFieldColumn(std::string header, std::string field);

// Headers and rows as columns separated by two spaces, each padded to its widest cell (widths in
// UTF-8 code points); the last column is not padded. Tabs and newlines in cells become spaces.
// Rows shorter than the header get empty cells.
std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);

// FormatTable over a JSON array of items.
std::string FormatList(const std::vector<Column>& columns, const nlohmann::json& items);

// One object as "key: value" lines, values aligned. Identity keys (id, name, model, version,
// alias) come first, the rest in key order. Nested objects are indented below their key; arrays
// of scalars are joined with ", "; arrays of objects list one "- k=v k=v" line per element;
// empty objects and arrays render as "-".
std::string FormatObject(const nlohmann::json& object);

// A scalar cell or value, as described above, without time formatting.
std::string FormatScalar(const nlohmann::json& value);

// A flat object as "k=v k=v" in key order (nested values as compact JSON); "" when empty.
std::string FormatInlineMap(const nlohmann::json& object);

// Milliseconds since the epoch in UTC: "2024-05-01T12:00:00.123Z".
std::string FormatTimeMs(int64_t ms);

// The shorter table form: "2024-05-01 12:00:00".
std::string FormatTimeMsShort(int64_t ms);

// Whether a field of this name holding an integer is a time.
bool IsTimeField(const std::string& key);

}  // namespace plinth::cli

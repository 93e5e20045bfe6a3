#include "monitoring/table.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace plinth::monitoring {

const char* ColumnTypeName(ColumnType type) {
  return type == ColumnType::kNumeric ? "numeric" : "categorical";
}

size_t Column::missing() const {
  if (type == ColumnType::kNumeric) {
    return static_cast<size_t>(
        std::count_if(numbers.begin(), numbers.end(), [](double v) { return !IsPresent(v); }));
  }
  return static_cast<size_t>(std::count(codes.begin(), codes.end(), -1));
}

Column Column::Numeric(std::string name, std::vector<double> values) {
  Column column;
  column.name = std::move(name);
  column.type = ColumnType::kNumeric;
  column.numbers = std::move(values);
  return column;
}

Column Column::Categorical(std::string name, const std::vector<std::string>& values) {
  Column column;
  column.name = std::move(name);
  column.type = ColumnType::kCategorical;
  column.codes.reserve(values.size());
  std::unordered_map<std::string, int32_t> index;
  for (const std::string& value : values) {
    if (value.empty()) {
      column.codes.push_back(-1);
      continue;
    }
    auto [it, inserted] = index.emplace(value, static_cast<int32_t>(column.categories.size()));
    if (inserted) column.categories.push_back(value);
    column.codes.push_back(it->second);
  }
  return column;
}

Status Table::AddColumn(Column column) {
  if (column.name.empty()) return InvalidArgument("a column needs a name");
  if (Find(column.name) != nullptr) {
    return InvalidArgument("column '" + column.name + "' appears twice");
  }
  if (!columns_.empty() && column.size() != rows()) {
    return InvalidArgument("column '" + column.name + "' has " + std::to_string(column.size()) +
                           " rows; the table has " + std::to_string(rows()));
  }
  if (column.type == ColumnType::kCategorical) {
    const auto limit = static_cast<int32_t>(column.categories.size());
    for (int32_t code : column.codes) {
      if (code < -1 || code >= limit) {
        return InvalidArgument("column '" + column.name + "' has a code outside its dictionary");
      }
    }
    std::unordered_set<std::string_view> seen;
    for (const std::string& category : column.categories) {
      if (!seen.insert(category).second) {
        return InvalidArgument("column '" + column.name + "' lists category '" + category +
                               "' twice");
      }
    }
  } else if (!column.codes.empty() || !column.categories.empty()) {
    return InvalidArgument("numeric column '" + column.name + "' carries categorical codes");
  }
  columns_.push_back(std::move(column));
  return Status::Ok();
}

const Column* Table::Find(std::string_view name) const {
  for (const Column& column : columns_) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

std::string Table::ColumnNames() const {
  std::string names;
  for (const Column& column : columns_) {
    if (!names.empty()) names += ", ";
    names += column.name;
  }
  return names;
}

}  // namespace plinth::monitoring

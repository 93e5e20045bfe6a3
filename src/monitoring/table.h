#pragma once
// A table of named, equally long columns: the unit that profiles and drift tests work on.
//
// A column is either numeric or categorical. Numeric columns hold doubles, and a value that is
// not finite (NaN, +inf, -inf) counts as missing: a CSV's empty cells arrive as NaN. Categorical
// columns are dictionary-encoded: `codes[i]` indexes `categories`, and code -1 is missing. The
// two samples a drift test compares are two Tables with the same column names; their category
// dictionaries are independent (categories are matched by their text, never by their code).
//
// Tables are plain values with no hidden state: build them with the helpers below or read one
// with csv_reader.h. Concurrent reads are safe; writes need the caller's synchronization.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plinth::monitoring {

enum class ColumnType { kNumeric, kCategorical };

// "numeric" or "categorical".
const char* ColumnTypeName(ColumnType type);

// True for the values a numeric column counts as present (finite doubles).
inline bool IsPresent(double value) { return std::isfinite(value); }

struct Column {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  std::vector<double> numbers;          // kNumeric: one value per row; non-finite = missing
  std::vector<int32_t> codes;           // kCategorical: index into categories, -1 = missing
  std::vector<std::string> categories;  // kCategorical: the distinct values, no duplicates

  size_t size() const { return type == ColumnType::kNumeric ? numbers.size() : codes.size(); }
  // Rows holding a missing value.
  size_t missing() const;

  // A numeric column over `values` (non-finite values are missing).
  static Column Numeric(std::string name, std::vector<double> values);
  // A categorical column; an empty string is a missing value.
  static Column Categorical(std::string name, const std::vector<std::string>& values);
};

class Table {
 public:
  Table() = default;

  // Appends a column. InvalidArgument if the name is empty or already taken, if the column's
  // length differs from the columns already added, or if a categorical column's codes or
  // dictionary are inconsistent.
  Status AddColumn(Column column);

  const std::vector<Column>& columns() const { return columns_; }
  // The column of that name, or nullptr.
  const Column* Find(std::string_view name) const;
  // Rows in every column (0 for a table without columns).
  size_t rows() const { return columns_.empty() ? 0 : columns_.front().size(); }
  // "a, b, c": the column names in order, for messages.
  std::string ColumnNames() const;

 private:
  std::vector<Column> columns_;
};

}  // namespace plinth::monitoring

#pragma once
// Compiles a run search (MLflow's filter syntax) into SQL over the tracking tables.
//
// filter   := clause ("and" clause)*
// clause   := field op value
// field    := ("metrics" | "params" | "tags" | "attributes") "." key  |  attribute
// key      := [A-Za-z0-9_.\-/:]+  |  `any text`  |  "any text"
// op       := = != < <= > >=  (metrics, start_ms, end_ms: numbers)
//             = != LIKE ILIKE (params, tags, status, name: quoted strings)
// attribute:= status | name | start_ms | end_ms
// order_by := field [ASC|DESC]; rows that lack the key sort last.
//
// The SQL refers to the runs table as `r`. Keywords are case-insensitive.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/status.h"

namespace plinth::tracking {

using SqlValue = std::variant<int64_t, double, std::string>;

struct CompiledRunQuery {
  std::string where_sql;  // "" or "(...) AND (...)"
  std::vector<SqlValue> where_params;
  std::string order_sql;  // never empty: ends with r.start_ms DESC, r.id
  std::vector<SqlValue> order_params;
};

Result<CompiledRunQuery> CompileRunQuery(const std::string& filter,
                                         const std::vector<std::string>& order_by);

}  // namespace plinth::tracking

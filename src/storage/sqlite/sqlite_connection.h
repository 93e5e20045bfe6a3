#pragma once
// One SQLite connection with a prepared-statement cache, exposed as an SqlTx. Internal to the
// sqlite backend. Not thread-safe: one thread uses a connection at a time. The cache keeps at
// most kMaxCachedStatements statements (the first distinct SQL texts seen); others are prepared
// for their call and finalized after it, so SQL text that varies per request cannot grow it.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/metadata_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace plinth::storage {

class SqliteConnection final : public SqlTx {
 public:
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, bool read_only);
  ~SqliteConnection() override;

  using SqlTx::Exec;  // the convenience overloads
  using SqlTx::Query;

  Status Exec(std::string_view sql, const SqlParam* params, size_t n) override;
  Status Query(std::string_view sql, const SqlParam* params, size_t n,
               const RowCallback& on_row) override;
  int64_t Changes() override;

  static constexpr size_t kMaxCachedStatements = 512;
  size_t cached_statements() const { return statements_.size(); }

  // Runs SQL text with no parameters and no results (BEGIN, PRAGMA, DDL; may hold several
  // statements).
  Status ExecScript(const char* sql);

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  struct Prepared {
    sqlite3_stmt* stmt;
    bool cached;  // false: finalize after use
  };
  Result<Prepared> Prepare(std::string_view sql, const SqlParam* params, size_t n);
  Status Error(const char* what);

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace plinth::storage

#include "storage/sqlite/sqlite_connection.h"

#include <sqlite3.h>

namespace plinth::storage {

namespace {

class StatementRow final : public SqlRow {
 public:
  explicit StatementRow(sqlite3_stmt* stmt) : stmt_(stmt) {}
  bool IsNull(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const override { return sqlite3_column_double(stmt_, col); }
  std::string_view Text(int col) const override {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    if (p == nullptr) return {};
    return {reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
  }
  std::string_view Blob(int col) const override {
    const void* p = sqlite3_column_blob(stmt_, col);
    if (p == nullptr) return {};
    return {static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
  }

 private:
  sqlite3_stmt* stmt_;
};

// When the scope ends: resets a cached statement so that it can be reused, or finalizes one that
// was prepared for this call only.
struct ReleaseOnExit {
  sqlite3_stmt* stmt;
  bool cached;
  ~ReleaseOnExit() {
    if (!cached) {
      sqlite3_finalize(stmt);
      return;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                  bool read_only) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX | (read_only ? SQLITE_OPEN_READONLY
                                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Internal("cannot open database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 10000);
  auto conn = std::unique_ptr<SqliteConnection>(new SqliteConnection(db));
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status SqliteConnection::Error(const char* what) {
  int code = sqlite3_errcode(db_);
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(db_);
  if ((code & 0xff) == SQLITE_CONSTRAINT) return Conflict(msg);
  return Internal(msg);
}

Status SqliteConnection::ExecScript(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Internal(std::string("sqlite: ") + msg);
  }
  return Status::Ok();
}

Result<SqliteConnection::Prepared> SqliteConnection::Prepare(std::string_view sql,
                                                             const SqlParam* params, size_t n) {
  sqlite3_stmt* stmt = nullptr;
  bool cached = true;
  auto it = statements_.find(std::string(sql));
  if (it != statements_.end()) {
    stmt = it->second;
  } else {
    // Past the cap (SQL text built from a user's search, say), statements are not kept.
    cached = statements_.size() < kMaxCachedStatements;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                           cached ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr) != SQLITE_OK) {
      return Error("prepare");
    }
    if (cached) statements_.emplace(std::string(sql), stmt);
  }
  auto fail_bind = [&] {
    Status st = Error("bind");
    if (cached) {
      sqlite3_clear_bindings(stmt);
    } else {
      sqlite3_finalize(stmt);
    }
    return st;
  };
  for (size_t i = 0; i < n; ++i) {
    int idx = static_cast<int>(i + 1);
    int rc = std::visit(
        [&](const auto& v) -> int {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            return sqlite3_bind_null(stmt, idx);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            return sqlite3_bind_int64(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, double>) {
            return sqlite3_bind_double(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, std::string_view>) {
            return sqlite3_bind_text64(stmt, idx, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
          } else {
            return sqlite3_bind_blob64(stmt, idx, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
          }
        },
        params[i]);
    if (rc != SQLITE_OK) return fail_bind();
  }
  return Prepared{stmt, cached};
}

Status SqliteConnection::Exec(std::string_view sql, const SqlParam* params, size_t n) {
  ASSIGN_OR_RETURN(Prepared prepared, Prepare(sql, params, n));
  sqlite3_stmt* stmt = prepared.stmt;
  ReleaseOnExit release{stmt, prepared.cached};
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return Error("exec");
  return Status::Ok();
}

Status SqliteConnection::Query(std::string_view sql, const SqlParam* params, size_t n,
                               const RowCallback& on_row) {
  ASSIGN_OR_RETURN(Prepared prepared, Prepare(sql, params, n));
  sqlite3_stmt* stmt = prepared.stmt;
  ReleaseOnExit release{stmt, prepared.cached};
  StatementRow row(stmt);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) on_row(row);
  if (rc != SQLITE_DONE) return Error("query");
  return Status::Ok();
}

int64_t SqliteConnection::Changes() { return sqlite3_changes64(db_); }

}  // namespace plinth::storage

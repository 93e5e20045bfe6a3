#pragma once
// MetadataStore: the transactional SQL database that holds plinth's metadata (tokens, audit
// events, experiments, runs, models, ...).
//
// Subsystems speak a small portable SQL through SqlTx: `?` placeholders, INTEGER/REAL/TEXT/BLOB
// columns, INSERT ... ON CONFLICT. The embedded default is SQLite in WAL mode (storage/sqlite);
// a server database can implement the same interface later.
//
// Writes are group-committed: concurrent Write() calls are gathered into one database
// transaction and one fsync, each inside its own savepoint, so a failing writer rolls back only
// its own changes. When Write() returns OK the change is durable. Thread-safe.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace plinth::storage {

// Marks a parameter to be bound as a BLOB rather than TEXT.
struct BlobParam {
  std::string_view bytes;
};

// A bound parameter. String views must outlive the Exec/Query call.
using SqlParam = std::variant<std::nullptr_t, int64_t, double, std::string_view, BlobParam>;

// One result row, valid only inside the row callback.
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual bool IsNull(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  virtual double Double(int col) const = 0;
  virtual std::string_view Text(int col) const = 0;
  virtual std::string_view Blob(int col) const = 0;
  std::string String(int col) const { return std::string(Text(col)); }
};

using RowCallback = std::function<void(const SqlRow&)>;

// A transaction, handed to the function given to MetadataStore::Write or ::Read. Not
// thread-safe; valid only during that function.
class SqlTx {
 public:
  virtual ~SqlTx() = default;

  // Runs one statement. A constraint violation is Conflict; other failures are Internal.
  virtual Status Exec(std::string_view sql, const SqlParam* params, size_t n) = 0;
  // Runs a query and calls on_row for each row.
  virtual Status Query(std::string_view sql, const SqlParam* params, size_t n,
                       const RowCallback& on_row) = 0;
  // Rows changed by the last Exec.
  virtual int64_t Changes() = 0;

  Status Exec(std::string_view sql, std::initializer_list<SqlParam> params = {}) {
    return Exec(sql, params.begin(), params.size());
  }
  Status Exec(std::string_view sql, const std::vector<SqlParam>& params) {
    return Exec(sql, params.data(), params.size());
  }
  Status Query(std::string_view sql, std::initializer_list<SqlParam> params,
               const RowCallback& on_row) {
    return Query(sql, params.begin(), params.size(), on_row);
  }
  Status Query(std::string_view sql, const std::vector<SqlParam>& params,
               const RowCallback& on_row) {
    return Query(sql, params.data(), params.size(), on_row);
  }
};

using TxFunction = std::function<Status(SqlTx&)>;

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // Runs fn in a write transaction. If fn returns an error, everything fn wrote is rolled back
  // and the error is returned. If fn returns OK, Write returns once the transaction is durably
  // committed (or the commit's error). fn runs on the store's writer thread, must not block on
  // anything but the transaction, and must not call Write or Read.
  virtual Status Write(const TxFunction& fn) = 0;

  // Runs fn in a read-only snapshot of the committed state; readers never wait for writers.
  virtual Status Read(const TxFunction& fn) = 0;
};

}  // namespace plinth::storage

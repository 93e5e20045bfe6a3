#pragma once
// The embedded MetadataStore: one SQLite database file in WAL mode with synchronous=FULL.
//
// One writer connection, owned by a writer thread that group-commits queued Write() calls; a
// pool of read-only connections for Read(). WAL lets readers run beside the writer.

#include <memory>
#include <string>

#include "storage/metadata_store.h"

namespace plinth::storage {

struct SqliteOptions {
  std::string path;          // the database file; created if absent
  int max_readers = 8;       // read connections kept open
  int max_group = 256;       // most Write() calls folded into one commit
};

class SqliteMetadataStore final : public MetadataStore {
 public:
  static Result<std::unique_ptr<SqliteMetadataStore>> Open(const SqliteOptions& options);
  ~SqliteMetadataStore() override;

  Status Write(const TxFunction& fn) override;
  Status Read(const TxFunction& fn) override;

  struct Impl;

 private:
  explicit SqliteMetadataStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace plinth::storage

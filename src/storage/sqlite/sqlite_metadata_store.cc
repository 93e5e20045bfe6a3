#include "storage/sqlite/sqlite_metadata_store.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/sqlite/sqlite_connection.h"

namespace plinth::storage {

namespace {

// One queued Write() call; lives on the caller's stack until `done`. Each has its own condition
// variable so that a commit wakes exactly the callers it completed.
struct PendingWrite {
  const TxFunction* fn = nullptr;
  Status result;
  bool done = false;              // guarded by Impl::mu
  std::condition_variable wake;   // signalled, under Impl::mu, once done
};

Status RunGuarded(const TxFunction& fn, SqlTx& tx) {
  try {
    return fn(tx);
  } catch (const std::exception& e) {
    return Internal(std::string("transaction failed: ") + e.what());
  }
}

}  // namespace

struct SqliteMetadataStore::Impl {
  SqliteOptions options;
  std::unique_ptr<SqliteConnection> writer;  // used only by writer_thread after Open

  std::mutex mu;
  std::condition_variable work_ready;  // the writer waits on this
  std::deque<PendingWrite*> queue;     // guarded by mu
  bool writer_idle = false;            // guarded by mu: the writer waits on work_ready
  bool stopping = false;               // guarded by mu
  std::thread writer_thread;

  std::mutex readers_mu;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers;  // guarded by readers_mu

  void WriterLoop();
  void CommitGroup(std::vector<PendingWrite*>& group);
  Result<std::unique_ptr<SqliteConnection>> TakeReader();
  void ReturnReader(std::unique_ptr<SqliteConnection> conn);
};

void SqliteMetadataStore::Impl::WriterLoop() {
  std::vector<PendingWrite*> group;
  for (;;) {
    {
      std::unique_lock lock(mu);
      writer_idle = true;
      work_ready.wait(lock, [&] { return !queue.empty() || stopping; });
      writer_idle = false;
      if (queue.empty()) return;  // stopping, and nothing left to do
      while (!queue.empty() && static_cast<int>(group.size()) < options.max_group) {
        group.push_back(queue.front());
        queue.pop_front();
      }
    }
    CommitGroup(group);
    {
      // Notify under the lock: a caller may return and destroy its PendingWrite as soon as it
      // sees `done`.
      std::lock_guard lock(mu);
      for (PendingWrite* w : group) {
        w->done = true;
        w->wake.notify_one();
      }
    }
    group.clear();
  }
}

// One transaction, one fsync, for the whole group; each write in its own savepoint so that a
// failing write rolls back alone.
void SqliteMetadataStore::Impl::CommitGroup(std::vector<PendingWrite*>& group) {
  // Transaction control goes through Exec, whose prepared statements are cached: these run for
  // every write, and re-parsing them each time was measurable on the single-metric path.
  Status begin = writer->Exec("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    for (PendingWrite* w : group) w->result = begin;
    return;
  }
  for (PendingWrite* w : group) {
    Status sp = writer->Exec("SAVEPOINT w");
    if (!sp.ok()) {
      w->result = sp;
      continue;
    }
    w->result = RunGuarded(*w->fn, *writer);
    if (!w->result.ok()) writer->Exec("ROLLBACK TO w");
    writer->Exec("RELEASE w");
  }
  Status commit = writer->Exec("COMMIT");
  if (!commit.ok()) {
    writer->ExecScript("ROLLBACK");
    for (PendingWrite* w : group) {
      if (w->result.ok()) w->result = Unavailable("commit failed: " + commit.message());
    }
  }
}

Result<std::unique_ptr<SqliteConnection>> SqliteMetadataStore::Impl::TakeReader() {
  {
    std::lock_guard lock(readers_mu);
    if (!idle_readers.empty()) {
      auto conn = std::move(idle_readers.back());
      idle_readers.pop_back();
      return conn;
    }
  }
  ASSIGN_OR_RETURN(auto conn, SqliteConnection::Open(options.path, /*read_only=*/false));
  // LIKE is case-sensitive, as in SQL servers; ILIKE is spelled LOWER(x) LIKE LOWER(y).
  RETURN_IF_ERROR(conn->ExecScript("PRAGMA query_only=1; PRAGMA case_sensitive_like=ON;"));
  return conn;
}

void SqliteMetadataStore::Impl::ReturnReader(std::unique_ptr<SqliteConnection> conn) {
  std::lock_guard lock(readers_mu);
  if (static_cast<int>(idle_readers.size()) < options.max_readers) {
    idle_readers.push_back(std::move(conn));
  }
}

Result<std::unique_ptr<SqliteMetadataStore>> SqliteMetadataStore::Open(
    const SqliteOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  ASSIGN_OR_RETURN(impl->writer, SqliteConnection::Open(options.path, /*read_only=*/false));
  RETURN_IF_ERROR(impl->writer->ExecScript(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
      " PRAGMA case_sensitive_like=ON;"));
  Impl* raw = impl.get();
  impl->writer_thread = std::thread([raw] { raw->WriterLoop(); });
  return std::unique_ptr<SqliteMetadataStore>(new SqliteMetadataStore(std::move(impl)));
}

SqliteMetadataStore::SqliteMetadataStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteMetadataStore::~SqliteMetadataStore() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->work_ready.notify_all();
  impl_->writer_thread.join();
}

Status SqliteMetadataStore::Write(const TxFunction& fn) {
  PendingWrite pending;
  pending.fn = &fn;
  std::unique_lock lock(impl_->mu);
  if (impl_->stopping) return Unavailable("the metadata store is shutting down");
  impl_->queue.push_back(&pending);
  // A busy writer takes the whole queue when it finishes its group; only an idle one needs waking.
  if (impl_->writer_idle) impl_->work_ready.notify_one();
  pending.wake.wait(lock, [&] { return pending.done; });
  return pending.result;
}

Status SqliteMetadataStore::Read(const TxFunction& fn) {
  ASSIGN_OR_RETURN(auto conn, impl_->TakeReader());
  RETURN_IF_ERROR(conn->ExecScript("BEGIN"));
  Status st = RunGuarded(fn, *conn);
  Status end = conn->ExecScript(st.ok() ? "COMMIT" : "ROLLBACK");
  if (end.ok()) impl_->ReturnReader(std::move(conn));
  return st.ok() ? end : st;
}

}  // namespace plinth::storage

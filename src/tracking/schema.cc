#include "tracking/tracking_store.h"

namespace plinth::tracking {

Status TrackingStore::InitSchema() {
  static const char* kStatements[] = {
      "CREATE TABLE IF NOT EXISTS experiments (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
      " tags TEXT NOT NULL, created_ms INTEGER NOT NULL, created_by TEXT NOT NULL)",
      "CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL,"
      " name TEXT NOT NULL, status TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER,"
      " created_by TEXT NOT NULL, data_version TEXT)",
      "CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs (experiment_id, start_ms)",
      "CREATE TABLE IF NOT EXISTS run_tags (run_id TEXT NOT NULL, key TEXT NOT NULL,"
      " value TEXT NOT NULL, PRIMARY KEY (run_id, key))",
      "CREATE TABLE IF NOT EXISTS run_params (run_id TEXT NOT NULL, key TEXT NOT NULL,"
      " value TEXT NOT NULL, PRIMARY KEY (run_id, key))",
      "CREATE TABLE IF NOT EXISTS latest_metrics (run_id TEXT NOT NULL, key TEXT NOT NULL,"
      " value REAL NOT NULL, step INTEGER NOT NULL, timestamp INTEGER NOT NULL,"
      " PRIMARY KEY (run_id, key))",
      // One row per (run, key, logging request): see metric_chunk.h.
      "CREATE TABLE IF NOT EXISTS metric_chunks (seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL,"
      " key TEXT NOT NULL, count INTEGER NOT NULL, points BLOB NOT NULL)",
      "CREATE INDEX IF NOT EXISTS metric_chunks_by_key ON metric_chunks (run_id, key, seq)",
      "CREATE TABLE IF NOT EXISTS run_artifacts (run_id TEXT NOT NULL, path TEXT NOT NULL,"
      " sha256 TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (run_id, path))",
      "CREATE TABLE IF NOT EXISTS run_inputs (run_id TEXT NOT NULL, kind TEXT NOT NULL,"
      " name TEXT NOT NULL, version INTEGER NOT NULL, digest TEXT NOT NULL,"
      " created_by TEXT NOT NULL, created_ms INTEGER NOT NULL,"
      " PRIMARY KEY (run_id, kind, name, version))",
      "CREATE INDEX IF NOT EXISTS run_inputs_by_input ON run_inputs (kind, name, version)",
  };
  return store_.Write([](storage::SqlTx& tx) {
    for (const char* sql : kStatements) RETURN_IF_ERROR(tx.Exec(sql));
    return Status::Ok();
  });
}

}  // namespace plinth::tracking

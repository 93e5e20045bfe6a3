#pragma once
// FeatureStore: the feature store's one entry point for the service layer. It ties the registry
// (definitions, in the MetadataStore), the offline store (history, on disk) and the point-in-time
// join together.
//
// Ingest: parse and validate the batch against the view's latest version (all-or-nothing, batch.h),
// compute its stats, commit it to the offline store (durable; the commit point), then record the
// ingest and its stats in the registry with an audit event. CSV batches are read as the segment
// is built (csv_text_batch.h), their stats computed on the way; the result is the same. A crash between the last two steps is
// repaired by Open(), which records every ingest the offline store's manifests keep that the
// registry lacks. If recording fails after the commit the data is stored and the call still
// returns the error; sending the batch again is harmless, because a row with the same entity key
// and event time as an earlier one replaces it (last write wins).
//
// Thread-safe. Owns the registry and the offline store; borrows the MetadataStore.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/roles.h"
#include "common/status.h"
#include "features/batch.h"
#include "features/dataset_store.h"
#include "features/feature_registry.h"
#include "features/historical.h"
#include "features/materializer.h"
#include "features/offline_store.h"
#include "features/online_store.h"
#include "storage/kv_store.h"
#include "storage/metadata_store.h"

namespace plinth::features {

struct FeatureStoreOptions {
  storage::MetadataStore* metadata = nullptr;  // required; must outlive the store
  // The offline store's directory (for example <data-dir>/features); created if absent.
  std::string offline_dir;
  int threads = 2;           // per request: parsing, sorting, joining, writing CSV
  bool auto_compact = true;  // run OfflineStore::MaybeCompact after each ingest
  size_t block_rows = kDefaultBlockRows;  // rows per segment block (tests use small blocks)
  std::function<void(std::string_view)> crash_point;  // test hook, see OfflineStoreOptions
  // The online store's storage; optional (without it there is no online store, materialization
  // or push). Must outlive the store.
  storage::KvStore* online_kv = nullptr;
  MaterializerOptions materializer;
};

struct IngestResult {
  IngestRecord record;  // id, view, version, rows, stats JSON
  IngestStats stats;
};

class FeatureStore {
 public:
  static Result<std::unique_ptr<FeatureStore>> Open(const FeatureStoreOptions& options);

  FeatureRegistry& registry() { return *registry_; }
  OfflineStore& offline() { return *offline_; }
  // Null when the store was opened without online_kv.
  OnlineStore* online() { return online_.get(); }
  Materializer* materializer() { return materializer_.get(); }

  // NotFound for an unknown view; InvalidArgument (with details) for a rejected batch; Internal
  // for I/O errors.
  Result<IngestResult> Ingest(const auth::Principal& actor, const std::string& view,
                              BatchFormat format, std::string_view body);

  // Ingest, then the latest row of each entity of the batch written to the online store (which
  // keeps newer values): the batch is in both stores when it returns. The offline commit comes
  // first; if the online write then fails, the error is returned and sending the batch again is
  // harmless. FailedPrecondition when there is no online store; else as Ingest.
  Result<IngestResult> Push(const auth::Principal& actor, const std::string& view,
                            BatchFormat format, std::string_view body);

  // Resolves refs ("view:feature", latest versions) and runs the join (historical.h).
  // InvalidArgument for a malformed or repeated ref or no refs; NotFound for an unknown view or
  // feature. When `views_read` is set it receives the name and version of each view the join read
  // (in order of first ref), which is what a dataset records as its lineage.
  Result<TrainingSet> GetHistoricalFeatures(EntityTable entities,
                                            const std::vector<std::string>& refs,
                                            const HistoricalOptions& options = {},
                                            std::vector<ViewVersionRef>* views_read = nullptr);

 private:
  FeatureStore() = default;
  Status RecoverIngestRecords();
  // Parses, validates and commits a batch; `batch` receives it (for the online write of Push).
  Result<IngestResult> IngestInto(const auth::Principal& actor, const FeatureView& definition,
                                  BatchFormat format, std::string_view body, FeatureBatch* batch);
  ParseOptions BatchParseOptions() const;
  IngestRecord NewIngestRecord(const auth::Principal& actor, const FeatureView& definition,
                               const IngestStats& stats) const;
  // Records a committed ingest in the registry, then compacts if due.
  Result<IngestResult> Recorded(IngestResult result);

  FeatureStoreOptions options_;
  std::unique_ptr<FeatureRegistry> registry_;
  std::unique_ptr<OfflineStore> offline_;
  std::unique_ptr<OnlineStore> online_;
  std::unique_ptr<Materializer> materializer_;  // declared last: its jobs use the others
};

}  // namespace plinth::features

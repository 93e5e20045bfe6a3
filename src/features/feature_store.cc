#include "features/feature_store.h"

#include <map>
#include <set>

#include "common/clock.h"
#include "common/ids.h"
#include "features/csv_text_batch.h"

namespace plinth::features {

Result<std::unique_ptr<FeatureStore>> FeatureStore::Open(const FeatureStoreOptions& options) {
  if (options.metadata == nullptr) return InvalidArgument("the feature store needs a metadata store");
  std::unique_ptr<FeatureStore> store(new FeatureStore());
  store->options_ = options;
  ASSIGN_OR_RETURN(store->registry_, FeatureRegistry::Open(*options.metadata));
  OfflineStoreOptions offline;
  offline.dir = options.offline_dir;
  offline.threads = options.threads;
  offline.block_rows = options.block_rows;
  offline.crash_point = options.crash_point;
  ASSIGN_OR_RETURN(store->offline_, OfflineStore::Open(offline));
  RETURN_IF_ERROR(store->RecoverIngestRecords());
  if (options.online_kv != nullptr) {
    store->online_ = std::make_unique<OnlineStore>(*options.online_kv, *store->registry_);
    store->materializer_ = std::make_unique<Materializer>(
        *options.metadata, *store->registry_, *store->offline_, *store->online_,
        options.materializer);
    RETURN_IF_ERROR(store->materializer_->Open());
  }
  return store;
}

Status FeatureStore::RecoverIngestRecords() {
  for (const std::string& view : offline_->Views()) {
    for (const IngestRecord& record : offline_->RecentIngests(view)) {
      ASSIGN_OR_RETURN(bool known, registry_->HasIngest(record.id));
      if (!known) RETURN_IF_ERROR(registry_->RecordIngest(record));
    }
  }
  return Status::Ok();
}

Result<IngestResult> FeatureStore::Ingest(const auth::Principal& actor, const std::string& view,
                                          BatchFormat format, std::string_view body) {
  ASSIGN_OR_RETURN(FeatureView definition, registry_->GetFeatureView(view));
  if (format == BatchFormat::kCsv) {
    // Most CSV batches are read once, their cells as the segment is built (csv_text_batch.h).
    // When that reader cannot take the body, or a cell fails, ParseBatch below answers.
    auto text = CsvTextBatch::Read(definition, body, BatchParseOptions());
    if (text.ok()) {
      CsvTextBatch& batch = **text;
      IngestResult result;
      Status written = offline_->Write(definition.name, batch, [&] {
        result.stats = batch.stats();
        result.record = NewIngestRecord(actor, definition, result.stats);
        return result.record;
      });
      if (written.ok()) return Recorded(std::move(result));
      if (!batch.failed()) return written;
    }
  }
  FeatureBatch batch;
  return IngestInto(actor, definition, format, body, &batch);
}

Result<IngestResult> FeatureStore::Push(const auth::Principal& actor, const std::string& view,
                                        BatchFormat format, std::string_view body) {
  if (!online_) return FailedPrecondition("this server has no online store");
  ASSIGN_OR_RETURN(FeatureView definition, registry_->GetFeatureView(view));
  FeatureBatch batch;
  ASSIGN_OR_RETURN(IngestResult result, IngestInto(actor, definition, format, body, &batch));
  std::vector<OnlineRecord> records = OnlineStore::LatestRecords(definition, batch);
  RETURN_IF_ERROR(online_->Write(definition.name, records, /*sync=*/false).status());
  return result;
}

ParseOptions FeatureStore::BatchParseOptions() const {
  ParseOptions parse;
  parse.threads = options_.threads;
  return parse;
}

IngestRecord FeatureStore::NewIngestRecord(const auth::Principal& actor,
                                           const FeatureView& definition,
                                           const IngestStats& stats) const {
  IngestRecord record;
  record.id = NewId();
  record.view = definition.name;
  record.view_version = definition.version;
  record.actor = actor.name;
  record.created_ms = NowMs();
  record.rows = stats.rows;
  record.stats_json = stats.ToJson();
  return record;
}

Result<IngestResult> FeatureStore::Recorded(IngestResult result) {
  RETURN_IF_ERROR(registry_->RecordIngest(result.record));
  if (options_.auto_compact) {
    // The batch is committed; a failed compaction leaves the segments as they were, and the next
    // ingest tries again.
    (void)offline_->MaybeCompact(result.record.view);
  }
  return result;
}

Result<IngestResult> FeatureStore::IngestInto(const auth::Principal& actor,
                                              const FeatureView& definition, BatchFormat format,
                                              std::string_view body, FeatureBatch* batch_out) {
  ASSIGN_OR_RETURN(*batch_out, ParseBatch(definition, format, body, BatchParseOptions()));
  IngestResult result;
  result.stats = ComputeStats(*batch_out, options_.threads);
  result.record = NewIngestRecord(actor, definition, result.stats);
  RETURN_IF_ERROR(offline_->Write(definition.name, *batch_out, result.record));
  return Recorded(std::move(result));
}

Result<TrainingSet> FeatureStore::GetHistoricalFeatures(EntityTable entities,
                                                        const std::vector<std::string>& refs,
                                                        const HistoricalOptions& options,
                                                        std::vector<ViewVersionRef>* views_read) {
  if (refs.empty()) return InvalidArgument("ask for at least one feature ref 'view:feature'");
  std::vector<ViewRequest> views;
  std::map<std::string, int> view_index;
  std::vector<std::pair<int, int>> columns;
  std::set<std::string> seen;
  for (const std::string& text : refs) {
    ASSIGN_OR_RETURN(FeatureRef ref, ParseFeatureRef(text));
    if (!seen.insert(ref.ToString()).second) {
      return InvalidArgument("feature ref '" + text + "' is listed twice");
    }
    auto it = view_index.find(ref.view);
    if (it == view_index.end()) {
      ASSIGN_OR_RETURN(FeatureView view, registry_->GetFeatureView(ref.view));
      ViewRequest request;
      request.snapshot = offline_->Snapshot(view.name);
      request.view = std::move(view);
      views.push_back(std::move(request));
      it = view_index.emplace(ref.view, static_cast<int>(views.size() - 1)).first;
    }
    ViewRequest& request = views[it->second];
    if (request.view.FindFeature(ref.feature) == nullptr) {
      return NotFound("feature view '" + ref.view + "' has no feature '" + ref.feature + "'");
    }
    request.features.push_back(ref.feature);
    columns.push_back({it->second, static_cast<int>(request.features.size() - 1)});
  }
  if (views_read != nullptr) {
    views_read->clear();
    for (const ViewRequest& v : views) views_read->push_back({v.view.name, v.view.version});
  }
  HistoricalOptions join_options = options;
  if (join_options.threads <= 0) join_options.threads = options_.threads;
  return JoinHistorical(std::move(entities), std::move(views), std::move(columns), join_options);
}

}  // namespace plinth::features

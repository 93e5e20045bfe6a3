#pragma once
// TrackingStore: experiments, runs, params, tags, metrics and artifacts.
//
// Every change is one MetadataStore write (group-committed, durable on return) that also appends
// its audit event. Artifact bytes go to the BlobStore first; the run's path -> SHA-256 mapping is
// written after, so a crash leaves at most an unreferenced blob. Thread-safe.

#include <string>
#include <vector>

#include "auth/roles.h"
#include "common/paging.h"
#include "storage/blob_store.h"
#include "storage/metadata_store.h"
#include "tracking/types.h"

namespace plinth::tracking {

class TrackingStore {
 public:
  TrackingStore(storage::MetadataStore& store, storage::BlobStore& blobs)
      : store_(store), blobs_(blobs) {}

  Status InitSchema();

  // Experiments. Create: AlreadyExists for a taken name.
  Result<Experiment> CreateExperiment(const auth::Principal& actor, const std::string& name,
                                      const StringMap& tags);
  Result<Experiment> GetExperiment(const std::string& id);
  // All experiments, or only the one named `name` when it is set.
  Result<std::vector<Experiment>> ListExperiments(const std::optional<std::string>& name,
                                                  const PageRequest& page);

  // Runs. NotFound for an unknown experiment or run.
  Result<Run> CreateRun(const auth::Principal& actor, const NewRun& run);
  Result<Run> GetRun(const std::string& id);
  Result<Run> SetTags(const auth::Principal& actor, const std::string& run_id,
                      const StringMap& tags);
  // Conflict if a key already holds a different value; then nothing of the call is written.
  Result<StringMap> LogParams(const auth::Principal& actor, const std::string& run_id,
                              const StringMap& params);
  // All-or-nothing; durable on return. Points must already be validated (ValidateMetric).
  Status LogMetrics(const auth::Principal& actor, const std::string& run_id,
                    const std::vector<MetricPoint>& points);
  // One key's points in logging order.
  Result<std::vector<MetricPoint>> MetricHistory(const std::string& run_id, const std::string& key,
                                                 const PageRequest& page);
  // Conflict if the run is no longer RUNNING.
  Result<Run> FinishRun(const auth::Principal& actor, const std::string& run_id,
                        RunStatus status);

  // Inputs (run_inputs.cc). Records that the run read `input` (kind, name, version, digest; the
  // caller checked that it exists) and, when the run has no data_version yet, sets it to
  // "<kind>:<name>@<version>" so that model versions registered from the run carry it. Recording
  // the same input twice is a no-op. NotFound for an unknown run.
  Result<RunInput> LogInput(const auth::Principal& actor, const std::string& run_id,
                            const RunInput& input);
  // The run's inputs, in the order they were recorded. NotFound for an unknown run.
  Result<std::vector<RunInput>> ListInputs(const std::string& run_id);
  // Ids of the runs that recorded this input, oldest first.
  Result<std::vector<std::string>> RunsWithInput(const std::string& kind, const std::string& name,
                                                 int64_t version);

  // Artifacts: `path` is checked with ValidateArtifactPath.
  Result<ArtifactInfo> PutArtifact(const auth::Principal& actor, const std::string& run_id,
                                   const std::string& path, std::string_view bytes);
  Result<ArtifactInfo> GetArtifactInfo(const std::string& run_id, const std::string& path);
  // The bytes, checked against their SHA-256 (Internal on mismatch).
  Result<std::string> ReadArtifact(const std::string& run_id, const std::string& path);
  Result<std::vector<ArtifactInfo>> ListArtifacts(const std::string& run_id,
                                                  const PageRequest& page);

  // InvalidArgument for a filter or order_by that does not parse.
  Result<std::vector<Run>> SearchRuns(const RunSearch& search, const PageRequest& page);

 private:
  storage::MetadataStore& store_;
  storage::BlobStore& blobs_;
};

// Checks one metric point as a client sent it; `where` names it in errors ("metrics[3]").
Status ValidateMetric(const MetricPoint& point, const std::string& where);

}  // namespace plinth::tracking

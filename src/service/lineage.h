#pragma once
// Lineage across subsystems: which feature view versions made a dataset, which runs read the
// dataset, and which model versions those runs produced. Each subsystem keeps its own link
// (features: dataset -> view versions; tracking: run -> inputs; registry: model version -> run);
// these functions follow the links, so no subsystem has to know another's tables.
//
//   feature view versions --> dataset version --> run --> model version
//
// Thread-safe (read-only, except LogRunDataset, which is one audited tracking write).

#include <optional>
#include <string>
#include <vector>

#include "service/plinth_service.h"

namespace plinth::service {

// A model version's history: the run it came from, what that run read, and the dataset versions
// among those inputs (each with the feature view versions it read).
struct ModelVersionLineage {
  registry::ModelVersion version;
  std::optional<tracking::Run> run;  // absent for a direct upload
  std::vector<tracking::RunInput> inputs;
  std::vector<features::Dataset> datasets;
};

// A dataset version's place: where it came from (dataset.feature_views) and what used it.
struct DatasetLineage {
  features::Dataset dataset;
  std::vector<tracking::Run> runs;                     // that recorded it as an input
  std::vector<registry::ModelVersion> model_versions;  // registered from those runs
};

// Records dataset `name` (`version`, or the latest) as an input of run `run_id`, with the
// dataset's SHA-256 as its digest. NotFound for an unknown dataset, version or run.
Result<tracking::RunInput> LogRunDataset(PlinthService& service, const auth::Principal& actor,
                                         const std::string& run_id, const std::string& name,
                                         std::optional<int64_t> version);

// NotFound for an unknown model or version.
Result<ModelVersionLineage> LineageOfModelVersion(PlinthService& service, const std::string& model,
                                                  int64_t version);

// `version` absent: the latest. NotFound for an unknown dataset or version.
Result<DatasetLineage> LineageOfDataset(PlinthService& service, const std::string& name,
                                        std::optional<int64_t> version);

}  // namespace plinth::service

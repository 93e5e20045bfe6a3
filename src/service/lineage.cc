#include "service/lineage.h"

namespace plinth::service {

namespace {
constexpr char kDatasetKind[] = "dataset";
}  // namespace

Result<tracking::RunInput> LogRunDataset(PlinthService& service, const auth::Principal& actor,
                                         const std::string& run_id, const std::string& name,
                                         std::optional<int64_t> version) {
  ASSIGN_OR_RETURN(features::Dataset dataset, service.datasets().Get(name, version));
  tracking::RunInput input;
  input.kind = kDatasetKind;
  input.name = dataset.name;
  input.version = dataset.version;
  input.digest = dataset.sha256;
  return service.tracking().LogInput(actor, run_id, input);
}

Result<ModelVersionLineage> LineageOfModelVersion(PlinthService& service, const std::string& model,
                                                  int64_t version) {
  ModelVersionLineage out;
  ASSIGN_OR_RETURN(out.version, service.registry().GetVersion(model, version));
  if (!out.version.lineage.run_id) return out;
  ASSIGN_OR_RETURN(out.run, service.tracking().GetRun(*out.version.lineage.run_id));
  ASSIGN_OR_RETURN(out.inputs, service.tracking().ListInputs(out.run->id));
  for (const tracking::RunInput& input : out.inputs) {
    if (input.kind != kDatasetKind) continue;
    auto dataset = service.datasets().Get(input.name, input.version);
    // A dataset is never deleted today; should one be missing, the input still names it.
    if (dataset.ok()) out.datasets.push_back(std::move(dataset).value());
  }
  return out;
}

Result<DatasetLineage> LineageOfDataset(PlinthService& service, const std::string& name,
                                        std::optional<int64_t> version) {
  DatasetLineage out;
  ASSIGN_OR_RETURN(out.dataset, service.datasets().Get(name, version));
  ASSIGN_OR_RETURN(
      std::vector<std::string> run_ids,
      service.tracking().RunsWithInput(kDatasetKind, out.dataset.name, out.dataset.version));
  for (const std::string& id : run_ids) {
    ASSIGN_OR_RETURN(tracking::Run run, service.tracking().GetRun(id));
    out.runs.push_back(std::move(run));
    ASSIGN_OR_RETURN(std::vector<registry::ModelVersion> versions,
                     service.registry().VersionsFromRun(id));
    for (auto& v : versions) out.model_versions.push_back(std::move(v));
  }
  return out;
}

}  // namespace plinth::service

#pragma once
// Reading runs and experiments inside a transaction; shared by the TrackingStore's files.
// Internal to tracking.

#include <string>

#include "storage/metadata_store.h"
#include "tracking/types.h"

namespace plinth::tracking::internal {

// NotFound if the run does not exist.
Result<Run> LoadRun(storage::SqlTx& tx, const std::string& id);
// NotFound if the run does not exist; otherwise its status.
Result<RunStatus> LoadRunStatus(storage::SqlTx& tx, const std::string& id);
// NotFound if the experiment does not exist.
Result<Experiment> LoadExperiment(storage::SqlTx& tx, const std::string& id);

std::string MapToJson(const StringMap& map);
StringMap MapFromJson(std::string_view text);

}  // namespace plinth::tracking::internal

#pragma once
// BaselineStore: the reference data a monitor compares traffic with, kept as a profile.
//
// A baseline comes from a CSV (sent inline), from a CSV blob already in the BlobStore (a
// training set the feature store saved, or any upload), or from an endpoint's captured traffic
// over a time window. It is stored as a TableProfile (profile.h: counts, moments, a KLL sketch
// per numeric column, value counts per categorical one), never as the rows: a baseline of any
// size costs kilobytes per column. Baselines are versioned by name: creating a name again adds
// version n+1; old versions stay readable (monitors may pin one).
//
// A baseline may name its target column (the label or the model's prediction in the data):
// it is profiled like the others, left out of data drift, and compared with the model's outputs
// by prediction drift. A baseline from captured traffic has the target column "prediction".
//
// A model version names its baseline through SetModelBaseline (one per version, replaceable).
// Every change is audited in its transaction (baseline.create, version.baseline). Thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/roles.h"
#include "common/paging.h"
#include "common/status.h"
#include "monitoring/feedback_store.h"
#include "monitoring/profile.h"
#include "registry/model_registry.h"
#include "serving/capture_log.h"
#include "storage/blob_store.h"
#include "storage/metadata_store.h"

namespace plinth::monitoring {

struct BaselineSource {
  enum class Kind { kCsv, kBlob, kCaptures };
  Kind kind = Kind::kCsv;
  std::string csv;          // kCsv: the text
  std::string blob_sha256;  // kBlob
  std::string endpoint;     // kCaptures: [start_ms, end_ms)
  int64_t start_ms = 0, end_ms = 0;
};

struct NewBaseline {
  std::string name;
  std::string description;
  std::string target_column;  // optional
  BaselineSource source;
};

struct Baseline {
  std::string name;
  int64_t version = 0;
  std::string description;
  nlohmann::json source;  // {"kind", ...}: csv {sha256, bytes}, blob {sha256}, captures {...}
  std::string target_column;
  std::vector<std::string> feature_columns;
  int64_t rows = 0;
  TableProfile profile;
  int64_t created_ms = 0;
  std::string created_by;
};

// {"name", "version", "description", "source", "target_column", "feature_columns", "rows",
//  "columns": [{"name", stats...}], "created_ms", "created_by"}.
nlohmann::json BaselineToJson(const Baseline& baseline);

struct ModelBaseline {
  std::string model;
  int64_t version = 0;
  std::string baseline;
  int64_t baseline_version = 0;
  int64_t set_ms = 0;
  std::string set_by;
};
nlohmann::json ModelBaselineToJson(const ModelBaseline& link);

class BaselineStore {
 public:
  BaselineStore(storage::MetadataStore& store, storage::BlobStore& blobs,
                serving::CaptureLog& captures, registry::ModelRegistry& registry)
      : store_(store), blobs_(blobs), captures_(captures), registry_(registry) {}

  Status InitSchema();

  // InvalidArgument for a bad name, unparsable CSV, no rows, or a target column the data lacks;
  // NotFound for an unknown blob; FailedPrecondition for a capture window with no traffic.
  Result<Baseline> Create(const auth::Principal& actor, const NewBaseline& request);
  // The latest version, or the given one. NotFound otherwise.
  Result<Baseline> Get(const std::string& name, std::optional<int64_t> version = std::nullopt);
  // Every version of every baseline, by name then version.
  Result<std::vector<Baseline>> List(const PageRequest& page);

  // NotFound for an unknown model version or baseline (version: latest when not given).
  Result<ModelBaseline> SetModelBaseline(const auth::Principal& actor, const std::string& model,
                                         int64_t version, const std::string& baseline,
                                         std::optional<int64_t> baseline_version);
  Result<ModelBaseline> GetModelBaseline(const std::string& model, int64_t version);

 private:
  storage::MetadataStore& store_;
  storage::BlobStore& blobs_;
  serving::CaptureLog& captures_;
  registry::ModelRegistry& registry_;
};

}  // namespace plinth::monitoring

#pragma once
// The objects of experiment tracking (MLflow's model): experiments hold runs; a run has tags,
// params set once, metric series and artifacts.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace plinth::tracking {

using StringMap = std::map<std::string, std::string>;

struct Experiment {
  std::string id;
  std::string name;
  StringMap tags;
  int64_t created_ms = 0;
  std::string created_by;
};

enum class RunStatus { kRunning, kFinished, kFailed };
const char* RunStatusName(RunStatus s);
std::optional<RunStatus> ParseRunStatus(std::string_view s);

// One logged point of a metric series.
struct MetricPoint {
  std::string key;
  double value = 0;
  int64_t step = 0;
  int64_t timestamp = 0;  // ms
};

// A series' latest point: highest step, then latest timestamp, then last logged.
struct LatestMetric {
  double value = 0;
  int64_t step = 0;
  int64_t timestamp = 0;
};

struct Run {
  std::string id;
  std::string experiment_id;
  std::string name;
  RunStatus status = RunStatus::kRunning;
  int64_t start_ms = 0;
  std::optional<int64_t> end_ms;
  std::string created_by;
  std::optional<std::string> data_version;
  StringMap tags;
  StringMap params;
  std::map<std::string, LatestMetric> metrics;
};

struct NewRun {
  std::string experiment_id;
  std::string name;  // empty: the run's id is used
  StringMap tags;
  std::optional<std::string> data_version;
};

// Something a run read (MLflow's log_input): today a dataset version of the feature store.
struct RunInput {
  std::string kind;     // "dataset"
  std::string name;
  int64_t version = 0;
  std::string digest;   // the content's SHA-256
  std::string created_by;
  int64_t created_ms = 0;
};

struct ArtifactInfo {
  std::string path;
  std::string sha256;
  int64_t size = 0;
};

struct RunSearch {
  std::vector<std::string> experiment_ids;
  std::string filter;                 // "metrics.rmse < 0.5 and params.max_depth = '6'"
  std::vector<std::string> order_by;  // "metrics.rmse ASC"
};

}  // namespace plinth::tracking

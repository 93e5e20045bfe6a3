#pragma once
// Models trained by Debian's python3-xgboost for the runtime tests (see train_models.py).
//
// The first test that asks trains every model into a fresh temporary directory with
// /usr/bin/python3 and moves it into the build tree under a name derived from the script's
// contents, so later test processes (CTest runs each test alone) reuse it and an edited script
// retrains. Concurrent first runs are safe: a lock file lets one process train (into a temporary
// directory, renamed into place atomically) while the others wait and then reuse its models.

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace plinth::serving::testing {

struct TrainedModel {
  std::string name;
  std::string objective;
  size_t rows = 0;
  size_t features = 0;
  size_t outputs = 0;
  bool compiled = false;  // expected to be supported by CompiledTreesRuntime
  std::vector<std::string> feature_names;
  std::string json;             // model bytes as saved by save_model("x.json")
  std::string ubjson;           // model bytes as saved by save_model("x.ubj")
  std::vector<float> x;         // rows * features, row-major, NaN = missing
  std::vector<float> expected;  // xgboost's own predictions, rows * outputs
};

// The directory holding the trained models (trains them on first use). Aborts the test binary
// with a message when Python or xgboost is missing.
const std::string& TrainedModelDir();

// Loads one model by name from TrainedModelDir().
TrainedModel LoadTrainedModel(const std::string& name);

// Every value within `relative` of XGBoost's (|a - e| <= relative * |e|; equal values always
// pass). On failure names the first mismatches; on success it also reports, via the test log,
// how many values were bitwise identical.
::testing::AssertionResult MatchesXgboost(const std::vector<float>& actual,
                                          const std::vector<float>& expected,
                                          double relative = 1e-6);

// Reads a whole file.
std::string ReadFileBytes(const std::string& path);

}  // namespace plinth::serving::testing

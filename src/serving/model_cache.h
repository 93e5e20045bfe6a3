#pragma once
// ModelCache: registered model versions loaded into runtimes, shared by every endpoint that
// serves them (TF Serving's manager, simplified: versions are immutable, so a loaded version
// never changes and is kept for the life of the server).
//
// Loading reads the version's artifact from the registry (checked against its SHA-256) and
// builds a runtime with LoadRuntime. Thread-safe; loads happen outside the cache's lock.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "registry/model_registry.h"
#include "serving/model_runtime.h"

namespace plinth::serving {

struct LoadedModel {
  std::string model;
  int64_t version = 0;
  std::unique_ptr<ModelRuntime> runtime;
  // The feature order the model takes: the registered signature's names when they match the
  // model's width, else the names saved in the model; empty if neither has names.
  std::vector<std::string> feature_names;
  std::unordered_map<std::string, size_t> feature_index;  // name -> position in feature_names
  double load_ms = 0;
};

class ModelCache {
 public:
  explicit ModelCache(registry::ModelRegistry& registry) : registry_(registry) {}

  // The loaded version. NotFound for an unknown version; InvalidArgument if it cannot be loaded.
  Result<std::shared_ptr<const LoadedModel>> Get(const std::string& model, int64_t version);

 private:
  registry::ModelRegistry& registry_;
  std::mutex mu_;
  std::map<std::pair<std::string, int64_t>, std::shared_ptr<const LoadedModel>> loaded_;  // guarded by mu_
};

}  // namespace plinth::serving

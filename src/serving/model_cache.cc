#include "serving/model_cache.h"

#include <chrono>

#include "serving/runtime_factory.h"

namespace plinth::serving {

Result<std::shared_ptr<const LoadedModel>> ModelCache::Get(const std::string& model,
                                                           int64_t version) {
  auto key = std::make_pair(model, version);
  {
    std::lock_guard lock(mu_);
    auto it = loaded_.find(key);
    if (it != loaded_.end()) return it->second;
  }
  auto start = std::chrono::steady_clock::now();
  auto cannot_serve = [&](const Status& why) {
    return Status(why.code(), "model '" + model + "' version " + std::to_string(version) +
                                  " cannot be served: " + why.message());
  };
  ASSIGN_OR_RETURN(registry::ModelVersion meta, registry_.GetVersion(model, version));
  auto bytes = registry_.ReadVersionArtifact(model, version);  // checks the file's SHA-256
  if (!bytes.ok()) return cannot_serve(bytes.status());
  auto runtime = LoadRuntime(meta.flavor, *bytes);
  if (!runtime.ok()) return cannot_serve(runtime.status());
  auto loaded = std::make_shared<LoadedModel>();
  loaded->model = model;
  loaded->version = version;
  loaded->runtime = std::move(runtime).value();
  const InputSignature& sig = loaded->runtime->input_signature();
  if (!meta.signature.empty() && meta.signature.size() == sig.num_features) {
    for (const auto& f : meta.signature) loaded->feature_names.push_back(f.name);
  } else {
    loaded->feature_names = sig.feature_names;
  }
  for (size_t i = 0; i < loaded->feature_names.size(); ++i) {
    loaded->feature_index.emplace(loaded->feature_names[i], i);
  }
  loaded->load_ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start).count();
  std::lock_guard lock(mu_);
  auto [it, inserted] = loaded_.emplace(key, std::move(loaded));
  return it->second;  // a concurrent load of the same version may have won; both are equal
}

}  // namespace plinth::serving

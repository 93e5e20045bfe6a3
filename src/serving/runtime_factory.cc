#include "serving/runtime_factory.h"

#include <utility>

#include "serving/compiled_trees_runtime.h"
#include "serving/xgboost_model.h"
#include "serving/xgboost_runtime.h"

namespace plinth::serving {
namespace {

constexpr std::string_view kXgboostFlavor = "xgboost";

Status CheckFlavor(std::string_view flavor) {
  if (flavor == kXgboostFlavor) return Status::Ok();
  std::string known;
  for (const std::string& f : SupportedFlavors()) known += (known.empty() ? "" : ", ") + f;
  return InvalidArgument("unknown model flavor '" + std::string(flavor) + "' (supported: " + known +
                         ")");
}

}  // namespace

const std::vector<std::string>& SupportedFlavors() {
  static const std::vector<std::string> kFlavors{std::string(kXgboostFlavor)};
  return kFlavors;
}

Result<std::unique_ptr<ModelRuntime>> LoadRuntime(std::string_view flavor, std::string_view bytes,
                                                  RuntimePreference preference) {
  RETURN_IF_ERROR(CheckFlavor(flavor));
  ASSIGN_OR_RETURN(XgboostModel model, ReadXgboostModel(bytes));

  std::string fallback_reason;
  if (preference != RuntimePreference::kXgboostOnly) {
    auto compiled = CompiledTreesRuntime::Compile(model);
    if (compiled.ok()) return std::unique_ptr<ModelRuntime>(std::move(compiled).value());
    // Only "not supported" falls back; a model that is wrong for its objective is wrong for
    // XGBoost too.
    if (compiled.status().code() != StatusCode::kFailedPrecondition ||
        preference == RuntimePreference::kCompiledOnly) {
      return compiled.status();
    }
    fallback_reason = compiled.status().message();
  }

  ASSIGN_OR_RETURN(auto xgboost, XgboostRuntime::Load(bytes, model, XgboostRuntime::Options{}));
  xgboost->set_fallback_reason(std::move(fallback_reason));
  return std::unique_ptr<ModelRuntime>(std::move(xgboost));
}

Status ValidateModelArtifact(std::string_view flavor, std::string_view bytes) {
  RETURN_IF_ERROR(CheckFlavor(flavor));
  auto model = ReadXgboostModel(bytes);
  if (!model.ok()) return model.status();  // already InvalidArgument with a readable message

  // XGBoost must load and predict with it: it is the fallback for every model.
  auto xgboost = XgboostRuntime::Load(bytes, *model, XgboostRuntime::Options{});
  if (!xgboost.ok()) return InvalidArgument(xgboost.status().message());

  // The compiled evaluator may decline (then XGBoost serves), but must not reject the model.
  auto compiled = CompiledTreesRuntime::Compile(*model);
  if (!compiled.ok() && compiled.status().code() != StatusCode::kFailedPrecondition) {
    return InvalidArgument(compiled.status().message());
  }
  return Status::Ok();
}

}  // namespace plinth::serving

#include "serving/rollout.h"

#include <cmath>

#include "common/names.h"
#include "serving/endpoint_spec_json.h"

namespace plinth::serving {

using nlohmann::json;

namespace {

Result<ModelRef> RefFromBody(const json& body) {
  ModelRef ref;
  auto model = body.find("model");
  if (model == body.end() || !model->is_string()) return InvalidArgument("'model' must be a string");
  ref.model = model->get<std::string>();
  RETURN_IF_ERROR(ValidateName("model", ref.model));
  auto version = body.find("version");
  if (version != body.end() && !version->is_null()) {
    if (!version->is_number_integer() || version->get<int64_t>() < 1) {
      return InvalidArgument("'version' must be an integer >= 1");
    }
    ref.version = version->get<int64_t>();
  }
  auto alias = body.find("alias");
  if (alias != body.end() && !alias->is_null()) {
    if (!alias->is_string()) return InvalidArgument("'alias' must be a string");
    ref.alias = alias->get<std::string>();
    RETURN_IF_ERROR(ValidateName("alias", *ref.alias));
  }
  if (ref.version.has_value() == ref.alias.has_value()) {
    return InvalidArgument("give exactly one of 'version' and 'alias'");
  }
  return ref;
}

// A limit: absent -> `fallback`, null -> not checked, else a number.
Result<std::optional<double>> Limit(const json& body, const char* key,
                                    std::optional<double> fallback) {
  auto it = body.find(key);
  if (it == body.end()) return fallback;
  if (it->is_null()) return std::optional<double>();
  if (!it->is_number()) return InvalidArgument(std::string("'") + key + "' must be a number or null");
  return std::optional<double>(it->get<double>());
}

json OptionalNumber(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// A percentage: an integer when it is one (5, not 5.0).
json Percent(double p) {
  return p == std::floor(p) && std::fabs(p) < 1e15 ? json(static_cast<int64_t>(p)) : json(p);
}

json WindowJson(const WindowStats& w) {
  return {{"requests", w.requests},       {"errors", w.errors},
          {"error_rate", w.error_rate},   {"p99_ms", w.p99_ms},
          {"predictions", w.predictions}, {"mean_prediction", w.mean_prediction}};
}

WindowStats WindowFromJson(const json& j) {
  WindowStats w;
  if (!j.is_object()) return w;
  w.requests = j.value("requests", int64_t{0});
  w.errors = j.value("errors", int64_t{0});
  w.error_rate = j.value("error_rate", 0.0);
  w.p99_ms = j.value("p99_ms", 0.0);
  w.predictions = j.value("predictions", int64_t{0});
  w.mean_prediction = j.value("mean_prediction", 0.0);
  return w;
}

std::optional<double> NumberOrNone(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

const char* RolloutStateName(RolloutState state) {
  switch (state) {
    case RolloutState::kRunning: return "running";
    case RolloutState::kPromoted: return "promoted";
    case RolloutState::kRolledBack: return "rolled_back";
    case RolloutState::kAborted: return "aborted";
  }
  return "running";
}

Result<RolloutRequest> RolloutRequestFromJson(const json& body) {
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object");
  RolloutRequest r;
  ASSIGN_OR_RETURN(r.canary, RefFromBody(body));
  auto variant = body.find("variant");
  if (variant != body.end() && !variant->is_null()) {
    if (!variant->is_string()) return InvalidArgument("'variant' must be a string");
    r.primary_variant = variant->get<std::string>();
  }
  auto steps = body.find("steps");
  if (steps != body.end() && !steps->is_null()) {
    if (!steps->is_array() || steps->empty() || steps->size() > 100) {
      return InvalidArgument("'steps' must be a list of 1 to 100 percentages ending at 100");
    }
    r.steps.clear();
    for (const auto& s : *steps) {
      if (!s.is_number()) return InvalidArgument("'steps' must hold numbers");
      r.steps.push_back(s.get<double>());
    }
  }
  for (size_t i = 0; i < r.steps.size(); ++i) {
    double p = r.steps[i];
    if (!(p > 0 && p <= 100) || (i > 0 && p <= r.steps[i - 1])) {
      return InvalidArgument("'steps' must rise strictly, each above 0 and at most 100; steps[" +
                             std::to_string(i) + "] breaks that");
    }
  }
  if (r.steps.back() != 100) return InvalidArgument("'steps' must end at 100");
  auto seconds = body.find("step_seconds");
  if (seconds != body.end() && !seconds->is_null()) {
    if (!seconds->is_number()) return InvalidArgument("'step_seconds' must be a number");
    r.step_seconds = seconds->get<double>();
  }
  if (!(r.step_seconds >= 0.1 && r.step_seconds <= 86400)) {
    return InvalidArgument("'step_seconds' must be from 0.1 to 86400");
  }
  ASSIGN_OR_RETURN(r.guards.max_error_rate, Limit(body, "max_error_rate", 0.01));
  ASSIGN_OR_RETURN(r.guards.max_p99_ms, Limit(body, "max_p99_ms", std::nullopt));
  ASSIGN_OR_RETURN(r.guards.max_mean_shift, Limit(body, "max_mean_shift", std::nullopt));
  auto min_requests = body.find("min_requests");
  if (min_requests != body.end() && !min_requests->is_null()) {
    if (!min_requests->is_number_integer()) return InvalidArgument("'min_requests' must be an integer");
    r.guards.min_requests = min_requests->get<int64_t>();
  }
  RETURN_IF_ERROR(ValidateGuards(r.guards));
  if (r.guards.max_mean_shift && r.steps.front() >= 100) {
    return InvalidArgument(
        "max_mean_shift needs a first step below 100: the primary must answer some traffic to "
        "compare with");
  }
  return r;
}

double Rollout::percent() const {
  if (state != RolloutState::kRunning || step_index >= request.steps.size()) return 0;
  return request.steps[step_index];
}

json RolloutToJson(const Rollout& r) {
  json history = json::array();
  for (const RolloutStep& s : r.history) {
    history.push_back({{"percent", Percent(s.percent)},
                       {"started_ms", s.started_ms},
                       {"ended_ms", s.ended_ms == 0 ? json(nullptr) : json(s.ended_ms)},
                       {"outcome", s.outcome},
                       {"message", s.message},
                       {"canary", WindowJson(s.canary)},
                       {"primary", WindowJson(s.primary)}});
  }
  json reason = nullptr;
  if (r.reason) {
    reason = {{"guard", r.reason->guard},
              {"value", OptionalNumber(r.reason->value)},
              {"limit", OptionalNumber(r.reason->limit)},
              {"message", r.reason->message}};
  }
  const RolloutGuards& g = r.request.guards;
  json steps = json::array();
  for (double p : r.request.steps) steps.push_back(Percent(p));
  json out = {{"id", r.id},
              {"endpoint", r.endpoint},
              {"model", r.request.canary.model},
              {"version", r.canary_version},
              {"alias", r.request.canary.alias ? json(*r.request.canary.alias) : json(nullptr)},
              {"primary_variant", r.primary_variant},
              {"steps", steps},
              {"step_seconds", r.request.step_seconds},
              {"guards",
               {{"max_error_rate", OptionalNumber(g.max_error_rate)},
                {"max_p99_ms", OptionalNumber(g.max_p99_ms)},
                {"max_mean_shift", OptionalNumber(g.max_mean_shift)},
                {"min_requests", g.min_requests}}},
              {"state", RolloutStateName(r.state)},
              {"step_index", r.step_index},
              {"percent", Percent(r.percent())},
              {"reason", reason},
              {"history", history},
              {"original", EndpointSpecToJson(r.original)},
              {"created_ms", r.created_ms},
              {"updated_ms", r.updated_ms},
              {"finished_ms", r.finished_ms == 0 ? json(nullptr) : json(r.finished_ms)},
              {"created_by", r.created_by}};
  return out;
}

Result<Rollout> RolloutFromJson(const json& j) {
  if (!j.is_object()) return Internal("a stored rollout is not a JSON object");
  try {
    Rollout r;
    r.id = j.at("id").get<std::string>();
    r.endpoint = j.at("endpoint").get<std::string>();
    json request = {{"model", j.at("model")},
                    {"steps", j.at("steps")},
                    {"step_seconds", j.at("step_seconds")}};
    if (j.at("alias").is_string()) {
      request["alias"] = j.at("alias");
    } else {
      request["version"] = j.at("version");
    }
    for (const auto& [k, v] : j.at("guards").items()) request[k] = v;
    ASSIGN_OR_RETURN(r.request, RolloutRequestFromJson(request));
    r.primary_variant = j.at("primary_variant").get<std::string>();
    r.request.primary_variant = r.primary_variant;
    r.canary_version = j.at("version").get<int64_t>();
    std::string state = j.at("state").get<std::string>();
    for (RolloutState s : {RolloutState::kRunning, RolloutState::kPromoted,
                           RolloutState::kRolledBack, RolloutState::kAborted}) {
      if (state == RolloutStateName(s)) r.state = s;
    }
    r.step_index = j.at("step_index").get<size_t>();
    for (const auto& s : j.at("history")) {
      RolloutStep step;
      step.percent = s.at("percent").get<double>();
      step.started_ms = s.at("started_ms").get<int64_t>();
      step.ended_ms = s.at("ended_ms").is_number() ? s.at("ended_ms").get<int64_t>() : 0;
      step.outcome = s.at("outcome").get<std::string>();
      step.message = s.value("message", "");
      step.canary = WindowFromJson(s.value("canary", json::object()));
      step.primary = WindowFromJson(s.value("primary", json::object()));
      r.history.push_back(std::move(step));
    }
    if (j.at("reason").is_object()) {
      const json& reason = j.at("reason");
      r.reason = RolloutReason{reason.value("guard", ""), NumberOrNone(reason, "value"),
                               NumberOrNone(reason, "limit"), reason.value("message", "")};
    }
    ASSIGN_OR_RETURN(r.original, EndpointSpecFromJson(j.at("original"), r.endpoint));
    r.created_ms = j.at("created_ms").get<int64_t>();
    r.updated_ms = j.at("updated_ms").get<int64_t>();
    r.finished_ms = j.at("finished_ms").is_number() ? j.at("finished_ms").get<int64_t>() : 0;
    r.created_by = j.at("created_by").get<std::string>();
    return r;
  } catch (const json::exception& e) {
    return Internal(std::string("a stored rollout cannot be read: ") + e.what());
  }
}

EndpointSpec CanarySpec(const EndpointSpec& original, const ModelRef& canary, double percent) {
  EndpointSpec spec = original;
  double total = 0;
  for (const auto& v : original.variants) total += v.weight;
  for (auto& v : spec.variants) v.weight = total > 0 ? v.weight * (100 - percent) / total : 0;
  spec.variants.push_back(VariantSpec{kCanaryVariant, canary, percent});
  return spec;
}

EndpointSpec PromotedSpec(const EndpointSpec& original, const std::string& primary_variant,
                          const ModelRef& canary) {
  EndpointSpec spec = original;
  spec.variants = {VariantSpec{primary_variant, canary, 1}};
  // A fallback variant stays, with no traffic of its own, so that the fallback still answers.
  if (spec.fallback && spec.fallback->variant && *spec.fallback->variant != primary_variant) {
    for (const auto& v : original.variants) {
      if (v.name == *spec.fallback->variant) spec.variants.push_back(VariantSpec{v.name, v.ref, 0});
    }
  }
  return spec;
}

}  // namespace plinth::serving

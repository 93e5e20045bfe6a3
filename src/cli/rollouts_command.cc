// `plinth rollouts start|status|abort`: progressive canary rollouts of serving endpoints
// (/api/v1/endpoints/{name}/rollouts; docs/rollouts.md).

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"

namespace plinth::cli {

namespace {

using Json = nlohmann::json;

struct StartArgs {
  std::string endpoint, canary, steps, variant;
  double step_seconds = -1, max_error_rate = -1, max_p99_ms = -1, max_mean_shift = -1;
  int64_t min_requests = 0;
  bool wait = false;
};

std::string Number(const Json& v) {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v.get<double>());
  return buf;
}

std::string RolloutPath(const std::string& endpoint) {
  return "/api/v1/endpoints/" + EncodeSegment(endpoint) + "/rollouts";
}

// "step 25%: passed (canary 40 requests, error rate 0, p99 0.31 ms, mean 1.2; primary mean 1.19)"
std::string StepLine(const Json& step) {
  const Json& c = step["canary"];
  const Json& p = step["primary"];
  return "step " + Number(step["percent"]) + "%: " + step.value("outcome", "") + " (canary " +
         std::to_string(c.value("requests", 0)) + " requests, error rate " +
         Number(c["error_rate"]) + ", p99 " + Number(c["p99_ms"]) + " ms, mean " +
         Number(c["mean_prediction"]) + "; primary " + std::to_string(p.value("requests", 0)) +
         " requests, mean " + Number(p["mean_prediction"]) + ")";
}

std::string EndLine(const Json& r) {
  std::string state = r.value("state", "");
  if (state == "promoted") {
    return "promoted: endpoint " + r.value("endpoint", "") + " serves " + r.value("model", "") +
           " version " + std::to_string(r.value("version", 0)) + " on variant " +
           r.value("primary_variant", "");
  }
  const Json& reason = r["reason"];
  std::string line = state + ": " + (reason.is_object() ? reason.value("message", "") : "");
  return line + "; the endpoint serves what it served before the rollout";
}

// Polls the rollout until it ends, printing each step as it finishes. Exit code 1 unless it was
// promoted.
Status WaitFor(CommandContext& ctx, const std::string& endpoint, Json rollout) {
  ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
  std::string path = RolloutPath(endpoint) + "/" + EncodeSegment(rollout.value("id", ""));
  size_t printed = 0;
  while (true) {
    const Json& history = rollout["history"];
    for (; printed < history.size() && !history[printed]["ended_ms"].is_null(); ++printed) {
      ctx.PrintNote(StepLine(history[printed]));
    }
    if (rollout.value("state", "") != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSIGN_OR_RETURN(rollout, api->Call("GET", path));
  }
  if (ctx.json()) {
    ctx.PrintObject(rollout);
  } else {
    ctx.PrintNote(EndLine(rollout));
  }
  if (rollout.value("state", "") != "promoted") ctx.set_exit_code(1);
  return Status::Ok();
}

Result<Json> StartBody(const StartArgs& a) {
  ASSIGN_OR_RETURN(Json body, ParseModelRef(a.canary, "CANARY"));
  if (!a.steps.empty()) {
    ASSIGN_OR_RETURN(body["steps"], ParseNumberList(a.steps, "--steps"));
  }
  if (!a.variant.empty()) body["variant"] = a.variant;
  if (a.step_seconds >= 0) body["step_seconds"] = a.step_seconds;
  if (a.max_error_rate >= 0) body["max_error_rate"] = a.max_error_rate;
  if (a.max_p99_ms >= 0) body["max_p99_ms"] = a.max_p99_ms;
  if (a.max_mean_shift >= 0) body["max_mean_shift"] = a.max_mean_shift;
  if (a.min_requests > 0) body["min_requests"] = a.min_requests;
  return body;
}

// The id of the endpoint's running rollout; NotFound when none runs.
Result<std::string> RunningRollout(CommandContext& ctx, const std::string& endpoint) {
  ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
  ASSIGN_OR_RETURN(Json items, api->ListAll(RolloutPath(endpoint), {}, 0));
  for (const Json& r : items) {
    if (r.value("state", "") == "running") return r.value("id", "");
  }
  return NotFound("no rollout is running on endpoint '" + endpoint + "'");
}

}  // namespace

void AddRolloutsCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("rollouts", "Progressive canary rollouts of endpoints");
  group->require_subcommand(1);
  {
    auto a = std::make_shared<StartArgs>();
    CLI::App* cmd = group->add_subcommand(
        "start", "Canary a version on an endpoint, step by step, rolling back on a failed guard");
    cmd->add_option("ENDPOINT", a->endpoint, "endpoint name")->required();
    cmd->add_option("CANARY", a->canary, "MODEL:VERSION or MODEL@ALIAS (an Approved version)")
        ->required();
    cmd->add_option("--steps", a->steps, "canary traffic percentages, ending at 100 (5,25,50,100)");
    cmd->add_option("--step-seconds", a->step_seconds, "least time per step (default 60)");
    cmd->add_option("--max-error-rate", a->max_error_rate, "canary error rate limit (default 0.01)");
    cmd->add_option("--max-p99-ms", a->max_p99_ms, "canary p99 latency limit in ms");
    cmd->add_option("--max-mean-shift", a->max_mean_shift,
                    "limit on |mean canary prediction - mean primary prediction|");
    cmd->add_option("--min-requests", a->min_requests,
                    "canary requests a step needs before it is judged (default 20)");
    cmd->add_option("--variant", a->variant, "the primary variant (default: the first)");
    cmd->add_flag("--wait", a->wait, "print each step as it ends; exit 1 unless promoted");
    OnRun(cmd, ctx, [&ctx, a]() -> Status {
      ASSIGN_OR_RETURN(Json body, StartBody(*a));
      if (!a->wait) return CallAndPrint(ctx, "POST", RolloutPath(a->endpoint), body);
      ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
      ASSIGN_OR_RETURN(Json rollout, api->Call("POST", RolloutPath(a->endpoint), body));
      ctx.PrintNote("rollout " + rollout.value("id", "") + ": " + rollout.value("model", "") +
                    " version " + std::to_string(rollout.value("version", 0)) + " on " +
                    a->endpoint + ", steps " + rollout["steps"].dump());
      return WaitFor(ctx, a->endpoint, rollout);
    });
  }
  {
    auto endpoint = std::make_shared<std::string>();
    auto id = std::make_shared<std::string>();
    auto limit = std::make_shared<int64_t>(0);
    CLI::App* cmd = group->add_subcommand("status", "List an endpoint's rollouts, or show one");
    cmd->add_option("ENDPOINT", *endpoint, "endpoint name")->required();
    cmd->add_option("ID", *id, "a rollout id: show that rollout with its steps");
    AddLimitOption(cmd, limit.get());
    OnRun(cmd, ctx, [&ctx, endpoint, id, limit]() -> Status {
      if (!id->empty()) {
        return CallAndPrint(ctx, "GET", RolloutPath(*endpoint) + "/" + EncodeSegment(*id));
      }
      auto reason = [](const Json& r) -> std::string {
        return r["reason"].is_object() ? r["reason"].value("message", "") : "";
      };
      auto step = [](const Json& r) -> std::string {
        return std::to_string(r.value("step_index", 0) + 1) + "/" +
               std::to_string(r["steps"].size());
      };
      return ListAndPrint(ctx, RolloutPath(*endpoint), {}, *limit,
                          {FieldColumn("ID", "id"), FieldColumn("STATE", "state"),
                           FieldColumn("MODEL", "model"), FieldColumn("VERSION", "version"),
                           FieldColumn("PERCENT", "percent"), Column{"STEP", step},
                           FieldColumn("CREATED", "created_ms"), Column{"REASON", reason}});
    });
  }
  {
    auto endpoint = std::make_shared<std::string>();
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "abort", "Stop a running rollout; the endpoint serves what it served before it");
    cmd->add_option("ENDPOINT", *endpoint, "endpoint name")->required();
    cmd->add_option("ID", *id, "the rollout id (default: the endpoint's running rollout)");
    OnRun(cmd, ctx, [&ctx, endpoint, id]() -> Status {
      std::string target = *id;
      if (target.empty()) {
        ASSIGN_OR_RETURN(target, RunningRollout(ctx, *endpoint));
      }
      return CallAndPrint(ctx, "POST",
                          RolloutPath(*endpoint) + "/" + EncodeSegment(target) + "/abort");
    });
  }
}

}  // namespace plinth::cli

// `plinth runs ...`: runs, their params, metrics, tags and artifacts (/api/v1/runs).

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/errors.h"
#include "cli/local_files.h"
#include "common/sha256.h"

namespace plinth::cli {

namespace {

using Json = nlohmann::json;

std::string RunPath(const std::string& run_id) { return "/api/v1/runs/" + EncodeSegment(run_id); }

// A run's latest metrics as "key=value key=value".
Column MetricsColumn() {
  return Column{"METRICS", [](const Json& run) -> std::string {
                  if (!run.contains("metrics") || !run["metrics"].is_object()) return "-";
                  Json values = Json::object();
                  for (const auto& [key, metric] : run["metrics"].items()) {
                    values[key] = metric.is_object() ? metric.value("value", Json()) : metric;
                  }
                  return values.empty() ? "-" : FormatInlineMap(values);
                }};
}

std::vector<Column> RunColumns() {
  return {FieldColumn("ID", "id"), FieldColumn("NAME", "name"), FieldColumn("STATUS", "status"),
          FieldColumn("STARTED", "start_ms"), MetricsColumn()};
}

void AddCreate(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string experiment, name, data_version;
    std::vector<std::string> tags;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("create", "Start a run in an experiment");
  cmd->add_option("--experiment", args->experiment, "experiment id")->required();
  cmd->add_option("--name", args->name, "run name");
  AddRepeatedOption(cmd, "--tag", &args->tags, "tag KEY=VALUE (repeatable)");
  cmd->add_option("--data-version", args->data_version, "version of the training data");
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    ASSIGN_OR_RETURN(auto tags, ParseKeyValues(args->tags, "--tag"));
    Json body = {{"experiment_id", args->experiment}};
    if (!args->name.empty()) body["name"] = args->name;
    if (!tags.empty()) body["tags"] = tags;
    if (!args->data_version.empty()) body["data_version"] = args->data_version;
    return CallAndPrint(ctx, "POST", "/api/v1/runs", body);
  });
}

void AddGet(CLI::App* group, CommandContext& ctx) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = group->add_subcommand("get", "Show one run with its params and metrics");
  cmd->add_option("RUN", *id, "run id")->required();
  OnRun(cmd, ctx, [&ctx, id]() -> Status { return CallAndPrint(ctx, "GET", RunPath(*id)); });
}

void AddSearch(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::vector<std::string> experiments, order_by;
    std::string filter;
    int64_t limit = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("search", "Find runs by metrics, params, tags");
  AddRepeatedOption(cmd, "--experiment", &args->experiments, "experiment id (repeatable)");
  cmd->get_option("--experiment")->required();
  cmd->add_option("--filter", args->filter, "e.g. \"metrics.rmse < 0.5 and params.lr = '0.1'\"");
  AddRepeatedOption(cmd, "--order-by", &args->order_by,
                    "e.g. \"metrics.rmse ASC\" (repeatable; default start_ms DESC)");
  AddLimitOption(cmd, &args->limit);
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
    auto fetch = [&](const std::string& page_token, int64_t page_size) {
      Json body = {{"experiment_ids", args->experiments}, {"limit", page_size}};
      if (!args->filter.empty()) body["filter"] = args->filter;
      if (!args->order_by.empty()) body["order_by"] = args->order_by;
      if (!page_token.empty()) body["page_token"] = page_token;
      return api->Call("POST", "/api/v1/runs/search", body);
    };
    ASSIGN_OR_RETURN(Json runs, CollectPages(fetch, args->limit));
    ctx.PrintList(runs, RunColumns());
    return Status::Ok();
  });
}

void AddLogParam(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string run, key, value;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("log-param", "Set a param of a run (once per key)");
  cmd->add_option("RUN", args->run, "run id")->required();
  cmd->add_option("KEY", args->key, "param name")->required();
  cmd->add_option("VALUE", args->value, "param value")->required();
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    Json body = {{"params", {{args->key, args->value}}}};
    return CallAndPrint(ctx, "POST", RunPath(args->run) + "/params", body);
  });
}

void AddLogMetric(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string run, key, value;
    std::optional<int64_t> step, timestamp;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("log-metric", "Log one metric value of a run");
  cmd->add_option("RUN", args->run, "run id")->required();
  cmd->add_option("KEY", args->key, "metric name")->required();
  cmd->add_option("VALUE", args->value, "a number")->required();
  cmd->add_option("--step", args->step, "step (default 0)");
  cmd->add_option("--timestamp", args->timestamp, "milliseconds since the epoch (default: now)");
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    ASSIGN_OR_RETURN(double value, ParseNumber(args->value, "VALUE"));
    Json metric = {{"key", args->key}, {"value", value}};
    if (args->step) metric["step"] = *args->step;
    if (args->timestamp) metric["timestamp"] = *args->timestamp;
    Json body = {{"metrics", Json::array({metric})}};
    return CallAndPrint(ctx, "POST", RunPath(args->run) + "/metrics", body);
  });
}

void AddMetricHistory(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string run, key;
    int64_t limit = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("metric-history", "Every logged value of a metric");
  cmd->add_option("RUN", args->run, "run id")->required();
  cmd->add_option("KEY", args->key, "metric name")->required();
  AddLimitOption(cmd, &args->limit);
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    return ListAndPrint(ctx, RunPath(args->run) + "/metrics/" + EncodeSegment(args->key), {},
                        args->limit,
                        {FieldColumn("STEP", "step"), FieldColumn("VALUE", "value"),
                         FieldColumn("TIMESTAMP", "timestamp")});
  });
}

void AddTag(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string run;
    std::vector<std::string> tags;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("tag", "Set tags of a run");
  cmd->add_option("RUN", args->run, "run id")->required();
  cmd->add_option("TAGS", args->tags, "KEY=VALUE ...")->required();
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    ASSIGN_OR_RETURN(auto tags, ParseKeyValues(args->tags, "tag"));
    return CallAndPrint(ctx, "POST", RunPath(args->run) + "/tags", Json{{"tags", tags}});
  });
}

void AddFinish(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string run, status = "FINISHED";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("finish", "End a run");
  cmd->add_option("RUN", args->run, "run id")->required();
  cmd->add_option("--status", args->status, "how it ended")
      ->check(CLI::IsMember({"FINISHED", "FAILED"}))
      ->capture_default_str();
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    return CallAndPrint(ctx, "POST", RunPath(args->run) + "/finish",
                        Json{{"status", args->status}});
  });
}

void AddUpload(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string run, local_file, artifact_path;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("upload", "Store a local file as an artifact of a run");
  cmd->add_option("RUN", args->run, "run id")->required();
  cmd->add_option("LOCAL_FILE", args->local_file, "file to upload")->required();
  cmd->add_option("ARTIFACT_PATH", args->artifact_path, "e.g. model/model.json")->required();
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    ASSIGN_OR_RETURN(std::string bytes, ReadLocalFile(args->local_file));
    ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
    ASSIGN_OR_RETURN(
        Json stored,
        api->SendBytes("PUT", RunPath(args->run) + "/artifacts/" + EncodePath(args->artifact_path),
                       bytes));
    std::string local_sha = Sha256Hex(bytes);
    if (stored.value("sha256", local_sha) != local_sha) {
      return Internal("the server stored sha256 " + stored.value("sha256", "") + " but " +
                      args->local_file + " has " + local_sha);
    }
    ctx.PrintObject(stored);
    return Status::Ok();
  });
}

void AddDownload(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string run, artifact_path, out_file;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("download", "Save an artifact of a run to a file");
  cmd->add_option("RUN", args->run, "run id")->required();
  cmd->add_option("ARTIFACT_PATH", args->artifact_path, "path of the artifact")->required();
  cmd->add_option("OUT_FILE", args->out_file, "where to write it; - for stdout")->required();
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
    ASSIGN_OR_RETURN(std::string bytes, api->Download(RunPath(args->run) + "/artifacts/" +
                                                      EncodePath(args->artifact_path)));
    RETURN_IF_ERROR(WriteLocalFile(args->out_file, bytes));
    if (args->out_file != "-") {
      ctx.PrintNote("wrote " + std::to_string(bytes.size()) + " bytes to " + args->out_file);
    }
    return Status::Ok();
  });
}

void AddArtifacts(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string run;
    int64_t limit = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("artifacts", "List the artifacts of a run");
  cmd->add_option("RUN", args->run, "run id")->required();
  AddLimitOption(cmd, &args->limit);
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    return ListAndPrint(ctx, RunPath(args->run) + "/artifacts", {}, args->limit,
                        {FieldColumn("PATH", "path"), FieldColumn("SIZE", "size"),
                         FieldColumn("SHA256", "sha256")});
  });
}

// `runs log-input RUN --dataset NAME[@VERSION]`: the run read that dataset (its lineage).
void AddLogInput(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string run, dataset;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand(
      "log-input", "Record a dataset version as the run's training data (lineage)");
  cmd->add_option("RUN", args->run, "run id")->required();
  cmd->add_option("--dataset", args->dataset, "NAME or NAME@VERSION (default: the latest)")
      ->required();
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    Json body = {{"dataset", args->dataset}};
    size_t at = args->dataset.rfind('@');
    if (at != std::string::npos) {
      ASSIGN_OR_RETURN(int64_t v, ParseInteger(args->dataset.substr(at + 1), "--dataset version"));
      body = {{"dataset", args->dataset.substr(0, at)}, {"version", v}};
    }
    return CallAndPrint(ctx, "POST", RunPath(args->run) + "/inputs", body);
  });
}

}  // namespace

void AddRunsCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("runs", "Runs: params, metrics, tags, artifacts");
  group->require_subcommand(1);
  AddCreate(group, ctx);
  AddGet(group, ctx);
  AddSearch(group, ctx);
  AddLogParam(group, ctx);
  AddLogMetric(group, ctx);
  AddMetricHistory(group, ctx);
  AddTag(group, ctx);
  AddFinish(group, ctx);
  AddUpload(group, ctx);
  AddDownload(group, ctx);
  AddArtifacts(group, ctx);
  AddLogInput(group, ctx);
}

}  // namespace plinth::cli

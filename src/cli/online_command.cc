// `plinth features materialize|materialize-incremental|materializations|push|online`: the
// feature store's online side (docs/cli.md). These join the `features` group, which the offline
// commands (features_command.cc) may have created first.

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/local_files.h"

namespace plinth::cli {

namespace {

using nlohmann::json;

CLI::App* FeaturesGroup(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == "features") return sub;
  }
  CLI::App* group = app.add_subcommand("features", "Feature store: definitions, data, online features");
  group->require_subcommand(1);
  return group;
}

// Milliseconds stay integers; anything else (RFC 3339) goes as text for the server to read.
json TimeValue(const std::string& text) {
  auto ms = ParseInteger(text, "time");
  if (ms.ok()) return *ms;
  return text;
}

// Polls a job until it ends, drawing its progress on stderr (unless --json), then prints it.
Status FollowJob(CommandContext& ctx, ApiClient* api, const std::string& view, json job) {
  const std::string path = "/api/v1/feature-views/" + EncodeSegment(view) + "/materializations/" +
                           EncodeSegment(job.value("id", ""));
  bool drew = false;
  while (job.value("status", "") == "running") {
    if (!ctx.json()) {
      std::cerr << "\rmaterializing " << view << ": " << job.value("rows_scanned", 0)
                << " rows scanned, " << job.value("rows_written", 0) << " of "
                << job.value("entities", 0) << " entities written" << std::flush;
      drew = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSIGN_OR_RETURN(job, api->Call("GET", path));
  }
  if (drew) std::cerr << "\n";
  ctx.PrintObject(job);
  if (job.value("status", "") != "succeeded") {
    return Internal("materialization " + job.value("id", "") + " ended " + job.value("status", "") +
                    (job["error"].is_string() ? ": " + job["error"].get<std::string>() : ""));
  }
  return Status::Ok();
}

struct MaterializeArgs {
  std::string view, start, end;
  bool no_wait = false;
};

void AddMaterialize(CLI::App* group, CommandContext& ctx, bool incremental) {
  auto args = std::make_shared<MaterializeArgs>();
  CLI::App* cmd = group->add_subcommand(
      incremental ? "materialize-incremental" : "materialize",
      incremental ? "Copy what is new since the last incremental run into the online store"
                  : "Copy the latest values in [start, end) into the online store");
  cmd->add_option("VIEW", args->view, "feature view")->required();
  if (!incremental) {
    cmd->add_option("--start", args->start, "start (inclusive): milliseconds or RFC 3339")->required();
  }
  auto* end = cmd->add_option("--end", args->end,
                              incremental ? "end (exclusive; default now): milliseconds or RFC 3339"
                                          : "end (exclusive): milliseconds or RFC 3339");
  if (!incremental) end->required();
  cmd->add_flag("--no-wait", args->no_wait, "start the job and print it without following it");
  OnRun(cmd, ctx, [&ctx, args, incremental]() -> Status {
    json body = json::object();
    if (!args->start.empty()) body["start"] = TimeValue(args->start);
    if (!args->end.empty()) body["end"] = TimeValue(args->end);
    ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
    ASSIGN_OR_RETURN(json job, api->Call("POST",
                                         "/api/v1/feature-views/" + EncodeSegment(args->view) +
                                             (incremental ? "/materialize-incremental" : "/materialize"),
                                         body));
    if (args->no_wait) {
      ctx.PrintObject(job);
      return Status::Ok();
    }
    return FollowJob(ctx, api, args->view, std::move(job));
  });
}

// "zone_id=1,2,3" -> ("zone_id", [1, 2, 3]); values that are integers are sent as numbers.
Result<std::pair<std::string, json>> ParseEntityOption(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgument("bad --entity '" + text + "': expected KEY=V1,V2,...");
  }
  json values = json::array();
  std::string rest = text.substr(eq + 1);
  size_t pos = 0;
  while (true) {
    size_t comma = rest.find(',', pos);
    std::string v = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto n = ParseInteger(v, "entity");
    values.push_back(n.ok() ? json(*n) : json(v));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return std::make_pair(text.substr(0, eq), values);
}

// The online answer as a table: one row per entity, a column per join key and feature; a value
// that is not PRESENT shows its status.
void PrintOnline(CommandContext& ctx, const json& answer) {
  if (ctx.json()) {
    ctx.out() << answer.dump(2) << "\n";
    return;
  }
  std::vector<std::string> headers;
  for (const auto& name : answer["metadata"]["feature_names"]) headers.push_back(name.get<std::string>());
  const json& results = answer["results"];
  size_t rows = results.empty() ? 0 : results[0]["values"].size();
  std::vector<std::vector<std::string>> table(rows);
  for (const auto& column : results) {
    for (size_t r = 0; r < rows; ++r) {
      std::string status = column["statuses"][r].get<std::string>();
      table[r].push_back(status == "PRESENT" ? FormatScalar(column["values"][r]) : status);
    }
  }
  ctx.out() << FormatTable(headers, table);
}

}  // namespace

void AddOnlineFeatureCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = FeaturesGroup(app);
  AddMaterialize(group, ctx, /*incremental=*/false);
  AddMaterialize(group, ctx, /*incremental=*/true);
  {
    auto view = std::make_shared<std::string>();
    auto limit = std::make_shared<int64_t>(0);
    CLI::App* cmd = group->add_subcommand("materializations", "List a view's materialization jobs");
    cmd->add_option("VIEW", *view, "feature view")->required();
    AddLimitOption(cmd, limit.get());
    OnRun(cmd, ctx, [&ctx, view, limit]() -> Status {
      return ListAndPrint(ctx, "/api/v1/feature-views/" + EncodeSegment(*view) + "/materializations",
                          {}, *limit,
                          {FieldColumn("ID", "id"), FieldColumn("STATUS", "status"),
                           FieldColumn("INCREMENTAL", "incremental"), FieldColumn("START", "start_ms"),
                           FieldColumn("END", "end_ms"), FieldColumn("WRITTEN", "rows_written"),
                           FieldColumn("CREATED", "created_ms")});
    });
  }
  {
    auto view = std::make_shared<std::string>();
    auto file = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "push", "Write rows to the online and offline stores at once (CSV or JSON lines)");
    cmd->add_option("VIEW", *view, "feature view")->required();
    cmd->add_option("FILE", *file, "a .csv file, or JSON lines (.jsonl, .ndjson)")->required();
    OnRun(cmd, ctx, [&ctx, view, file]() -> Status {
      ASSIGN_OR_RETURN(std::string bytes, ReadLocalFile(*file));
      bool csv = file->size() >= 4 && file->compare(file->size() - 4, 4, ".csv") == 0;
      ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
      ASSIGN_OR_RETURN(json answer,
                       api->SendBytes("POST", "/api/v1/feature-views/" + EncodeSegment(*view) + "/push",
                                      bytes, csv ? "text/csv" : "application/x-ndjson"));
      ctx.PrintObject(answer);
      return Status::Ok();
    });
  }
  {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto entities = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = group->add_subcommand("online", "Read the latest feature values of entities");
    cmd->add_option("--features", *refs, "view:feature refs (comma-separated or repeated)")
        ->required()
        ->delimiter(',');
    AddRepeatedOption(cmd, "--entity", entities.get(), "JOIN_KEY=V1,V2,... (repeatable)");
    OnRun(cmd, ctx, [&ctx, refs, entities]() -> Status {
      if (entities->empty()) return InvalidArgument("give --entity JOIN_KEY=V1,V2,...");
      json body = {{"features", *refs}, {"entities", json::object()}};
      for (const std::string& e : *entities) {
        ASSIGN_OR_RETURN(auto parsed, ParseEntityOption(e));
        body["entities"][parsed.first] = parsed.second;
      }
      ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
      ASSIGN_OR_RETURN(json answer, api->Call("POST", "/api/v1/features/online", body));
      PrintOnline(ctx, answer);
      return Status::Ok();
    });
  }
}

}  // namespace plinth::cli

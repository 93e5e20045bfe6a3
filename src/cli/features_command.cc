// `plinth features apply|ingest|historical|list|show|entities|ingests` and
// `plinth datasets list|show|download|lineage`: the feature store (docs/feature-store.md) over
// its HTTP API (/api/v1/entities, /feature-views, /features/historical, /datasets).

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "cli/args.h"
#include "cli/batch_split.h"
#include "cli/commands.h"
#include "cli/errors.h"
#include "cli/feature_spec.h"
#include "cli/local_files.h"

namespace plinth::cli {

using nlohmann::json;

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string Megabytes(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

// ---- apply ---------------------------------------------------------------------------------

struct ApplyArgs {
  std::string file;
  bool force = false;
  bool dry_run = false;
};

// One applied object as the summary shows it.
std::string DescribeApply(const std::string& kind, const json& answer, bool dry_run) {
  std::string action = answer.value("action", "");
  std::string name = answer.value("name", "");
  std::string line = kind + " " + name + ": ";
  std::string would = dry_run ? "would be " : "";
  if (action == "created") {
    line += (dry_run ? "would be created" : "created");
    if (kind == "feature view") line += " (version 1)";
  } else if (action == "new_version") {
    line += would + "updated to version " + std::to_string(answer.value("version", 0));
  } else if (action == "updated") {
    line += would + "updated in place";
    if (kind == "feature view")
      line += " (version " + std::to_string(answer.value("version", 0)) + ")";
  } else {
    line += "unchanged";
  }
  line += "\n";
  for (const json& c : answer.value("changes", json::array())) {
    std::string field = c.value("field", "");
    std::string what = c.value("kind", "");
    line += "    " + field + ": " + what;
    if (what == "changed") {
      line += " " + c.value("before", "") + " -> " + c.value("after", "");
    } else if (what == "added" && !c.value("after", "").empty()) {
      line += " " + c.value("after", "");
    }
    if (c.value("breaking", false)) line += " (breaking)";
    line += "\n";
  }
  return line;
}

Status RunApply(CommandContext& ctx, const ApplyArgs& args) {
  ASSIGN_OR_RETURN(std::string text, ReadLocalFile(args.file));
  ASSIGN_OR_RETURN(FeatureSpec spec, ParseFeatureSpec(text, args.file));
  ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
  std::set<std::string> declared;
  for (const json& e : spec.entities) declared.insert(e["name"].get<std::string>());
  auto post = [&](const char* path, json body, bool dry_run) {
    body["force"] = args.force;
    body["dry_run"] = dry_run;
    return api->Call("POST", path, body);
  };
  // First every change as a dry run, so that an invalid definition or a refused breaking change
  // anywhere in the file stops the command before anything is written. A view whose entity is
  // declared in this file but not created yet cannot be checked before that entity exists.
  for (const json& e : spec.entities) RETURN_IF_ERROR(post("/api/v1/entities", e, true).status());
  auto waits_for_entity = [&](const Status& st) {
    if (st.code() != StatusCode::kNotFound) return false;
    for (const std::string& name : declared) {
      if (st.message().find("entity '" + name + "'") != std::string::npos) return true;
    }
    return false;
  };
  for (const json& v : spec.feature_views) {
    auto r = post("/api/v1/feature-views", v, true);
    if (!r.ok() && !waits_for_entity(r.status())) return r.status();
  }
  json results = json::array();
  std::string summary;
  auto apply = [&](const char* kind, const char* path, const json& body) -> Status {
    auto applied = post(path, body, args.dry_run);
    if (!applied.ok() && args.dry_run && waits_for_entity(applied.status())) {
      // A view of an entity this dry run did not create: it does not exist yet either.
      applied = json{{"name", body.value("name", "")},
                     {"action", "created"},
                     {"version", 1},
                     {"changes", json::array()}};
    }
    ASSIGN_OR_RETURN(json answer, std::move(applied));
    summary += DescribeApply(kind, answer, args.dry_run);
    results.push_back({{"kind", kind},
                       {"name", answer.value("name", "")},
                       {"action", answer.value("action", "")},
                       {"version", answer.contains("version") ? answer["version"] : json(nullptr)},
                       {"changes", answer.value("changes", json::array())}});
    return Status::Ok();
  };
  for (const json& e : spec.entities) RETURN_IF_ERROR(apply("entity", "/api/v1/entities", e));
  for (const json& v : spec.feature_views) {
    RETURN_IF_ERROR(apply("feature view", "/api/v1/feature-views", v));
  }
  if (ctx.json()) {
    ctx.out() << results.dump(2) << "\n";
  } else {
    ctx.out() << summary;
    if (args.dry_run) ctx.out() << "dry run: nothing was written\n";
  }
  return Status::Ok();
}

// ---- ingest --------------------------------------------------------------------------------

struct IngestArgs {
  std::string view, file;
  double batch_mb = 32;
};

// The rejected rows of one batch, numbered as in the file.
std::string FailureReport(const Status& status, size_t first_record, bool csv) {
  json details = json::parse(status.details_json(), nullptr, false);
  if (!details.is_object()) return "";
  const json& inner = details.contains("details") ? details["details"] : json();
  if (!inner.is_object() || !inner.contains("failures")) return "";
  std::vector<std::vector<std::string>> rows;
  for (const json& f : inner["failures"]) {
    int64_t row = f.value("row", int64_t{0}) + static_cast<int64_t>(first_record) - 1;
    rows.push_back(
        {std::to_string(row), f.value("column", ""), f.value("rule", ""),
         f.contains("value") && f["value"].is_string() ? f["value"].get<std::string>() : "null"});
  }
  std::string out = FormatTable({csv ? "ROW" : "LINE", "COLUMN", "RULE", "VALUE"}, rows);
  int64_t count = inner.value("failure_count", int64_t{0});
  if (count > static_cast<int64_t>(rows.size())) {
    out += "(" + std::to_string(count) + " failures in all; the first " +
           std::to_string(rows.size()) + " are listed)\n";
  }
  return out;
}

Status RunIngest(CommandContext& ctx, const IngestArgs& args) {
  bool csv = args.file.ends_with(".csv");
  bool jsonl = args.file.ends_with(".jsonl") || args.file.ends_with(".ndjson");
  if (!csv && !jsonl) {
    return UsageError("cannot tell the format of " + args.file +
                      ": name it .csv (CSV with a header) or .jsonl/.ndjson (JSON lines)");
  }
  if (!(args.batch_mb > 0)) return UsageError("--batch-mb must be positive");
  ASSIGN_OR_RETURN(std::string text, ReadLocalFile(args.file));
  if (text.empty()) return UsageError(args.file + " is empty");
  ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
  size_t max_bytes = static_cast<size_t>(args.batch_mb * 1e6);
  TextBatches batches = SplitTextBatches(text, csv, max_bytes);
  if (batches.bodies.empty()) {
    return UsageError(args.file + " has a header and no rows");
  }
  std::string target = "/api/v1/feature-views/" + EncodeSegment(args.view) + "/ingest";
  auto start = std::chrono::steady_clock::now();
  int64_t rows = 0;
  size_t sent = 0;
  json answers = json::array();
  const size_t n = batches.bodies.size();
  for (size_t b = 0; b < n; ++b) {
    std::string body;
    body.reserve(batches.header.size() + batches.bodies[b].size());
    body.append(batches.header).append(batches.bodies[b]);
    auto answer = api->SendBytes("POST", target, body, csv ? "text/csv" : "application/x-ndjson");
    if (!answer.ok()) {
      const Status& st = answer.status();
      if (st.code() == StatusCode::kInvalidArgument && IsServerError(st)) {
        ctx.out() << FailureReport(st, batches.first_record[b], csv);
      }
      if (n == 1) return st;
      std::string stored = b == 0 ? "none is stored"
                                  : "batches 1-" + std::to_string(b) + " (" + std::to_string(rows) +
                                        " rows) are stored";
      return Status(st.code(), "batch " + std::to_string(b + 1) + " of " + std::to_string(n) +
                                   " (from " + (csv ? "row " : "line ") +
                                   std::to_string(batches.first_record[b]) + ") was refused and " +
                                   stored + ": " + st.message())
          .WithDetails(st.details_json());
    }
    rows += answer->value("rows", int64_t{0});
    sent += body.size();
    answers.push_back(*answer);
    if (!ctx.json()) {
      double secs = SecondsSince(start);
      std::cerr << "\rbatch " << (b + 1) << "/" << n << ": " << rows << " rows, " << Megabytes(sent)
                << " sent, "
                << static_cast<int64_t>(static_cast<double>(rows) / std::max(secs, 1e-9))
                << " rows/s" << (b + 1 == n ? "\n" : "") << std::flush;
    }
  }
  if (ctx.json()) {
    ctx.out() << (n == 1 ? answers[0] : answers).dump(2) << "\n";
    return Status::Ok();
  }
  ctx.out() << "ingested " << rows << " rows into " << args.view << " (version "
            << answers.back().value("view_version", 0) << ") in " << n
            << (n == 1 ? " batch" : " batches") << "\n";
  // The stats of the last batch (each batch's are recorded; `features ingests` lists them).
  const json& stats = answers.back()["stats"];
  if (stats.is_object() && stats.contains("features")) {
    std::vector<std::vector<std::string>> table;
    for (const auto& [name, s] : stats["features"].items()) {
      table.push_back(
          {name, FormatScalar(s.value("type", json())), FormatScalar(s.value("count", json())),
           FormatScalar(s.value("nulls", json())), FormatScalar(s.value("min", json())),
           FormatScalar(s.value("max", json())), FormatScalar(s.value("mean", json()))});
    }
    ctx.out() << FormatTable({"FEATURE", "TYPE", "COUNT", "NULLS", "MIN", "MAX", "MEAN"}, table);
  }
  return Status::Ok();
}

// ---- historical ----------------------------------------------------------------------------

struct HistoricalArgs {
  std::string entities, features, output = "-", save_as, description;
  bool full_feature_names = false;
};

Status RunHistorical(CommandContext& ctx, const HistoricalArgs& args) {
  ASSIGN_OR_RETURN(std::string text, ReadLocalFile(args.entities));
  if (text.empty()) return UsageError(args.entities + " is empty");
  if (args.features.empty()) return UsageError("--features needs at least one view:feature");
  ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
  QueryParams query = {
      {"features", args.features}, {"save_as", args.save_as}, {"description", args.description}};
  if (args.full_feature_names) query.emplace_back("full_feature_names", "true");
  bool quiet = ctx.json() || args.output == "-";
  // A long upload says so first; on its own line, so that an error still reads as one line.
  if (!quiet && text.size() > (8u << 20)) {
    std::cerr << "sending " << Megabytes(text.size()) << " of entity rows" << std::endl;
  }
  auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(HttpResponse response,
                   api->Exchange("POST", WithQuery("/api/v1/features/historical", query), text,
                                 "text/csv", "text/csv"));
  double secs = SecondsSince(start);
  auto header = [&](const char* name) {
    auto it = response.headers.find(name);
    return it == response.headers.end() ? std::string() : it->second;
  };
  std::string rows = header("x-rows");
  if (!quiet) {
    int64_t n = rows.empty() ? 0 : std::stoll(rows);
    std::cerr << rows << " rows joined (" << header("x-join-ms") << " ms on the server); "
              << Megabytes(text.size()) << " sent, " << Megabytes(response.body.size())
              << " received, " << static_cast<int64_t>(secs * 1000) << " ms in all, "
              << static_cast<int64_t>(static_cast<double>(n) / std::max(secs, 1e-9)) << " rows/s\n";
  }
  RETURN_IF_ERROR(WriteLocalFile(args.output, response.body));
  json summary = {
      {"rows", rows.empty() ? json(nullptr) : json(std::stoll(rows))},
      {"output", args.output},
      {"bytes", response.body.size()},
      {"dataset", header("x-dataset").empty() ? json(nullptr) : json(header("x-dataset"))},
      {"sha256",
       header("x-dataset-sha256").empty() ? json(nullptr) : json(header("x-dataset-sha256"))}};
  if (ctx.json()) {
    ctx.out() << summary.dump(2) << "\n";
  } else if (args.output != "-") {
    ctx.out() << "wrote " << rows << " rows to " << args.output;
    if (!header("x-dataset").empty()) {
      ctx.out() << "; saved as dataset " << header("x-dataset") << " (sha256 "
                << header("x-dataset-sha256").substr(0, 12) << ")";
    }
    ctx.out() << "\n";
  }
  return Status::Ok();
}

// "name" or "name@3" -> (name, version or 0).
Result<std::pair<std::string, int64_t>> NameAtVersion(const std::string& text, int64_t version) {
  size_t at = text.rfind('@');
  if (at == std::string::npos) return std::make_pair(text, version);
  ASSIGN_OR_RETURN(int64_t v, ParseInteger(text.substr(at + 1), "the version after '@'"));
  if (v < 1) return UsageError("the version after '@' must be 1 or more");
  return std::make_pair(text.substr(0, at), v);
}

// "a, b" from a list of strings.
std::string JoinNames(const json& list) {
  std::string out;
  for (const json& v : list) {
    if (!out.empty()) out += ", ";
    out += v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

// "zone_demand@1, weather@3" from [{"name", "version"}].
std::string ViewVersions(const json& list) {
  std::string out;
  for (const json& v : list) {
    if (!out.empty()) out += ", ";
    out += v.value("name", "") + "@" + std::to_string(v.value("version", 0));
  }
  return out;
}

std::vector<Column> ViewColumns() {
  return {FieldColumn("NAME", "name"),
          FieldColumn("VERSION", "version"),
          Column{"ENTITIES",
                 [](const json& v) { return JoinNames(v.value("entities", json::array())); }},
          Column{"FEATURES",
                 [](const json& v) {
                   return std::to_string(v.value("features", json::array()).size());
                 }},
          FieldColumn("TTL_S", "ttl_seconds"),
          FieldColumn("OWNER", "owner"),
          FieldColumn("UPDATED", "updated_ms")};
}

std::vector<Column> DatasetColumns() {
  return {
      FieldColumn("NAME", "name"),
      FieldColumn("VERSION", "version"),
      FieldColumn("ROWS", "rows"),
      Column{"SHA256", [](const json& d) { return d.value("sha256", "").substr(0, 12); }},
      Column{"FEATURE_VIEWS",
             [](const json& d) { return ViewVersions(d.value("feature_views", json::array())); }},
      FieldColumn("CREATED", "created_ms"),
      FieldColumn("BY", "created_by")};
}

}  // namespace

void AddFeaturesCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group =
      app.add_subcommand("features", "The feature store: definitions, ingest, training sets");
  group->require_subcommand(1);
  {
    auto args = std::make_shared<ApplyArgs>();
    CLI::App* cmd = group->add_subcommand(
        "apply", "Create or update the entities and feature views a YAML spec declares");
    cmd->add_option("SPEC", args->file, "spec file (YAML; see docs/feature-store.md)")->required();
    cmd->add_flag("--force", args->force, "accept breaking changes (a new version)");
    cmd->add_flag("--dry-run", args->dry_run, "show what would change; write nothing");
    OnRun(cmd, ctx, [&ctx, args]() { return RunApply(ctx, *args); });
  }
  {
    auto args = std::make_shared<IngestArgs>();
    CLI::App* cmd = group->add_subcommand("ingest", "Ingest a CSV or JSON lines file into a view");
    cmd->add_option("VIEW", args->view, "feature view")->required();
    cmd->add_option("FILE", args->file, "FILE.csv (with a header) or FILE.jsonl")->required();
    cmd->add_option("--batch-mb", args->batch_mb,
                    "split larger files into batches of this many MB (each batch is atomic; "
                    "keep it under the server's --max-body-bytes)")
        ->capture_default_str();
    OnRun(cmd, ctx, [&ctx, args]() { return RunIngest(ctx, *args); });
  }
  {
    auto args = std::make_shared<HistoricalArgs>();
    CLI::App* cmd = group->add_subcommand(
        "historical", "Build a point-in-time correct training set from entity rows");
    cmd->add_option("--entities", args->entities,
                    "CSV of entity rows: join keys, event_timestamp, and any other columns")
        ->required();
    cmd->add_option("--features", args->features, "view:feature,view:feature,...")->required();
    cmd->add_option("--output,-o", args->output, "where to write the CSV ('-': stdout)")
        ->capture_default_str();
    cmd->add_option("--save-as", args->save_as, "also save it as a new version of this dataset");
    cmd->add_option("--description", args->description, "the dataset's description");
    cmd->add_flag("--full-feature-names", args->full_feature_names,
                  "name columns view__feature instead of feature");
    OnRun(cmd, ctx, [&ctx, args]() { return RunHistorical(ctx, *args); });
  }
  {
    auto limit = std::make_shared<int64_t>(0);
    CLI::App* cmd = group->add_subcommand("list", "List feature views (latest versions)");
    AddLimitOption(cmd, limit.get());
    OnRun(cmd, ctx, [&ctx, limit]() {
      return ListAndPrint(ctx, "/api/v1/feature-views", {}, *limit, ViewColumns());
    });
  }
  {
    struct Args {
      std::string view;
      int64_t version = 0;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("show", "Show a feature view, its features and versions");
    cmd->add_option("VIEW", args->view, "feature view")->required();
    cmd->add_option("--version", args->version, "that version instead of the latest");
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
      std::string path = "/api/v1/feature-views/" + EncodeSegment(args->view);
      if (args->version > 0) path += "/versions/" + std::to_string(args->version);
      ASSIGN_OR_RETURN(json view, api->Call("GET", path));
      if (ctx.json()) {
        ctx.PrintObject(view);
        return Status::Ok();
      }
      json versions = view.value("versions", json::array());
      json features = view.value("features", json::array());
      view.erase("versions");
      view.erase("features");
      ctx.out() << FormatObject(view) << "\nfeatures:\n";
      ctx.out() << FormatList(
          {FieldColumn("NAME", "name"), FieldColumn("TYPE", "type"),
           Column{"RULES",
                  [](const json& f) { return f.contains("rules") ? f["rules"].dump() : "-"; }},
           FieldColumn("DESCRIPTION", "description")},
          features);
      if (!versions.empty()) {
        ctx.out() << "\nversions:\n";
        ctx.out() << FormatList(
            {FieldColumn("VERSION", "version"),
             Column{"FEATURES",
                    [](const json& v) {
                      return std::to_string(v.value("features", json::array()).size());
                    }},
             FieldColumn("TTL_S", "ttl_seconds"), FieldColumn("CREATED", "created_ms"),
             FieldColumn("BY", "created_by")},
            versions);
      }
      return Status::Ok();
    });
  }
  {
    auto limit = std::make_shared<int64_t>(0);
    CLI::App* cmd = group->add_subcommand("entities", "List entities");
    AddLimitOption(cmd, limit.get());
    OnRun(cmd, ctx, [&ctx, limit]() {
      return ListAndPrint(
          ctx, "/api/v1/entities", {}, *limit,
          {FieldColumn("NAME", "name"),
           Column{"JOIN_KEYS",
                  [](const json& e) {
                    std::string out;
                    for (const json& k : e.value("join_keys", json::array())) {
                      if (!out.empty()) out += ", ";
                      out += k.value("name", "") + ":" + k.value("type", "");
                    }
                    return out;
                  }},
           FieldColumn("DESCRIPTION", "description"), FieldColumn("CREATED", "created_ms")});
    });
  }
  {
    struct Args {
      std::string view;
      int64_t limit = 0;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("ingests", "List a view's ingests with their row counts");
    cmd->add_option("VIEW", args->view, "feature view")->required();
    AddLimitOption(cmd, &args->limit);
    OnRun(cmd, ctx, [&ctx, args]() {
      return ListAndPrint(ctx, "/api/v1/feature-views/" + EncodeSegment(args->view) + "/ingests",
                          {}, args->limit,
                          {FieldColumn("ID", "id"), FieldColumn("VERSION", "view_version"),
                           FieldColumn("ROWS", "rows"), FieldColumn("CREATED", "created_ms"),
                           FieldColumn("BY", "created_by")});
    });
  }
}

void AddDatasetsCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("datasets", "Saved training sets and their lineage");
  group->require_subcommand(1);
  {
    auto limit = std::make_shared<int64_t>(0);
    CLI::App* cmd = group->add_subcommand("list", "List datasets (latest versions)");
    AddLimitOption(cmd, limit.get());
    OnRun(cmd, ctx, [&ctx, limit]() {
      return ListAndPrint(ctx, "/api/v1/datasets", {}, *limit, DatasetColumns());
    });
  }
  struct Args {
    std::string name, output;
    int64_t version = 0;
  };
  {
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("show", "Show a dataset and its versions");
    cmd->add_option("NAME", args->name, "dataset, or NAME@VERSION")->required();
    cmd->add_option("--version", args->version, "that version instead of the latest");
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      ASSIGN_OR_RETURN(auto nv, NameAtVersion(args->name, args->version));
      ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
      std::string path = "/api/v1/datasets/" + EncodeSegment(nv.first);
      if (nv.second > 0) path += "/versions/" + std::to_string(nv.second);
      ASSIGN_OR_RETURN(json d, api->Call("GET", path));
      if (ctx.json()) {
        ctx.PrintObject(d);
        return Status::Ok();
      }
      json versions = d.value("versions", json::array());
      d.erase("versions");
      ctx.out() << FormatObject(d);
      if (!versions.empty()) ctx.out() << "\nversions:\n" << FormatList(DatasetColumns(), versions);
      return Status::Ok();
    });
  }
  {
    auto args = std::make_shared<Args>();
    args->output = "-";
    CLI::App* cmd = group->add_subcommand("download", "Write a dataset's CSV");
    cmd->add_option("NAME", args->name, "dataset, or NAME@VERSION")->required();
    cmd->add_option("--version", args->version, "that version instead of the latest");
    cmd->add_option("--output,-o", args->output, "file ('-': stdout)")->capture_default_str();
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      ASSIGN_OR_RETURN(auto nv, NameAtVersion(args->name, args->version));
      ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
      std::string path = "/api/v1/datasets/" + EncodeSegment(nv.first);
      if (nv.second > 0) path += "/versions/" + std::to_string(nv.second);
      ASSIGN_OR_RETURN(std::string csv, api->Download(path + "/csv"));
      RETURN_IF_ERROR(WriteLocalFile(args->output, csv));
      if (args->output != "-") {
        ctx.PrintNote("wrote " + std::to_string(csv.size()) + " bytes to " + args->output);
      }
      return Status::Ok();
    });
  }
  {
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "lineage", "Feature view versions behind a dataset, and the runs and models that used it");
    cmd->add_option("NAME", args->name, "dataset, or NAME@VERSION")->required();
    cmd->add_option("--version", args->version, "that version instead of the latest");
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      ASSIGN_OR_RETURN(auto nv, NameAtVersion(args->name, args->version));
      ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
      QueryParams q;
      if (nv.second > 0) q.emplace_back("version", std::to_string(nv.second));
      ASSIGN_OR_RETURN(
          json l,
          api->Call("GET",
                    WithQuery("/api/v1/datasets/" + EncodeSegment(nv.first) + "/lineage", q)));
      if (ctx.json()) {
        ctx.PrintObject(l);
        return Status::Ok();
      }
      const json& d = l["dataset"];
      std::string views = ViewVersions(l.value("feature_views", json::array()));
      ctx.out() << "feature views: " << (views.empty() ? "-" : views) << "\n";
      ctx.out() << "dataset:       " << d.value("name", "") << "@" << d.value("version", 0) << " ("
                << d.value("rows", 0) << " rows, sha256 " << d.value("sha256", "").substr(0, 12)
                << ")\n";
      std::string runs;
      for (const json& r : l.value("runs", json::array())) {
        if (!runs.empty()) runs += ", ";
        runs += r.value("id", "");
      }
      ctx.out() << "runs:          " << (runs.empty() ? "-" : runs) << "\n";
      std::string models;
      for (const json& m : l.value("model_versions", json::array())) {
        if (!models.empty()) models += ", ";
        models += m.value("model", "") + " v" + std::to_string(m.value("version", 0)) + " (" +
                  m.value("status", "") + ")";
      }
      ctx.out() << "model versions: " << (models.empty() ? "-" : models) << "\n";
      return Status::Ok();
    });
  }
}

}  // namespace plinth::cli

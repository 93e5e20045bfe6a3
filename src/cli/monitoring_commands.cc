// `plinth baselines|monitors|alerts|retrain-requests|feedback`: the server's monitoring
// (/api/v1/baselines, /api/v1/monitors, /api/v1/alerts, /api/v1/retrain-requests,
// /api/v1/endpoints/{name}/feedback).

#include <CLI/CLI.hpp>
#include <memory>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/local_files.h"

namespace plinth::cli {

namespace {

using nlohmann::json;

std::string Number(const json& v) {
  if (!v.is_number()) return "-";
  std::ostringstream out;
  out.precision(4);
  out << v.get<double>();
  return out.str();
}

// A report for people: the window, one line per column, prediction drift, quality, alerts.
void PrintReport(CommandContext& ctx, const json& r) {
  if (ctx.json()) {
    ctx.PrintObject(r);
    return;
  }
  std::ostream& out = ctx.out();
  out << "report " << r.value("id", "") << " (" << r.value("trigger", "") << ") of monitor "
      << r.value("monitor", "") << " on endpoint " << r.value("endpoint", "") << "\n";
  out << "window: last " << r["window"].value("seconds", 0) << " s, " << r.value("requests", 0)
      << " requests, " << r.value("rows", 0) << " rows; baseline "
      << r["baseline"].value("name", "") << " v" << r["baseline"].value("version", 0) << "\n";
  const json& drift = r["data_drift"];
  if (drift.is_object()) {
    std::vector<std::vector<std::string>> rows;
    for (const json& c : drift["columns"]) {
      rows.push_back({c.value("column", ""), FormatScalar(c["method"]), Number(c["statistic"]),
                      Number(c["p_value"]), Number(c["threshold"]),
                      c.value("drifted", false) ? "yes" : "no", FormatScalar(c["note"])});
    }
    out << FormatTable({"COLUMN", "METHOD", "STATISTIC", "P-VALUE", "THRESHOLD", "DRIFTED", "NOTE"},
                       rows);
    const json& d = drift["dataset"];
    out << "dataset drift: " << (d.value("drift", false) ? "yes" : "no") << " ("
        << d.value("drifted_columns", 0) << " of " << d.value("tested_columns", 0)
        << " columns drifted, share threshold " << Number(d["share_threshold"]) << ")\n";
  }
  if (r["prediction_drift"].is_object()) {
    const json& p = r["prediction_drift"];
    out << "prediction drift: " << (p.value("drifted", false) ? "yes" : "no") << " ("
        << FormatScalar(p["method"]) << " " << Number(p["statistic"]) << ", threshold "
        << Number(p["threshold"]) << ")\n";
  }
  if (r["quality"].is_object()) {
    const json& q = r["quality"];
    out << "quality: " << q.value("metric", "") << " " << Number(q["value"]) << " over "
        << q.value("count", 0) << " labelled rows (alert " << q.value("alert_when", "") << " "
        << Number(q["threshold"]) << ")";
    for (const auto& [variant, v] : q["by_variant"].items()) {
      out << "; " << variant << " " << Number(v["value"]) << " (" << v.value("count", 0) << ")";
    }
    out << "\n";
  }
  for (const json& a : r.value("alerts", json::array())) {
    out << "alert " << a.value("rule", "") << ": " << a.value("event", "");
    if (a["alert_id"].is_string()) out << " (" << a["alert_id"].get<std::string>() << ")";
    if (a.contains("retrain_request_id")) {
      out << ", retrain requested (" << FormatScalar(a["retrain_request_id"]) << ")";
    }
    out << "\n";
  }
  for (const json& n : r.value("notes", json::array())) out << "note: " << FormatScalar(n) << "\n";
}

struct MonitorArgs {
  std::string name, endpoint, baseline, drift_method, webhook, quality_metric;
  int64_t window_seconds = 3600, schedule_seconds = 300, min_interval_seconds = 0;
  double drift_threshold = -1, quality_threshold = -1, prediction_threshold = -1;
  double drift_share = -1;
  std::vector<std::string> columns;
  bool no_drift = false, prediction_drift = false, no_retrain = false, disabled = false;
};

Result<json> MonitorBody(const MonitorArgs& a) {
  json body = {{"name", a.name},
               {"endpoint", a.endpoint},
               {"window_seconds", a.window_seconds},
               {"schedule_seconds", a.schedule_seconds},
               {"enabled", !a.disabled}};
  if (!a.baseline.empty()) {
    size_t colon = a.baseline.rfind(':');
    if (colon != std::string::npos && colon > 0) {
      ASSIGN_OR_RETURN(int64_t v, ParseInteger(a.baseline.substr(colon + 1), "--baseline version"));
      body["baseline"] = {{"name", a.baseline.substr(0, colon)}, {"version", v}};
    } else {
      body["baseline"] = a.baseline;
    }
  }
  if (a.no_drift) {
    body["drift"] = false;
  } else {
    json drift = json::object();
    if (!a.drift_method.empty()) drift["method"] = a.drift_method;
    if (a.drift_threshold >= 0) drift["threshold"] = a.drift_threshold;
    if (a.drift_share >= 0) drift["drift_share"] = a.drift_share;
    if (!a.columns.empty()) drift["columns"] = a.columns;
    body["drift"] = drift;
  }
  if (a.prediction_drift) {
    json p = json::object();
    if (a.prediction_threshold >= 0) p["threshold"] = a.prediction_threshold;
    body["prediction_drift"] = p;
  }
  if (!a.quality_metric.empty()) {
    if (a.quality_threshold < 0)
      return InvalidArgument("--quality-metric needs --quality-threshold");
    body["quality"] = {{"metric", a.quality_metric}, {"threshold", a.quality_threshold}};
  }
  json alert = {{"min_interval_seconds", a.min_interval_seconds}, {"retrain", !a.no_retrain}};
  if (!a.webhook.empty()) alert["webhook_url"] = a.webhook;
  body["alert"] = alert;
  return body;
}

// request_id,label rows (a header line is skipped when its second field is not a number).
Result<json> FeedbackItemsFromCsv(const std::string& text) {
  json items = json::array();
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    size_t comma = line.find(',');
    if (comma == std::string::npos) {
      return InvalidArgument("line " + std::to_string(number) + ": expected request_id,label");
    }
    std::string id = line.substr(0, comma), label = line.substr(comma + 1);
    Result<double> value = ParseNumber(label, "label");
    if (!value.ok()) {
      if (number == 1) continue;  // a header
      return InvalidArgument("line " + std::to_string(number) + ": label '" + label +
                             "' is not a number");
    }
    items.push_back({{"request_id", id}, {"label", *value}});
  }
  if (items.empty()) return InvalidArgument("no labels in the file");
  return items;
}

}  // namespace

void AddMonitoringCommands(CLI::App& app, CommandContext& ctx) {
  // baselines
  {
    CLI::App* group = app.add_subcommand("baselines", "Reference data for monitors");
    group->require_subcommand(1);
    struct Args {
      std::string name, csv, blob, endpoint, target, description;
      int64_t start_ms = -1, end_ms = -1, last_seconds = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* create = group->add_subcommand(
        "create", "Profile a CSV, a stored CSV blob or an endpoint's captured traffic");
    create->add_option("NAME", a->name, "baseline name (a new version if it exists)")->required();
    create->add_option("--csv", a->csv, "a local CSV file with a header row");
    create->add_option("--blob", a->blob, "SHA-256 of a CSV already stored (e.g. a training set)");
    create->add_option("--endpoint", a->endpoint, "profile this endpoint's captured traffic");
    create->add_option("--start-ms", a->start_ms, "with --endpoint: window start (ms)");
    create->add_option("--end-ms", a->end_ms, "with --endpoint: window end (ms)");
    create->add_option("--last-seconds", a->last_seconds, "with --endpoint: the last N seconds");
    create->add_option("--target", a->target, "the label or prediction column of the data");
    create->add_option("--description", a->description, "free text");
    OnRun(create, ctx, [&ctx, a]() -> Status {
      int sources = !a->csv.empty() + !a->blob.empty() + !a->endpoint.empty();
      if (sources != 1) return InvalidArgument("give exactly one of --csv, --blob and --endpoint");
      json body = {{"name", a->name}, {"description", a->description}};
      if (!a->target.empty()) body["target_column"] = a->target;
      if (!a->csv.empty()) {
        ASSIGN_OR_RETURN(std::string text, ReadLocalFile(a->csv));
        body["source"] = {{"csv", text}};
      } else if (!a->blob.empty()) {
        body["source"] = {{"blob", a->blob}};
      } else {
        int64_t end = a->end_ms, start = a->start_ms;
        if (a->last_seconds > 0) {
          end = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
          start = end - a->last_seconds * 1000;
        }
        if (start < 0 || end < 0) {
          return InvalidArgument("--endpoint needs --start-ms and --end-ms, or --last-seconds");
        }
        body["source"] = {{"endpoint", a->endpoint}, {"start_ms", start}, {"end_ms", end}};
      }
      return CallAndPrint(ctx, "POST", "/api/v1/baselines", body);
    });
    auto limit = std::make_shared<int64_t>(0);
    CLI::App* list = group->add_subcommand("list", "List baselines (every version)");
    AddLimitOption(list, limit.get());
    OnRun(list, ctx, [&ctx, limit]() -> Status {
      return ListAndPrint(
          ctx, "/api/v1/baselines", {}, *limit,
          {FieldColumn("NAME", "name"), FieldColumn("VERSION", "version"),
           FieldColumn("ROWS", "rows"), FieldColumn("TARGET", "target_column"),
           Column{"SOURCE",
                  [](const json& b) { return b["source"].value("kind", std::string("-")); }},
           FieldColumn("CREATED", "created_ms")});
    });
    auto get_name = std::make_shared<std::string>();
    auto get_version = std::make_shared<int64_t>(0);
    CLI::App* get = group->add_subcommand("get", "Show a baseline's columns");
    get->add_option("NAME", *get_name, "baseline name")->required();
    get->add_option("--version", *get_version, "a version (default: the latest)");
    OnRun(get, ctx, [&ctx, get_name, get_version]() -> Status {
      std::string path = "/api/v1/baselines/" + EncodeSegment(*get_name);
      if (*get_version > 0) path += "?version=" + std::to_string(*get_version);
      return CallAndPrint(ctx, "GET", path);
    });
    struct Attach {
      std::string model, baseline;
      int64_t version = 0, baseline_version = 0;
    };
    auto at = std::make_shared<Attach>();
    CLI::App* attach = group->add_subcommand("attach", "Name a model version's baseline");
    attach->add_option("MODEL", at->model, "model name")->required();
    attach->add_option("VERSION", at->version, "model version")->required();
    attach->add_option("BASELINE", at->baseline, "baseline name")->required();
    attach->add_option("--baseline-version", at->baseline_version, "default: the latest");
    OnRun(attach, ctx, [&ctx, at]() -> Status {
      json body = {{"baseline", at->baseline}};
      if (at->baseline_version > 0) body["baseline_version"] = at->baseline_version;
      return CallAndPrint(ctx, "PUT",
                          "/api/v1/models/" + EncodeSegment(at->model) + "/versions/" +
                              std::to_string(at->version) + "/baseline",
                          body);
    });
  }
  // monitors
  {
    CLI::App* group = app.add_subcommand("monitors", "Scheduled drift and quality monitors");
    group->require_subcommand(1);
    auto a = std::make_shared<MonitorArgs>();
    CLI::App* create = group->add_subcommand("create", "Create a monitor on an endpoint");
    create->add_option("NAME", a->name, "monitor name")->required();
    create->add_option("--endpoint", a->endpoint, "the endpoint whose captured traffic to watch")
        ->required();
    create->add_option("--baseline", a->baseline,
                       "NAME or NAME:VERSION (default: the model version's baseline)");
    create->add_option("--window-seconds", a->window_seconds, "the window each run looks at");
    create->add_option("--schedule-seconds", a->schedule_seconds, "run every N s (0: on demand)");
    create->add_option("--drift-method", a->drift_method,
                       "auto, ks, psi, js, wasserstein, chisquare");
    create->add_option("--drift-threshold", a->drift_threshold, "replaces the method's default");
    create->add_option("--drift-share", a->drift_share,
                       "share of drifted columns for dataset drift");
    AddRepeatedOption(create, "--column", &a->columns,
                      "a column to test (repeatable; default all)");
    create->add_flag("--no-drift", a->no_drift, "no data drift rule");
    create->add_flag("--prediction-drift", a->prediction_drift,
                     "test the model output against the baseline's target column");
    create->add_option("--prediction-threshold", a->prediction_threshold,
                       "prediction drift threshold");
    create->add_option("--quality-metric", a->quality_metric, "mape, rmse, mae, accuracy, f1, auc");
    create->add_option("--quality-threshold", a->quality_threshold, "alert beyond this value");
    create->add_option("--webhook", a->webhook, "http:// URL that receives alert notifications");
    create->add_option("--min-interval-seconds", a->min_interval_seconds,
                       "least time between two alert notifications");
    create->add_flag("--no-retrain", a->no_retrain, "alerts do not request retraining");
    create->add_flag("--disabled", a->disabled, "create without a schedule running");
    OnRun(create, ctx, [&ctx, a]() -> Status {
      ASSIGN_OR_RETURN(json body, MonitorBody(*a));
      return CallAndPrint(ctx, "POST", "/api/v1/monitors", body);
    });
    auto limit = std::make_shared<int64_t>(0);
    CLI::App* list = group->add_subcommand("list", "List monitors");
    AddLimitOption(list, limit.get());
    OnRun(list, ctx, [&ctx, limit]() -> Status {
      return ListAndPrint(
          ctx, "/api/v1/monitors", {}, *limit,
          {FieldColumn("NAME", "name"), FieldColumn("ENDPOINT", "endpoint"),
           Column{"BASELINE",
                  [](const json& m) {
                    return m["baseline"].is_object() ? m["baseline"].value("name", std::string("-"))
                                                     : std::string("(model's)");
                  }},
           FieldColumn("WINDOW_S", "window_seconds"), FieldColumn("EVERY_S", "schedule_seconds"),
           FieldColumn("LAST_RUN", "last_run_ms")});
    });
    for (const char* verb : {"show", "delete"}) {
      auto name = std::make_shared<std::string>();
      bool del = std::string(verb) == "delete";
      CLI::App* cmd =
          group->add_subcommand(verb, del ? "Delete a monitor and its reports" : "Show a monitor");
      cmd->add_option("NAME", *name, "monitor name or id")->required();
      OnRun(cmd, ctx, [&ctx, name, del]() -> Status {
        return CallAndPrint(ctx, del ? "DELETE" : "GET",
                            "/api/v1/monitors/" + EncodeSegment(*name));
      });
    }
    auto run_name = std::make_shared<std::string>();
    CLI::App* run = group->add_subcommand("run", "Run a monitor now and show its report");
    run->add_option("NAME", *run_name, "monitor name or id")->required();
    OnRun(run, ctx, [&ctx, run_name]() -> Status {
      ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
      ASSIGN_OR_RETURN(json report,
                       api->Call("POST", "/api/v1/monitors/" + EncodeSegment(*run_name) + "/run"));
      PrintReport(ctx, report);
      return Status::Ok();
    });
    auto rep_name = std::make_shared<std::string>();
    auto rep_limit = std::make_shared<int64_t>(20);
    auto rep_latest = std::make_shared<bool>(false);
    CLI::App* reports = group->add_subcommand("reports", "A monitor's reports, newest first");
    reports->add_option("NAME", *rep_name, "monitor name or id")->required();
    reports->add_option("--limit", *rep_limit, "at most this many (default 20)");
    reports->add_flag("--latest", *rep_latest, "show the newest report in full");
    OnRun(reports, ctx, [&ctx, rep_name, rep_limit, rep_latest]() -> Status {
      ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
      std::string path = "/api/v1/monitors/" + EncodeSegment(*rep_name) + "/reports";
      ASSIGN_OR_RETURN(json items, api->ListAll(path, {}, *rep_latest ? 1 : *rep_limit));
      if (*rep_latest) {
        if (items.empty()) return NotFound("monitor '" + *rep_name + "' has no report yet");
        PrintReport(ctx, items[0]);
        return Status::Ok();
      }
      ctx.PrintList(
          items, {FieldColumn("ID", "id"), FieldColumn("STARTED", "started_ms"),
                  FieldColumn("TRIGGER", "trigger"), FieldColumn("ROWS", "rows"),
                  Column{"DATASET_DRIFT",
                         [](const json& r) {
                           const json& d = r["data_drift"];
                           if (!d.is_object()) return std::string("-");
                           return std::string(d["dataset"].value("drift", false) ? "yes" : "no") +
                                  " (" + std::to_string(d["dataset"].value("drifted_columns", 0)) +
                                  "/" + std::to_string(d["dataset"].value("tested_columns", 0)) +
                                  ")";
                         }},
                  Column{"QUALITY",
                         [](const json& r) {
                           const json& q = r["quality"];
                           return q.is_object()
                                      ? q.value("metric", std::string()) + " " + Number(q["value"])
                                      : std::string("-");
                         }},
                  Column{"ALERTS", [](const json& r) {
                           std::string s;
                           for (const json& a : r.value("alerts", json::array())) {
                             std::string e = a.value("event", "");
                             if (e == "clear" || e == "not_evaluated") continue;
                             s += (s.empty() ? "" : ", ") + a.value("rule", "") + " " + e;
                           }
                           return s.empty() ? std::string("-") : s;
                         }}});
      return Status::Ok();
    });
  }
  // alerts, retrain requests
  {
    CLI::App* group = app.add_subcommand("alerts", "Alerts raised by monitors");
    group->require_subcommand(1);
    struct Args {
      std::string monitor, state;
      int64_t limit = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* list = group->add_subcommand("list", "List alerts, newest first");
    list->add_option("--monitor", a->monitor, "only this monitor's");
    list->add_option("--state", a->state, "firing or resolved");
    AddLimitOption(list, &a->limit);
    OnRun(list, ctx, [&ctx, a]() -> Status {
      QueryParams q;
      if (!a->monitor.empty()) q.emplace_back("monitor", a->monitor);
      if (!a->state.empty()) q.emplace_back("state", a->state);
      return ListAndPrint(ctx, "/api/v1/alerts", q, a->limit,
                          {FieldColumn("ID", "id"), FieldColumn("MONITOR", "monitor"),
                           FieldColumn("RULE", "rule"), FieldColumn("STATE", "state"),
                           FieldColumn("FIRED", "fired_ms"), FieldColumn("SEEN", "occurrences"),
                           Column{"WEBHOOK",
                                  [](const json& x) {
                                    return x["delivery"].value("fire", std::string("-")) + "/" +
                                           x["delivery"].value("resolve", std::string("-"));
                                  }},
                           FieldColumn("REASON", "reason")});
    });
    CLI::App* retrain = app.add_subcommand("retrain-requests", "Retrain requests from alerts");
    retrain->require_subcommand(1);
    auto endpoint = std::make_shared<std::string>();
    auto rlimit = std::make_shared<int64_t>(0);
    CLI::App* rlist = retrain->add_subcommand("list", "List retrain requests, newest first");
    rlist->add_option("--endpoint", *endpoint, "only this endpoint's");
    AddLimitOption(rlist, rlimit.get());
    OnRun(rlist, ctx, [&ctx, endpoint, rlimit]() -> Status {
      QueryParams q;
      if (!endpoint->empty()) q.emplace_back("endpoint", *endpoint);
      return ListAndPrint(ctx, "/api/v1/retrain-requests", q, *rlimit,
                          {FieldColumn("ID", "id"), FieldColumn("ENDPOINT", "endpoint"),
                           FieldColumn("MONITOR", "monitor"), FieldColumn("CREATED", "created_ms"),
                           FieldColumn("REASON", "reason")});
    });
  }
  // feedback
  {
    struct Args {
      std::string endpoint, file, request_id;
      double label = 0;
      bool has_label = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd =
        app.add_subcommand("feedback", "Send ground-truth labels for captured predictions");
    cmd->add_option("ENDPOINT", a->endpoint, "endpoint name")->required();
    cmd->add_option("FILE", a->file, "CSV of request_id,label rows");
    cmd->add_option("--request-id", a->request_id, "one request id (with --label)");
    cmd->add_option("--label", a->label, "its label")->check([a](const std::string&) {
      a->has_label = true;
      return std::string();
    });
    OnRun(cmd, ctx, [&ctx, a]() -> Status {
      json items;
      if (!a->file.empty()) {
        ASSIGN_OR_RETURN(std::string text, ReadLocalFile(a->file));
        ASSIGN_OR_RETURN(items, FeedbackItemsFromCsv(text));
      } else if (!a->request_id.empty() && a->has_label) {
        items = json::array({{{"request_id", a->request_id}, {"label", a->label}}});
      } else {
        return InvalidArgument("give a CSV FILE, or --request-id and --label");
      }
      return CallAndPrint(ctx, "POST",
                          "/api/v1/endpoints/" + EncodeSegment(a->endpoint) + "/feedback", items);
    });
  }
}

}  // namespace plinth::cli

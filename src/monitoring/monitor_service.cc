#include "monitoring/monitor_service.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <set>

#include "auth/audit_log.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/json_util.h"
#include "common/names.h"
#include "monitoring/capture_scan.h"
#include "monitoring/profile_drift.h"
#include "monitoring/window_profiler.h"

namespace plinth::monitoring {

using nlohmann::json;
using storage::SqlRow;
using storage::SqlTx;

namespace {

constexpr int64_t kMaxSeconds = 366LL * 24 * 3600;

Result<int64_t> Seconds(const json& body, const char* field, int64_t fallback, int64_t min) {
  ASSIGN_OR_RETURN(std::optional<int64_t> v, OptionalInt(body, field));
  int64_t s = v.value_or(fallback);
  if (s < min || s > kMaxSeconds) {
    return InvalidArgument(std::string(field) + " must be " + std::to_string(min) + " to " +
                           std::to_string(kMaxSeconds));
  }
  return s;
}

Result<std::optional<double>> Threshold(const json& obj, const std::string& where) {
  ASSIGN_OR_RETURN(std::optional<double> t, OptionalNumber(obj, "threshold"));
  if (t && (!std::isfinite(*t) || *t < 0)) {
    return InvalidArgument(where + ".threshold must be a finite number >= 0");
  }
  return t;
}

json OptNumber(const std::optional<double>& v) { return v ? json(*v) : json(); }

std::string Fixed(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

Result<MonitorSpec> MonitorSpecFromJson(const json& body) {
  MonitorSpec s;
  ASSIGN_OR_RETURN(s.name, RequireString(body, "name"));
  RETURN_IF_ERROR(ValidateName("monitor name", s.name));
  ASSIGN_OR_RETURN(s.endpoint, RequireString(body, "endpoint"));
  if (auto it = body.find("baseline"); it != body.end() && !it->is_null()) {
    if (it->is_string()) {
      s.baseline = it->get<std::string>();
    } else if (it->is_object()) {
      ASSIGN_OR_RETURN(s.baseline, RequireString(*it, "name"));
      ASSIGN_OR_RETURN(s.baseline_version, OptionalInt(*it, "version"));
    } else {
      return InvalidArgument("'baseline' must be a name or {\"name\", \"version\"}");
    }
  }
  ASSIGN_OR_RETURN(s.window_seconds, Seconds(body, "window_seconds", 3600, 1));
  ASSIGN_OR_RETURN(s.schedule_seconds, Seconds(body, "schedule_seconds", 300, 0));
  if (auto it = body.find("drift"); it != body.end() && !it->is_null()) {
    if (it->is_boolean()) {
      s.drift_enabled = it->get<bool>();
    } else if (it->is_object()) {
      ASSIGN_OR_RETURN(std::optional<std::string> method, OptionalString(*it, "method"));
      if (method) {
        ASSIGN_OR_RETURN(s.drift.method, ParseDriftMethod(*method));
      }
      ASSIGN_OR_RETURN(s.drift.threshold, Threshold(*it, "drift"));
      ASSIGN_OR_RETURN(std::optional<double> share, OptionalNumber(*it, "drift_share"));
      if (share) s.drift.drift_share = *share;
      if (auto c = it->find("columns"); c != it->end() && !c->is_null()) {
        if (!c->is_array()) return InvalidArgument("drift.columns must be a list of names");
        for (const auto& name : *c) {
          if (!name.is_string()) return InvalidArgument("drift.columns must be a list of names");
          s.drift.columns.push_back(name.get<std::string>());
        }
      }
    } else {
      return InvalidArgument("'drift' must be an object or a boolean");
    }
  }
  if (auto it = body.find("prediction_drift"); it != body.end() && !it->is_null()) {
    if (it->is_boolean()) {
      s.prediction_drift = it->get<bool>();
    } else if (it->is_object()) {
      s.prediction_drift = true;
      ASSIGN_OR_RETURN(std::optional<std::string> method, OptionalString(*it, "method"));
      if (method) {
        ASSIGN_OR_RETURN(s.prediction_method, ParseDriftMethod(*method));
      }
      ASSIGN_OR_RETURN(s.prediction_threshold, Threshold(*it, "prediction_drift"));
    } else {
      return InvalidArgument("'prediction_drift' must be an object or a boolean");
    }
  }
  if (auto it = body.find("quality"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return InvalidArgument("'quality' must be {\"metric\", \"threshold\"}");
    ASSIGN_OR_RETURN(std::string metric, RequireString(*it, "metric"));
    ASSIGN_OR_RETURN(s.quality_metric, ParseQualityMetric(metric));
    ASSIGN_OR_RETURN(std::optional<double> t, Threshold(*it, "quality"));
    if (!t) return InvalidArgument("quality.threshold is required");
    s.quality_threshold = *t;
  }
  if (auto it = body.find("alert"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return InvalidArgument("'alert' must be an object");
    ASSIGN_OR_RETURN(std::optional<std::string> url, OptionalString(*it, "webhook_url"));
    if (url && !url->empty()) {
      RETURN_IF_ERROR(ParseWebhookUrl(*url).status());
      s.webhook_url = *url;
    }
    ASSIGN_OR_RETURN(s.min_interval_seconds, Seconds(*it, "min_interval_seconds", 0, 0));
    if (auto r = it->find("retrain"); r != it->end() && !r->is_null()) {
      if (!r->is_boolean()) return InvalidArgument("alert.retrain must be a boolean");
      s.retrain = r->get<bool>();
    }
  }
  if (auto it = body.find("enabled"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return InvalidArgument("'enabled' must be a boolean");
    s.enabled = it->get<bool>();
  }
  if (!s.drift_enabled && !s.prediction_drift && !s.quality_metric) {
    return InvalidArgument("a monitor needs at least one of drift, prediction_drift and quality");
  }
  return s;
}

json MonitorSpecToJson(const MonitorSpec& s) {
  json drift = nullptr;
  if (s.drift_enabled) {
    drift = {{"method", DriftMethodName(s.drift.method)},
             {"threshold", OptNumber(s.drift.threshold)},
             {"columns", s.drift.columns},
             {"drift_share", s.drift.drift_share}};
  }
  json prediction = nullptr;
  if (s.prediction_drift) {
    prediction = {{"method", DriftMethodName(s.prediction_method)},
                  {"threshold", OptNumber(s.prediction_threshold)}};
  }
  json quality = nullptr;
  if (s.quality_metric) {
    quality = {{"metric", QualityMetricName(*s.quality_metric)},
               {"threshold", s.quality_threshold},
               {"alert_when", LowerIsBetter(*s.quality_metric) ? "above" : "below"}};
  }
  json baseline = nullptr;
  if (!s.baseline.empty()) {
    baseline = {{"name", s.baseline},
                {"version", s.baseline_version ? json(*s.baseline_version) : json()}};
  }
  return {{"name", s.name},
          {"endpoint", s.endpoint},
          {"baseline", baseline},
          {"window_seconds", s.window_seconds},
          {"schedule_seconds", s.schedule_seconds},
          {"drift", drift},
          {"prediction_drift", prediction},
          {"quality", quality},
          {"alert",
           {{"webhook_url", s.webhook_url.empty() ? json() : json(s.webhook_url)},
            {"min_interval_seconds", s.min_interval_seconds},
            {"retrain", s.retrain}}},
          {"enabled", s.enabled}};
}

json MonitorToJson(const Monitor& m) {
  json j = MonitorSpecToJson(m.spec);
  j["id"] = m.id;
  j["created_ms"] = m.created_ms;
  j["created_by"] = m.created_by;
  j["last_run_ms"] = m.last_run_ms ? json(m.last_run_ms) : json();
  j["last_report_id"] = m.last_report_id.empty() ? json() : json(m.last_report_id);
  j["next_run_ms"] =
      m.spec.enabled && m.spec.schedule_seconds > 0
          ? json((m.last_run_ms ? m.last_run_ms : m.created_ms) + m.spec.schedule_seconds * 1000)
          : json();
  return j;
}

namespace {

Result<Monitor> MonitorFromRow(const SqlRow& r) {
  Monitor m;
  m.id = r.String(0);
  json spec = json::parse(r.Text(1), nullptr, false);
  if (spec.is_discarded()) return Internal("monitor " + m.id + " has an unreadable spec");
  ASSIGN_OR_RETURN(m.spec, MonitorSpecFromJson(spec));
  m.created_ms = r.Int(2);
  m.created_by = r.String(3);
  m.last_run_ms = r.Int(4);
  m.last_report_id = r.String(5);
  return m;
}

constexpr char kSelectMonitor[] =
    "SELECT id, spec, created_ms, created_by, last_run_ms, last_report_id FROM monitors";

// The stored spec: what MonitorSpecFromJson reads back.
json StoredSpec(const MonitorSpec& s) {
  json j = MonitorSpecToJson(s);
  if (j["quality"].is_object()) j["quality"].erase("alert_when");
  if (!s.drift_enabled) j["drift"] = false;
  return j;
}

}  // namespace

MonitorService::MonitorService(storage::MetadataStore& store, serving::CaptureLog& captures,
                               BaselineStore& baselines, FeedbackStore& feedback,
                               AlertStore& alerts, EndpointLookup endpoints,
                               MonitorServiceOptions options)
    : store_(store),
      captures_(captures),
      baselines_(baselines),
      feedback_(feedback),
      alerts_(alerts),
      endpoints_(std::move(endpoints)),
      options_(options),
      webhooks_(options.webhook, [this](const WebhookDelivery& d, const WebhookOutcome& o) {
        Status st = alerts_.SetDelivery(d.alert_id, d.kind, o.delivered, o.attempts, o.error);
        if (!st.ok()) spdlog::warn("alert {}: {}", d.alert_id, st.message());
        if (!o.delivered) {
          spdlog::warn("alert {} {} notification failed after {} attempts: {}", d.alert_id, d.kind,
                       o.attempts, o.error);
        }
      }) {}

MonitorService::~MonitorService() { Stop(); }

Status MonitorService::InitSchema() {
  return store_.Write([](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec(
        "CREATE TABLE IF NOT EXISTS monitors (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        " spec TEXT NOT NULL, created_ms INTEGER NOT NULL, created_by TEXT NOT NULL,"
        " last_run_ms INTEGER NOT NULL, last_report_id TEXT NOT NULL)"));
    RETURN_IF_ERROR(
        tx.Exec("CREATE TABLE IF NOT EXISTS monitor_reports (seq INTEGER PRIMARY KEY,"
                " id TEXT NOT NULL UNIQUE, monitor_id TEXT NOT NULL, started_ms INTEGER NOT NULL,"
                " body TEXT NOT NULL)"));
    return tx.Exec(
        "CREATE INDEX IF NOT EXISTS monitor_reports_by_monitor ON monitor_reports (monitor_id,"
        " seq)");
  });
}

void MonitorService::Start() {
  std::lock_guard lock(mu_);
  if (scheduler_.joinable()) return;
  stopping_ = false;
  scheduler_ = std::thread([this] { Schedule(); });
}

void MonitorService::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

Result<Baseline> MonitorService::ResolveBaseline(const MonitorSpec& spec) {
  if (!spec.baseline.empty()) return baselines_.Get(spec.baseline, spec.baseline_version);
  ASSIGN_OR_RETURN(auto primary, endpoints_.primary(spec.endpoint));
  Result<ModelBaseline> link = baselines_.GetModelBaseline(primary.first, primary.second);
  if (!link.ok()) {
    return FailedPrecondition("monitor names no baseline and " + link.status().message() +
                              " (set one with PUT /api/v1/models/{model}/versions/{v}/baseline)");
  }
  return baselines_.Get(link->baseline, link->baseline_version);
}

Result<Monitor> MonitorService::Create(const auth::Principal& actor, const MonitorSpec& spec) {
  RETURN_IF_ERROR(endpoints_.exists(spec.endpoint));
  ASSIGN_OR_RETURN(Baseline baseline, ResolveBaseline(spec));
  if (spec.drift_enabled) {
    DriftOptions options = spec.drift;
    if (options.columns.empty()) options.columns = baseline.feature_columns;
    // Checks thresholds, shares and column names against the baseline.
    RETURN_IF_ERROR(DetectProfileDrift(baseline.profile, baseline.profile, options).status());
    for (const std::string& c : options.columns) {
      if (c == baseline.target_column) {
        return InvalidArgument("drift.columns names '" + c +
                               "', the baseline's target column: use prediction_drift");
      }
      const ColumnProfile* p = baseline.profile.Find(c);
      if (p->type == ColumnType::kCategorical && (spec.drift.method == DriftMethod::kKs ||
                                                  spec.drift.method == DriftMethod::kWasserstein)) {
        return InvalidArgument(std::string(DriftMethodName(spec.drift.method)) +
                               " needs numbers; column '" + c + "' is categorical");
      }
    }
  }
  if (spec.prediction_drift && baseline.target_column.empty()) {
    return InvalidArgument("prediction_drift needs a baseline with a target_column; baseline '" +
                           baseline.name + "' has none");
  }
  Monitor m;
  m.id = NewId();
  m.spec = spec;
  m.created_ms = NowMs();
  m.created_by = actor.name;
  std::string stored = StoredSpec(spec).dump();
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    bool taken = false;
    RETURN_IF_ERROR(tx.Query("SELECT 1 FROM monitors WHERE name = ?", {std::string_view(spec.name)},
                             [&](const SqlRow&) { taken = true; }));
    if (taken) return AlreadyExists("monitor '" + spec.name + "' already exists");
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO monitors (id, name, spec, created_ms, created_by, last_run_ms,"
                " last_report_id) VALUES (?, ?, ?, ?, ?, 0, '')",
                {std::string_view(m.id), std::string_view(spec.name), std::string_view(stored),
                 m.created_ms, std::string_view(m.created_by)}));
    return auth::AuditLog::Append(tx, actor.name, "monitor.create", "monitors/" + m.id,
                                  json{{"name", spec.name}, {"endpoint", spec.endpoint}}.dump());
  }));
  wake_.notify_all();
  return m;
}

Result<Monitor> MonitorService::Get(const std::string& name_or_id) {
  std::optional<Result<Monitor>> found;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(std::string(kSelectMonitor) + " WHERE name = ? OR id = ? LIMIT 1",
                    {std::string_view(name_or_id), std::string_view(name_or_id)},
                    [&](const SqlRow& r) { found = MonitorFromRow(r); });
  }));
  if (!found) return NotFound("no monitor '" + name_or_id.substr(0, 128) + "'");
  return std::move(*found);
}

Result<std::vector<Monitor>> MonitorService::List(const PageRequest& page) {
  std::vector<Monitor> out;
  Status bad = Status::Ok();
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(std::string(kSelectMonitor) + " ORDER BY name LIMIT ? OFFSET ?",
                    {int64_t{page.limit + 1}, page.offset}, [&](const SqlRow& r) {
                      Result<Monitor> m = MonitorFromRow(r);
                      if (m.ok())
                        out.push_back(std::move(m).value());
                      else if (bad.ok())
                        bad = m.status();
                    });
  }));
  RETURN_IF_ERROR(bad);
  return out;
}

Status MonitorService::Delete(const auth::Principal& actor, const std::string& name_or_id) {
  std::lock_guard run_lock(run_mu_);
  ASSIGN_OR_RETURN(Monitor m, Get(name_or_id));
  return store_.Write([&](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec("DELETE FROM monitors WHERE id = ?", {std::string_view(m.id)}));
    RETURN_IF_ERROR(
        tx.Exec("DELETE FROM monitor_reports WHERE monitor_id = ?", {std::string_view(m.id)}));
    for (const char* rule : {"data_drift", "prediction_drift", "quality"}) {
      ASSIGN_OR_RETURN(std::optional<Alert> open, AlertStore::FindFiringTx(tx, m.id, rule));
      if (open) RETURN_IF_ERROR(AlertStore::ResolveTx(tx, *open, NowMs(), "none", actor.name));
    }
    return auth::AuditLog::Append(tx, actor.name, "monitor.delete", "monitors/" + m.id,
                                  json{{"name", m.spec.name}}.dump());
  });
}

Result<json> MonitorService::Run(const auth::Principal& actor, const std::string& name_or_id) {
  std::lock_guard run_lock(run_mu_);
  ASSIGN_OR_RETURN(Monitor m, Get(name_or_id));
  return RunLocked(m, actor.name, true);
}

Result<std::vector<json>> MonitorService::Reports(const std::string& name_or_id,
                                                  const PageRequest& page) {
  ASSIGN_OR_RETURN(Monitor m, Get(name_or_id));
  std::vector<json> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(
        "SELECT body FROM monitor_reports WHERE monitor_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
        {std::string_view(m.id), int64_t{page.limit + 1}, page.offset},
        [&](const SqlRow& r) { out.push_back(json::parse(r.Text(0), nullptr, false)); });
  }));
  return out;
}

Result<json> MonitorService::Report(const std::string& report_id) {
  std::optional<json> found;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query("SELECT body FROM monitor_reports WHERE id = ?", {std::string_view(report_id)},
                    [&](const SqlRow& r) { found = json::parse(r.Text(0), nullptr, false); });
  }));
  if (!found) return NotFound("no report '" + report_id.substr(0, 64) + "'");
  return *found;
}

void MonitorService::Schedule() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms));
    if (stopping_) break;
    lock.unlock();
    // Every monitor that is due, oldest due first, one at a time.
    std::vector<Monitor> due;
    int64_t now = NowMs();
    Status st = store_.Read([&](SqlTx& tx) {
      return tx.Query(std::string(kSelectMonitor), {}, [&](const SqlRow& r) {
        Result<Monitor> m = MonitorFromRow(r);
        if (!m.ok() || !m->spec.enabled || m->spec.schedule_seconds <= 0) return;
        int64_t since = m->last_run_ms ? m->last_run_ms : m->created_ms;
        if (since + m->spec.schedule_seconds * 1000 <= now) due.push_back(std::move(m).value());
      });
    });
    if (!st.ok()) spdlog::warn("monitor scheduler: {}", st.message());
    for (const Monitor& m : due) {
      {
        std::lock_guard check(mu_);
        if (stopping_) break;
      }
      std::lock_guard run_lock(run_mu_);
      // It may have been deleted or run on demand meanwhile.
      Result<Monitor> fresh = Get(m.id);
      if (!fresh.ok()) continue;
      int64_t since = fresh->last_run_ms ? fresh->last_run_ms : fresh->created_ms;
      if (since + fresh->spec.schedule_seconds * 1000 > NowMs()) continue;
      Result<json> report = RunLocked(*fresh, "system", false);
      if (!report.ok()) {
        spdlog::warn("monitor {}: {}", fresh->spec.name, report.status().message());
      }
    }
    lock.lock();
  }
}

namespace {

struct RuleOutcome {
  std::string rule;
  bool evaluated = false;
  bool breached = false;
  double value = 0;
  std::optional<double> threshold;
  std::string reason;
};

std::string DriftReason(const DriftReport& r) {
  std::string detail;
  for (const ColumnDrift& c : r.columns) {
    if (!c.drifted) continue;
    if (!detail.empty()) detail += "; ";
    detail += c.column + ": " + DriftMethodName(c.method) + " " + Fixed(c.statistic) +
              (c.p_value ? " (p " + Fixed(*c.p_value) + " < " : " (>= ") + Fixed(c.threshold) + ")";
  }
  return "data drift: " + std::to_string(r.drifted_columns) + " of " +
         std::to_string(r.tested_columns) + " columns drifted (" + detail + ")";
}

json ColumnDriftJson(const ColumnDrift& c) {
  DriftReport one;
  one.columns.push_back(c);
  return DriftReportToJson(one)["columns"][0];
}

}  // namespace

Result<json> MonitorService::RunLocked(const Monitor& m, const std::string& actor, bool manual) {
  const MonitorSpec& spec = m.spec;
  const int64_t started = NowMs();
  const int64_t window_end = started;
  const int64_t window_start = started - spec.window_seconds * 1000;
  json notes = json::array();
  ASSIGN_OR_RETURN(Baseline baseline, ResolveBaseline(spec));

  WindowProfilerOptions wp;
  wp.feature_columns = baseline.feature_columns;
  wp.quality = spec.quality_metric;
  wp.chunk_rows = options_.chunk_records;
  // The current window's prediction column must not collide with a feature's name.
  wp.prediction_column = "prediction";
  while (std::find(wp.feature_columns.begin(), wp.feature_columns.end(), wp.prediction_column) !=
         wp.feature_columns.end()) {
    wp.prediction_column = "_" + wp.prediction_column;
  }
  WindowProfiler profiler(wp);
  RETURN_IF_ERROR(ScanCaptures(captures_, spec.quality_metric ? &feedback_ : nullptr, spec.endpoint,
                               window_start, window_end, profiler,
                               static_cast<int>(options_.chunk_records)));
  TableProfile current = profiler.Finish();
  const bool empty = profiler.rows() == 0;
  if (empty) {
    notes.push_back("empty window: no captured traffic in the last " +
                    std::to_string(spec.window_seconds) +
                    " s; no rule was evaluated and open alerts stay open");
  }
  if (profiler.bad_records() > 0) {
    notes.push_back(
        std::to_string(profiler.bad_records()) +
        " captured records could not be read and were skipped: " + profiler.first_bad_record());
  }
  if (!profiler.unknown_columns().empty()) {
    std::string names;
    for (const auto& [name, n] : profiler.unknown_columns())
      names += (names.empty() ? "" : ", ") + name;
    notes.push_back("columns the baseline does not have were ignored: " + names);
  }

  std::vector<RuleOutcome> outcomes;
  json drift_json = nullptr;
  if (spec.drift_enabled) {
    DriftOptions options = spec.drift;
    if (options.columns.empty()) options.columns = baseline.feature_columns;
    ASSIGN_OR_RETURN(DriftReport report, DetectProfileDrift(baseline.profile, current, options));
    drift_json = DriftReportToJson(report);
    for (size_t i = 0; i < report.columns.size(); ++i) {
      const ColumnDrift& c = report.columns[i];
      const ColumnProfile* ref = baseline.profile.Find(c.column);
      drift_json["columns"][i]["profile"] = ColumnSummaryJson(*ref, current.Find(c.column));
    }
    RuleOutcome o;
    o.rule = "data_drift";
    o.evaluated = !empty && report.tested_columns > 0;
    o.breached = o.evaluated && report.dataset_drift;
    o.value = report.drifted_share;
    o.threshold = report.share_threshold;
    o.reason = DriftReason(report);
    outcomes.push_back(o);
  }
  json prediction_json = nullptr;
  if (spec.prediction_drift) {
    const ColumnProfile* ref = baseline.profile.Find(baseline.target_column);
    if (ref == nullptr) {
      notes.push_back("prediction drift: the baseline has no target column");
    } else {
      DriftOptions options;
      options.method = spec.prediction_method;
      options.threshold = spec.prediction_threshold;
      ColumnProfile cur = *current.Find(wp.prediction_column);
      cur.name = ref->name;
      ColumnDrift d = CompareColumnProfiles(*ref, &cur, options);
      prediction_json = ColumnDriftJson(d);
      prediction_json["profile"] = ColumnSummaryJson(*ref, &cur);
      RuleOutcome o;
      o.rule = "prediction_drift";
      o.evaluated = !empty && d.tested;
      o.breached = o.evaluated && d.drifted;
      o.value = d.statistic;
      o.threshold = d.threshold;
      o.reason = "prediction drift: model output vs baseline '" + ref->name +
                 "': " + DriftMethodName(d.method) + " " + Fixed(d.statistic) +
                 (d.p_value ? " (p " + Fixed(*d.p_value) + ")" : "") + ", threshold " +
                 Fixed(d.threshold);
      outcomes.push_back(o);
    }
  }
  json quality_json = nullptr;
  if (spec.quality_metric) {
    QualityResult q = *profiler.Quality();
    quality_json = QualityResultToJson(q);
    quality_json["threshold"] = spec.quality_threshold;
    quality_json["alert_when"] = LowerIsBetter(q.metric) ? "above" : "below";
    json by_variant = json::object();
    for (const auto& [variant, r] : profiler.QualityByVariant()) {
      by_variant[variant] = QualityResultToJson(r);
    }
    quality_json["by_variant"] = by_variant;
    quality_json["labelled_rows"] = profiler.labelled_rows();
    quality_json["label_mismatches"] = profiler.label_mismatches();
    RuleOutcome o;
    o.rule = "quality";
    o.evaluated = q.value.has_value();
    if (o.evaluated) {
      o.value = *q.value;
      o.breached = LowerIsBetter(q.metric) ? *q.value > spec.quality_threshold
                                           : *q.value < spec.quality_threshold;
    }
    o.threshold = spec.quality_threshold;
    o.reason = std::string("quality: ") + QualityMetricName(q.metric) + " " + Fixed(o.value) +
               (LowerIsBetter(q.metric) ? " > " : " < ") + Fixed(spec.quality_threshold) +
               " over " + std::to_string(q.count) + " labelled rows";
    outcomes.push_back(o);
  }

  const std::string report_id = NewId();
  json report = {
      {"id", report_id},
      {"monitor", spec.name},
      {"monitor_id", m.id},
      {"endpoint", spec.endpoint},
      {"trigger", manual ? "manual" : "schedule"},
      {"started_ms", started},
      {"window",
       {{"start_ms", window_start}, {"end_ms", window_end}, {"seconds", spec.window_seconds}}},
      {"baseline",
       {{"name", baseline.name}, {"version", baseline.version}, {"rows", baseline.rows}}},
      {"requests", profiler.requests()},
      {"rows", profiler.rows()},
      {"skipped_records", profiler.bad_records()},
      {"unknown_columns", profiler.unknown_columns()},
      {"empty_window", empty},
      {"data_drift", drift_json},
      {"prediction_drift", prediction_json},
      {"quality", quality_json},
      {"notes", notes}};

  // Alert transitions, the report and the monitor's last run in one transaction.
  std::vector<WebhookDelivery> deliveries;
  json alert_events = json::array();
  const int64_t now = NowMs();
  report["finished_ms"] = now;
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    deliveries.clear();
    alert_events = json::array();
    ASSIGN_OR_RETURN(int64_t last_notified, AlertStore::LastNotifiedTx(tx, m.id));
    for (const RuleOutcome& o : outcomes) {
      ASSIGN_OR_RETURN(std::optional<Alert> open, AlertStore::FindFiringTx(tx, m.id, o.rule));
      if (!o.evaluated) {
        alert_events.push_back({{"rule", o.rule},
                                {"event", "not_evaluated"},
                                {"alert_id", open ? json(open->id) : json()}});
        continue;
      }
      if (o.breached && open) {
        RETURN_IF_ERROR(AlertStore::TouchTx(tx, *open, now, o.value));
        alert_events.push_back({{"rule", o.rule}, {"event", "firing"}, {"alert_id", open->id}});
      } else if (o.breached) {
        Alert a;
        a.id = NewId();
        a.monitor = spec.name;
        a.monitor_id = m.id;
        a.endpoint = spec.endpoint;
        a.rule = o.rule;
        a.state = "firing";
        a.reason = o.reason;
        a.value = o.value;
        a.threshold = o.threshold;
        a.report_id = report_id;
        a.fired_ms = now;
        a.last_seen_ms = now;
        a.occurrences = 1;
        if (spec.webhook_url.empty()) {
          a.fire_delivery = "none";
        } else if (last_notified > 0 && now - last_notified < spec.min_interval_seconds * 1000) {
          a.fire_delivery = "suppressed";
        } else {
          a.fire_delivery = "pending";
          last_notified = now;
        }
        RETURN_IF_ERROR(AlertStore::InsertTx(tx, a, actor));
        json event = {{"rule", o.rule}, {"event", "fired"}, {"alert_id", a.id}};
        std::string retrain_id;
        if (spec.retrain) {
          RetrainRequest r{NewId(), spec.name, spec.endpoint, a.id, o.reason, now};
          RETURN_IF_ERROR(AlertStore::InsertRetrainTx(tx, r, actor));
          event["retrain_request_id"] = r.id;
          retrain_id = r.id;
        }
        alert_events.push_back(event);
        if (a.fire_delivery == "pending") {
          json payload = {{"event", "alert.fired"},
                          {"alert", AlertToJson(a)},
                          {"monitor", spec.name},
                          {"endpoint", spec.endpoint},
                          {"report_id", report_id},
                          {"retrain_request_id", retrain_id.empty() ? json() : json(retrain_id)}};
          deliveries.push_back({spec.webhook_url, payload.dump(), a.id, "fire"});
        }
      } else if (open) {
        // Resolve notifications follow only fires that were sent.
        bool notify = !spec.webhook_url.empty() && open->fire_delivery != "none" &&
                      open->fire_delivery != "suppressed";
        RETURN_IF_ERROR(AlertStore::ResolveTx(tx, *open, now, notify ? "pending" : "none", actor));
        alert_events.push_back({{"rule", o.rule}, {"event", "resolved"}, {"alert_id", open->id}});
        if (notify) {
          json payload = {{"event", "alert.resolved"},
                          {"alert", AlertToJson(*open)},
                          {"monitor", spec.name},
                          {"endpoint", spec.endpoint},
                          {"report_id", report_id}};
          deliveries.push_back({spec.webhook_url, payload.dump(), open->id, "resolve"});
        }
      } else {
        alert_events.push_back({{"rule", o.rule}, {"event", "clear"}, {"alert_id", nullptr}});
      }
    }
    report["alerts"] = alert_events;
    std::string body = report.dump();
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO monitor_reports (id, monitor_id, started_ms, body) VALUES (?, ?, ?, ?)",
        {std::string_view(report_id), std::string_view(m.id), started, std::string_view(body)}));
    RETURN_IF_ERROR(tx.Exec("UPDATE monitors SET last_run_ms = ?, last_report_id = ? WHERE id = ?",
                            {started, std::string_view(report_id), std::string_view(m.id)}));
    if (manual) {
      return auth::AuditLog::Append(tx, actor, "monitor.run", "monitors/" + m.id,
                                    json{{"report_id", report_id}}.dump());
    }
    return Status::Ok();
  }));
  for (WebhookDelivery& d : deliveries) webhooks_.Enqueue(std::move(d));
  return report;
}

}  // namespace plinth::monitoring

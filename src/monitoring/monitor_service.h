#pragma once
// MonitorService: scheduled monitors over an endpoint's captured traffic, their reports, and the
// alerts they raise.
//
// A monitor names an endpoint, a baseline (baseline_store.h; or none, and then the baseline that
// the endpoint's first variant's model version names), a window (the last window_seconds of
// captured traffic) and a schedule (a run every schedule_seconds; 0: only on demand). A run:
//   1. streams the window's captures in chunks into a WindowProfiler (bounded memory, joined
//      with feedback labels when a quality rule is set);
//   2. compares the window's profile with the baseline's (profile_drift.h): data drift over
//      the baseline's feature columns (or the named ones), prediction drift of the model output
//      against the baseline's target column, and the quality metric overall and per variant;
//   3. stores a report (per-column statistics and histograms of both sides, each column's test,
//      the dataset verdict, quality) and applies the alert rules in the same transaction
//      (alert_store.h: open on the condition, count while it holds, resolve when it clears;
//      open alerts may record retrain requests);
//   4. queues webhook notifications (webhook_sender.h) after the commit.
// An empty window evaluates no rule: open alerts stay open, the report says why.
//
// One scheduler thread runs due monitors one at a time; Run() on demand runs in the caller's
// thread. Runs of all monitors are serialized (alert transitions never race). Create, delete and
// on-demand runs are audited (monitor.create, monitor.delete, monitor.run); scheduled runs store
// their reports without an audit event (like captures, reports are data), while every alert
// transition they cause is audited. Thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "auth/roles.h"
#include "common/paging.h"
#include "common/status.h"
#include "monitoring/alert_store.h"
#include "monitoring/baseline_store.h"
#include "monitoring/drift.h"
#include "monitoring/feedback_store.h"
#include "monitoring/quality.h"
#include "monitoring/webhook_sender.h"
#include "serving/capture_log.h"
#include "storage/metadata_store.h"

namespace plinth::monitoring {

struct MonitorSpec {
  std::string name;
  std::string endpoint;
  std::string baseline;                     // empty: the endpoint's model version names it
  std::optional<int64_t> baseline_version;  // empty: the latest at each run
  int64_t window_seconds = 3600;
  int64_t schedule_seconds = 300;  // 0: on demand only
  bool drift_enabled = true;
  DriftOptions drift;
  bool prediction_drift = false;
  DriftMethod prediction_method = DriftMethod::kAuto;
  std::optional<double> prediction_threshold;
  std::optional<QualityMetric> quality_metric;
  double quality_threshold = 0;
  std::string webhook_url;  // empty: alerts are stored only
  int64_t min_interval_seconds = 0;
  bool retrain = true;  // an alert that opens records a retrain request
  bool enabled = true;
};

// Parses and checks a POST /api/v1/monitors body (docs/api.md): InvalidArgument naming the
// field. References (endpoint, baseline, columns) are checked by Create.
Result<MonitorSpec> MonitorSpecFromJson(const nlohmann::json& body);
nlohmann::json MonitorSpecToJson(const MonitorSpec& spec);

struct Monitor {
  std::string id;
  MonitorSpec spec;
  int64_t created_ms = 0;
  std::string created_by;
  int64_t last_run_ms = 0;
  std::string last_report_id;
};
nlohmann::json MonitorToJson(const Monitor& monitor);

// What the service needs to know about endpoints without depending on serving's internals.
struct EndpointLookup {
  // OK if the endpoint exists (NotFound otherwise).
  std::function<Status(const std::string& endpoint)> exists;
  // The model and version of the endpoint's first variant.
  std::function<Result<std::pair<std::string, int64_t>>(const std::string& endpoint)> primary;
};

struct MonitorServiceOptions {
  int64_t tick_ms = 200;  // how often the scheduler looks for due monitors
  size_t chunk_records = 10000;
  WebhookOptions webhook;
};

class MonitorService {
 public:
  MonitorService(storage::MetadataStore& store, serving::CaptureLog& captures,
                 BaselineStore& baselines, FeedbackStore& feedback, AlertStore& alerts,
                 EndpointLookup endpoints, MonitorServiceOptions options = {});
  ~MonitorService();  // stops the scheduler, then the webhook thread

  Status InitSchema();
  void Start();  // the scheduler thread
  void Stop();

  // AlreadyExists for a taken name; NotFound for an unknown endpoint or baseline;
  // InvalidArgument for columns the baseline lacks or rules it cannot support.
  Result<Monitor> Create(const auth::Principal& actor, const MonitorSpec& spec);
  // By name or id.
  Result<Monitor> Get(const std::string& name_or_id);
  Result<std::vector<Monitor>> List(const PageRequest& page);
  // Deletes the monitor and its reports; its firing alerts are resolved (no notification).
  Status Delete(const auth::Principal& actor, const std::string& name_or_id);

  // Runs now and returns the stored report.
  Result<nlohmann::json> Run(const auth::Principal& actor, const std::string& name_or_id);
  // Newest first.
  Result<std::vector<nlohmann::json>> Reports(const std::string& name_or_id,
                                              const PageRequest& page);
  Result<nlohmann::json> Report(const std::string& report_id);

  // Waits until queued webhook deliveries are done (tests).
  void WaitForDeliveries() { webhooks_.WaitIdle(); }

 private:
  Result<nlohmann::json> RunLocked(const Monitor& monitor, const std::string& actor, bool manual);
  Result<Baseline> ResolveBaseline(const MonitorSpec& spec);
  void Schedule();

  storage::MetadataStore& store_;
  serving::CaptureLog& captures_;
  BaselineStore& baselines_;
  FeedbackStore& feedback_;
  AlertStore& alerts_;
  EndpointLookup endpoints_;
  const MonitorServiceOptions options_;
  WebhookSender webhooks_;

  std::mutex run_mu_;  // serializes runs
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread scheduler_;
};

}  // namespace plinth::monitoring

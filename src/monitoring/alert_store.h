#pragma once
// AlertStore: alert events and retrain requests, in the metadata store.
//
// An alert belongs to a monitor and one of its rules ("data_drift", "prediction_drift",
// "quality"). It opens (state "firing") when a run finds the rule's condition; while the
// condition holds, later runs only count it (occurrences, last_seen_ms): one alert, one fire
// notification, however long it lasts. The first run that evaluates the rule and finds it clear
// resolves it (state "resolved", resolved_ms) and sends a resolve notification. Opening an
// alert may record a retrain request with its reason, for the training pipelines to pick up.
//
// Webhook delivery is tracked per alert: fire_delivery and resolve_delivery are "pending",
// "delivered", "failed", "suppressed" (min_interval_seconds) or "none" (no webhook). The state
// transitions happen inside the monitor's run transaction (the *Tx functions); every one is
// audited there (alert.fire, alert.resolve, retrain.request, alert.delivery). Thread-safe.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/paging.h"
#include "common/status.h"
#include "storage/metadata_store.h"

namespace plinth::monitoring {

struct Alert {
  std::string id;
  std::string monitor;  // the monitor's name
  std::string monitor_id;
  std::string endpoint;
  std::string rule;
  std::string state;  // firing, resolved
  std::string reason;
  std::optional<double> value;
  std::optional<double> threshold;
  std::string report_id;  // the run that opened it
  int64_t fired_ms = 0;
  int64_t last_seen_ms = 0;
  std::optional<int64_t> resolved_ms;
  int64_t occurrences = 0;
  std::string fire_delivery = "none";
  std::string resolve_delivery = "none";
  int64_t delivery_attempts = 0;
  std::string delivery_error;
};
nlohmann::json AlertToJson(const Alert& alert);

struct RetrainRequest {
  std::string id;
  std::string monitor;
  std::string endpoint;
  std::string alert_id;
  std::string reason;
  int64_t created_ms = 0;
};
nlohmann::json RetrainRequestToJson(const RetrainRequest& request);

struct AlertFilter {
  std::string monitor;  // empty: all
  std::string state;    // empty: all
};

class AlertStore {
 public:
  explicit AlertStore(storage::MetadataStore& store) : store_(store) {}
  Status InitSchema();

  // Newest first.
  Result<std::vector<Alert>> List(const AlertFilter& filter, const PageRequest& page);
  Result<Alert> Get(const std::string& id);
  Result<std::vector<RetrainRequest>> ListRetrainRequests(const std::string& endpoint,
                                                          const PageRequest& page);

  // Within a monitor run's transaction:
  static Result<std::optional<Alert>> FindFiringTx(storage::SqlTx& tx,
                                                   const std::string& monitor_id,
                                                   const std::string& rule);
  // The last time a fire notification was sent or queued for the monitor (0 if never).
  static Result<int64_t> LastNotifiedTx(storage::SqlTx& tx, const std::string& monitor_id);
  static Status InsertTx(storage::SqlTx& tx, const Alert& alert, const std::string& actor);
  static Status TouchTx(storage::SqlTx& tx, const Alert& alert, int64_t now_ms, double value);
  static Status ResolveTx(storage::SqlTx& tx, Alert& alert, int64_t now_ms,
                          const std::string& resolve_delivery, const std::string& actor);
  static Status InsertRetrainTx(storage::SqlTx& tx, const RetrainRequest& request,
                                const std::string& actor);

  // At start-up: deliveries still pending were lost with the previous process (the queue is in
  // memory); they are marked failed ("server restarted"). Returns how many.
  Result<int64_t> FailLostDeliveries();

  // Records a delivery's outcome (audited as alert.delivery).
  Status SetDelivery(const std::string& alert_id, const std::string& kind, bool delivered,
                     int attempts, const std::string& error);

 private:
  storage::MetadataStore& store_;
};

}  // namespace plinth::monitoring

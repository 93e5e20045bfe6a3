#include "monitoring/alert_store.h"

#include <nlohmann/json.hpp>

#include "auth/audit_log.h"
#include "common/clock.h"

namespace plinth::monitoring {

using nlohmann::json;
using storage::SqlRow;
using storage::SqlTx;

namespace {

constexpr char kSelect[] =
    "SELECT id, monitor, monitor_id, endpoint, rule, state, reason, value, threshold, report_id,"
    " fired_ms, last_seen_ms, resolved_ms, occurrences, fire_delivery, resolve_delivery,"
    " delivery_attempts, delivery_error FROM alerts";

Alert FromRow(const SqlRow& r) {
  Alert a;
  a.id = r.String(0);
  a.monitor = r.String(1);
  a.monitor_id = r.String(2);
  a.endpoint = r.String(3);
  a.rule = r.String(4);
  a.state = r.String(5);
  a.reason = r.String(6);
  if (!r.IsNull(7)) a.value = r.Double(7);
  if (!r.IsNull(8)) a.threshold = r.Double(8);
  a.report_id = r.String(9);
  a.fired_ms = r.Int(10);
  a.last_seen_ms = r.Int(11);
  if (!r.IsNull(12)) a.resolved_ms = r.Int(12);
  a.occurrences = r.Int(13);
  a.fire_delivery = r.String(14);
  a.resolve_delivery = r.String(15);
  a.delivery_attempts = r.Int(16);
  a.delivery_error = r.String(17);
  return a;
}

storage::SqlParam Opt(const std::optional<double>& v) {
  return v ? storage::SqlParam(*v) : storage::SqlParam(nullptr);
}

}  // namespace

json AlertToJson(const Alert& a) {
  return {{"id", a.id},
          {"monitor", a.monitor},
          {"monitor_id", a.monitor_id},
          {"endpoint", a.endpoint},
          {"rule", a.rule},
          {"state", a.state},
          {"reason", a.reason},
          {"value", a.value ? json(*a.value) : json()},
          {"threshold", a.threshold ? json(*a.threshold) : json()},
          {"report_id", a.report_id},
          {"fired_ms", a.fired_ms},
          {"last_seen_ms", a.last_seen_ms},
          {"resolved_ms", a.resolved_ms ? json(*a.resolved_ms) : json()},
          {"occurrences", a.occurrences},
          {"delivery",
           {{"fire", a.fire_delivery},
            {"resolve", a.resolve_delivery},
            {"attempts", a.delivery_attempts},
            {"last_error", a.delivery_error.empty() ? json() : json(a.delivery_error)}}}};
}

json RetrainRequestToJson(const RetrainRequest& r) {
  return {{"id", r.id},
          {"monitor", r.monitor},
          {"endpoint", r.endpoint},
          {"alert_id", r.alert_id},
          {"reason", r.reason},
          {"created_ms", r.created_ms}};
}

Status AlertStore::InitSchema() {
  return store_.Write([](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec(
        "CREATE TABLE IF NOT EXISTS alerts (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
        " monitor TEXT NOT NULL, monitor_id TEXT NOT NULL, endpoint TEXT NOT NULL,"
        " rule TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL, value REAL,"
        " threshold REAL, report_id TEXT NOT NULL, fired_ms INTEGER NOT NULL,"
        " last_seen_ms INTEGER NOT NULL, resolved_ms INTEGER, occurrences INTEGER NOT NULL,"
        " fire_delivery TEXT NOT NULL, resolve_delivery TEXT NOT NULL,"
        " delivery_attempts INTEGER NOT NULL, delivery_error TEXT NOT NULL)"));
    RETURN_IF_ERROR(tx.Exec(
        "CREATE INDEX IF NOT EXISTS alerts_by_monitor ON alerts (monitor_id, rule, state)"));
    return tx.Exec(
        "CREATE TABLE IF NOT EXISTS retrain_requests (seq INTEGER PRIMARY KEY,"
        " id TEXT NOT NULL UNIQUE, monitor TEXT NOT NULL, endpoint TEXT NOT NULL,"
        " alert_id TEXT NOT NULL, reason TEXT NOT NULL, created_ms INTEGER NOT NULL)");
  });
}

Result<std::vector<Alert>> AlertStore::List(const AlertFilter& filter, const PageRequest& page) {
  std::vector<Alert> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(std::string(kSelect) +
                        " WHERE (? = '' OR monitor = ?) AND (? = '' OR state = ?)"
                        " ORDER BY seq DESC LIMIT ? OFFSET ?",
                    {std::string_view(filter.monitor), std::string_view(filter.monitor),
                     std::string_view(filter.state), std::string_view(filter.state),
                     int64_t{page.limit + 1}, page.offset},
                    [&](const SqlRow& r) { out.push_back(FromRow(r)); });
  }));
  return out;
}

Result<Alert> AlertStore::Get(const std::string& id) {
  std::optional<Alert> found;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(std::string(kSelect) + " WHERE id = ?", {std::string_view(id)},
                    [&](const SqlRow& r) { found = FromRow(r); });
  }));
  if (!found) return NotFound("no alert '" + id.substr(0, 64) + "'");
  return *found;
}

Result<std::vector<RetrainRequest>> AlertStore::ListRetrainRequests(const std::string& endpoint,
                                                                    const PageRequest& page) {
  std::vector<RetrainRequest> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(
        "SELECT id, monitor, endpoint, alert_id, reason, created_ms FROM retrain_requests"
        " WHERE (? = '' OR endpoint = ?) ORDER BY seq DESC LIMIT ? OFFSET ?",
        {std::string_view(endpoint), std::string_view(endpoint), int64_t{page.limit + 1},
         page.offset},
        [&](const SqlRow& r) {
          out.push_back(RetrainRequest{r.String(0), r.String(1), r.String(2), r.String(3),
                                       r.String(4), r.Int(5)});
        });
  }));
  return out;
}

Result<std::optional<Alert>> AlertStore::FindFiringTx(SqlTx& tx, const std::string& monitor_id,
                                                      const std::string& rule) {
  std::optional<Alert> found;
  RETURN_IF_ERROR(tx.Query(std::string(kSelect) +
                               " WHERE monitor_id = ? AND rule = ? AND state = 'firing'"
                               " ORDER BY seq DESC LIMIT 1",
                           {std::string_view(monitor_id), std::string_view(rule)},
                           [&](const SqlRow& r) { found = FromRow(r); }));
  return found;
}

Result<int64_t> AlertStore::LastNotifiedTx(SqlTx& tx, const std::string& monitor_id) {
  int64_t last = 0;
  RETURN_IF_ERROR(
      tx.Query("SELECT MAX(fired_ms) FROM alerts WHERE monitor_id = ? AND fire_delivery NOT IN"
               " ('suppressed', 'none')",
               {std::string_view(monitor_id)}, [&](const SqlRow& r) {
                 if (!r.IsNull(0)) last = r.Int(0);
               }));
  return last;
}

Status AlertStore::InsertTx(SqlTx& tx, const Alert& a, const std::string& actor) {
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO alerts (id, monitor, monitor_id, endpoint, rule, state, reason, value,"
      " threshold, report_id, fired_ms, last_seen_ms, resolved_ms, occurrences, fire_delivery,"
      " resolve_delivery, delivery_attempts, delivery_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
      " ?, ?, ?, NULL, ?, ?, ?, 0, '')",
      {std::string_view(a.id), std::string_view(a.monitor), std::string_view(a.monitor_id),
       std::string_view(a.endpoint), std::string_view(a.rule), std::string_view(a.state),
       std::string_view(a.reason), Opt(a.value), Opt(a.threshold), std::string_view(a.report_id),
       a.fired_ms, a.last_seen_ms, a.occurrences, std::string_view(a.fire_delivery),
       std::string_view(a.resolve_delivery)}));
  return auth::AuditLog::Append(
      tx, actor, "alert.fire", "alerts/" + a.id,
      json{{"monitor", a.monitor}, {"rule", a.rule}, {"reason", a.reason}}.dump());
}

Status AlertStore::TouchTx(SqlTx& tx, const Alert& a, int64_t now_ms, double value) {
  return tx.Exec(
      "UPDATE alerts SET last_seen_ms = ?, occurrences = occurrences + 1, value = ? WHERE id = ?",
      {now_ms, value, std::string_view(a.id)});
}

Status AlertStore::ResolveTx(SqlTx& tx, Alert& a, int64_t now_ms,
                             const std::string& resolve_delivery, const std::string& actor) {
  a.state = "resolved";
  a.resolved_ms = now_ms;
  a.resolve_delivery = resolve_delivery;
  RETURN_IF_ERROR(tx.Exec(
      "UPDATE alerts SET state = 'resolved', resolved_ms = ?, resolve_delivery = ? WHERE id = ?",
      {now_ms, std::string_view(resolve_delivery), std::string_view(a.id)}));
  return auth::AuditLog::Append(tx, actor, "alert.resolve", "alerts/" + a.id,
                                json{{"monitor", a.monitor}, {"rule", a.rule}}.dump());
}

Status AlertStore::InsertRetrainTx(SqlTx& tx, const RetrainRequest& r, const std::string& actor) {
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO retrain_requests (id, monitor, endpoint, alert_id, reason, created_ms)"
              " VALUES (?, ?, ?, ?, ?, ?)",
              {std::string_view(r.id), std::string_view(r.monitor), std::string_view(r.endpoint),
               std::string_view(r.alert_id), std::string_view(r.reason), r.created_ms}));
  return auth::AuditLog::Append(
      tx, actor, "retrain.request", "retrain-requests/" + r.id,
      json{{"endpoint", r.endpoint}, {"alert_id", r.alert_id}, {"reason", r.reason}}.dump());
}

Status AlertStore::SetDelivery(const std::string& alert_id, const std::string& kind, bool delivered,
                               int attempts, const std::string& error) {
  const std::string state = delivered ? "delivered" : "failed";
  const std::string column = kind == "resolve" ? "resolve_delivery" : "fire_delivery";
  return store_.Write([&](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec("UPDATE alerts SET " + column +
                                " = ?, delivery_attempts = delivery_attempts + ?,"
                                " delivery_error = ? WHERE id = ?",
                            {std::string_view(state), int64_t{attempts}, std::string_view(error),
                             std::string_view(alert_id)}));
    return auth::AuditLog::Append(
        tx, "system", "alert.delivery", "alerts/" + alert_id,
        json{{"kind", kind}, {"state", state}, {"attempts", attempts}, {"error", error}}.dump());
  });
}

Result<int64_t> AlertStore::FailLostDeliveries() {
  int64_t changed = 0;
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    changed = 0;
    for (const char* column : {"fire_delivery", "resolve_delivery"}) {
      RETURN_IF_ERROR(tx.Exec(std::string("UPDATE alerts SET ") + column +
                              " = 'failed', delivery_error = 'server restarted' WHERE " + column +
                              " = 'pending'"));
      changed += tx.Changes();
    }
    if (changed == 0) return Status::Ok();
    return auth::AuditLog::Append(tx, "system", "alert.delivery", "alerts",
                                  json{{"state", "failed"}, {"error", "server restarted"},
                                       {"deliveries", changed}}
                                      .dump());
  }));
  return changed;
}

}  // namespace plinth::monitoring

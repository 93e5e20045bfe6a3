#include "monitoring/feedback_store.h"

#include <nlohmann/json.hpp>

#include "auth/audit_log.h"
#include "common/clock.h"

namespace plinth::monitoring {

using storage::SqlRow;
using storage::SqlTx;

Status FeedbackStore::InitSchema() {
  return store_.Write([](SqlTx& tx) {
    return tx.Exec(
        "CREATE TABLE IF NOT EXISTS feedback_labels (endpoint TEXT NOT NULL,"
        " request_id TEXT NOT NULL, label TEXT NOT NULL, time_ms INTEGER NOT NULL,"
        " PRIMARY KEY (endpoint, request_id))");
  });
}

Result<FeedbackResult> FeedbackStore::Record(const auth::Principal& actor,
                                             const std::string& endpoint,
                                             const std::vector<FeedbackItem>& items) {
  FeedbackResult result;
  result.accepted = static_cast<int64_t>(items.size());
  std::vector<std::string> ids;
  for (const FeedbackItem& item : items) ids.push_back(item.request_id);
  ASSIGN_OR_RETURN(std::vector<std::string> captured, captures_.FindCaptured(endpoint, ids));
  result.matched = static_cast<int64_t>(captured.size());
  std::sort(captured.begin(), captured.end());
  for (const std::string& id : ids) {
    if (!std::binary_search(captured.begin(), captured.end(), id)) result.unmatched.push_back(id);
  }
  int64_t now = NowMs();
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    for (const FeedbackItem& item : items) {
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO feedback_labels (endpoint, request_id, label, time_ms) VALUES (?, ?, ?, ?)"
          " ON CONFLICT (endpoint, request_id) DO UPDATE SET label = excluded.label,"
          " time_ms = excluded.time_ms",
          {std::string_view(endpoint), std::string_view(item.request_id),
           std::string_view(item.label_json), now}));
    }
    return auth::AuditLog::Append(
        tx, actor.name, "feedback.create", "endpoints/" + endpoint,
        nlohmann::json{{"labels", result.accepted}, {"matched", result.matched}}.dump());
  }));
  return result;
}

Result<std::map<std::string, std::string>> FeedbackStore::LabelsFor(
    const std::string& endpoint, const std::vector<std::string>& request_ids) {
  std::map<std::string, std::string> out;
  constexpr size_t kBatch = 500;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    for (size_t start = 0; start < request_ids.size(); start += kBatch) {
      size_t end = std::min(request_ids.size(), start + kBatch);
      std::string sql =
          "SELECT request_id, label FROM feedback_labels WHERE endpoint = ? AND"
          " request_id IN (";
      std::vector<storage::SqlParam> params{std::string_view(endpoint)};
      for (size_t i = start; i < end; ++i) {
        sql += i == start ? "?" : ", ?";
        params.emplace_back(std::string_view(request_ids[i]));
      }
      sql += ")";
      RETURN_IF_ERROR(
          tx.Query(sql, params, [&](const SqlRow& r) { out.emplace(r.String(0), r.String(1)); }));
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace plinth::monitoring

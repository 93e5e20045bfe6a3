#include "auth/audit_log.h"

#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace plinth::auth {

Status AuditLog::InitSchema() {
  return store_.Write([](storage::SqlTx& tx) {
    return tx.Exec(
        "CREATE TABLE IF NOT EXISTS audit_events ("
        " seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, actor TEXT NOT NULL,"
        " action TEXT NOT NULL, resource TEXT NOT NULL, details TEXT NOT NULL,"
        " prev_hash TEXT NOT NULL, hash TEXT NOT NULL)");
  });
}

Status AuditLog::Append(storage::SqlTx& tx, const std::string& actor, const std::string& action,
                        const std::string& resource, const std::string& details_json) {
  AuditEventFields f;
  f.seq = 1;
  std::string prev_hash = kGenesisHash;
  RETURN_IF_ERROR(tx.Query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1", {},
                           [&](const storage::SqlRow& row) {
                             f.seq = row.Int(0) + 1;
                             prev_hash = row.String(1);
                           }));
  f.time_ms = NowMs();
  f.actor = actor;
  f.action = action;
  f.resource = resource;
  f.details_json = details_json.empty() ? "{}" : details_json;
  std::string hash = AuditEventHash(prev_hash, f);
  return tx.Exec(
      "INSERT INTO audit_events (seq, time_ms, actor, action, resource, details, prev_hash, hash)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {f.seq, f.time_ms, std::string_view(f.actor), std::string_view(f.action),
       std::string_view(f.resource), std::string_view(f.details_json),
       std::string_view(prev_hash), std::string_view(hash)});
}

namespace {
AuditEvent EventFromRow(const storage::SqlRow& row) {
  return AuditEvent{row.Int(0),    row.Int(1),    row.String(2), row.String(3),
                    row.String(4), row.String(5), row.String(6), row.String(7)};
}
constexpr char kSelectEvents[] =
    "SELECT seq, time_ms, actor, action, resource, details, prev_hash, hash FROM audit_events";
}  // namespace

Result<std::vector<AuditEvent>> AuditLog::List(int64_t after_seq, int limit) {
  std::vector<AuditEvent> out;
  RETURN_IF_ERROR(store_.Read([&](storage::SqlTx& tx) {
    return tx.Query(std::string(kSelectEvents) + " WHERE seq > ? ORDER BY seq LIMIT ?",
                    {after_seq, int64_t{limit}},
                    [&](const storage::SqlRow& row) { out.push_back(EventFromRow(row)); });
  }));
  return out;
}

Result<AuditVerification> AuditLog::Verify(std::optional<AuditHead> expected_head) {
  AuditChainVerifier verifier;
  if (expected_head) verifier.ExpectHead(*expected_head);
  RETURN_IF_ERROR(store_.Read([&](storage::SqlTx& tx) {
    return tx.Query(std::string(kSelectEvents) + " ORDER BY seq", {},
                    [&](const storage::SqlRow& row) {
                      AuditEvent e = EventFromRow(row);
                      nlohmann::json details = nlohmann::json::parse(e.details_json, nullptr, false);
                      if (details.is_discarded()) details = e.details_json;
                      verifier.Add({{"seq", e.seq},
                                    {"time_ms", e.time_ms},
                                    {"actor", e.actor},
                                    {"action", e.action},
                                    {"resource", e.resource},
                                    {"details", details},
                                    {"prev_hash", e.prev_hash},
                                    {"hash", e.hash}});
                    });
  }));
  return verifier.Finish();
}

}  // namespace plinth::auth

#pragma once
// The audit log: an append-only, hash-chained table of state changes.
//
// Every state change calls AuditLog::Append inside the same write transaction as the change, so
// the event exists exactly when the change does. The chain rule is in audit_chain.h.

#include <cstdint>
#include <string>
#include <vector>

#include "auth/audit_chain.h"
#include "storage/metadata_store.h"

namespace plinth::auth {

struct AuditEvent {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string actor;
  std::string action;    // "run.create", "version.approve", ... (docs/api.md lists them)
  std::string resource;  // "runs/<id>", "models/<name>/versions/<v>", ...
  std::string details_json;
  std::string prev_hash;
  std::string hash;
};

class AuditLog {
 public:
  explicit AuditLog(storage::MetadataStore& store) : store_(store) {}

  // Creates the table. Call once at start-up.
  Status InitSchema();

  // Appends one event in `tx`. `details_json` must be a JSON object.
  static Status Append(storage::SqlTx& tx, const std::string& actor, const std::string& action,
                       const std::string& resource, const std::string& details_json);

  // Events with seq > after_seq, oldest first, at most `limit`.
  Result<std::vector<AuditEvent>> List(int64_t after_seq, int limit);

  // Re-checks the whole chain from the stored events (and, when given, that it still holds a
  // head recorded earlier).
  Result<AuditVerification> Verify(std::optional<AuditHead> expected_head = std::nullopt);

 private:
  storage::MetadataStore& store_;
};

}  // namespace plinth::auth

#pragma once
// The audit log's hash chain, as a pure function of the events.
//
// Event n's hash is SHA-256(prev_hash + "\n" + canonical), where canonical is the compact JSON,
// keys sorted, of {"action", "actor", "details", "resource", "seq", "time_ms"} and prev_hash is
// event n-1's hash (64 zeros for seq 1). Anyone holding the events can re-check the chain; the
// server and `plinth audit verify` both use VerifyAuditChain.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace plinth::auth {

inline constexpr char kGenesisHash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct AuditEventFields {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string actor;
  std::string action;
  std::string resource;
  std::string details_json = "{}";  // a JSON object, any formatting
};

// The hash an event with these fields must carry after prev_hash.
std::string AuditEventHash(const std::string& prev_hash, const AuditEventFields& event);

struct AuditVerification {
  bool ok = true;
  int64_t events = 0;
  std::optional<int64_t> first_bad_seq;
  std::string message;
};

// Incremental verifier: feed events in the order they were listed (by seq). It reports the first
// event whose seq is not the next one (deleted or reordered), whose prev_hash does not link, or
// whose hash does not match its contents (edited).
class AuditChainVerifier {
 public:
  // `event` is one event as the API lists it. Returns false once the chain is broken.
  bool Add(const nlohmann::json& event);
  AuditVerification Finish() const;

 private:
  AuditVerification result_;
  int64_t expected_seq_ = 1;
  std::string prev_hash_ = kGenesisHash;
};

}  // namespace plinth::auth

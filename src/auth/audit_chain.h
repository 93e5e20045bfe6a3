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
  // The last event that verified: a head to record outside plinth and check later with
  // ExpectHead (the chain alone cannot show that events were cut off its end).
  int64_t head_seq = 0;
  std::string head_hash = kGenesisHash;
};

// A head recorded earlier, "SEQ:HASH" (as `plinth audit verify` prints it).
struct AuditHead {
  int64_t seq = 0;
  std::string hash;
};
// Parses "SEQ:HASH"; nullopt unless SEQ is a positive integer and HASH 64 hex digits.
std::optional<AuditHead> ParseAuditHead(const std::string& text);

// Incremental verifier: feed events in the order they were listed (by seq). It reports the first
// event whose seq is not the next one (deleted or reordered), whose prev_hash does not link, or
// whose hash does not match its contents (edited). With an expected head it also reports a log
// that no longer holds that event with that hash: events cut off the end, or a rewritten chain.
class AuditChainVerifier {
 public:
  void ExpectHead(AuditHead head) { expected_head_ = std::move(head); }
  // `event` is one event as the API lists it. Returns false once the chain is broken.
  bool Add(const nlohmann::json& event);
  AuditVerification Finish() const;

 private:
  AuditVerification result_;
  std::optional<AuditHead> expected_head_;
  int64_t expected_seq_ = 1;
  std::string prev_hash_ = kGenesisHash;
};

}  // namespace plinth::auth

#include "auth/audit_chain.h"

#include <nlohmann/json.hpp>

#include "common/sha256.h"

namespace plinth::auth {

std::string AuditEventHash(const std::string& prev_hash, const AuditEventFields& event) {
  nlohmann::json details = nlohmann::json::parse(event.details_json, nullptr, false);
  if (details.is_discarded()) details = event.details_json;  // hash the raw text if not JSON
  // nlohmann::json objects are std::map-backed, so dump() sorts keys and is compact.
  nlohmann::json canonical = {{"action", event.action},     {"actor", event.actor},
                              {"details", details},         {"resource", event.resource},
                              {"seq", event.seq},           {"time_ms", event.time_ms}};
  return Sha256Hex(prev_hash + "\n" + canonical.dump());
}

bool AuditChainVerifier::Add(const nlohmann::json& event) {
  if (!result_.ok) return false;
  auto fail = [&](int64_t seq, std::string why) {
    result_.ok = false;
    result_.first_bad_seq = seq;
    result_.message = std::move(why);
    return false;
  };
  if (!event.is_object() || !event.contains("seq") || !event["seq"].is_number_integer()) {
    return fail(expected_seq_, "event after seq " + std::to_string(expected_seq_ - 1) +
                                   " has no integer seq");
  }
  int64_t seq = event["seq"].get<int64_t>();
  if (seq != expected_seq_) {
    return fail(expected_seq_, "expected seq " + std::to_string(expected_seq_) + " but found " +
                                   std::to_string(seq) + ": events were deleted or reordered");
  }
  AuditEventFields f;
  f.seq = seq;
  f.time_ms = event.value("time_ms", int64_t{0});
  f.actor = event.value("actor", "");
  f.action = event.value("action", "");
  f.resource = event.value("resource", "");
  f.details_json = event.contains("details") ? event["details"].dump() : "{}";
  std::string prev = event.value("prev_hash", "");
  std::string hash = event.value("hash", "");
  if (prev != prev_hash_) {
    return fail(seq, "seq " + std::to_string(seq) + " does not link to the event before it");
  }
  if (AuditEventHash(prev, f) != hash) {
    return fail(seq, "seq " + std::to_string(seq) + " was modified: its hash does not match");
  }
  if (expected_head_ && seq == expected_head_->seq && hash != expected_head_->hash) {
    return fail(seq, "seq " + std::to_string(seq) +
                         " is not the recorded head: the chain was rewritten up to it");
  }
  prev_hash_ = hash;
  result_.head_seq = seq;
  result_.head_hash = hash;
  ++expected_seq_;
  ++result_.events;
  return true;
}

AuditVerification AuditChainVerifier::Finish() const {
  AuditVerification r = result_;
  if (r.ok && expected_head_ && r.head_seq < expected_head_->seq) {
    r.ok = false;
    r.first_bad_seq = r.head_seq + 1;
    r.message = "the log ends at seq " + std::to_string(r.head_seq) + " but the recorded head is seq " +
                std::to_string(expected_head_->seq) + ": events were deleted from its end";
  }
  if (r.ok) r.message = "audit chain verified: " + std::to_string(r.events) + " events";
  return r;
}

std::optional<AuditHead> ParseAuditHead(const std::string& text) {
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 18) return std::nullopt;
  AuditHead head;
  for (size_t i = 0; i < colon; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    head.seq = head.seq * 10 + (text[i] - '0');
  }
  head.hash = text.substr(colon + 1);
  if (head.seq < 1 || head.hash.size() != 64) return std::nullopt;
  for (char c : head.hash) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return head;
}

}  // namespace plinth::auth

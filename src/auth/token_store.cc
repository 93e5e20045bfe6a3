#include "auth/token_store.h"

#include <mutex>

#include <nlohmann/json.hpp>

#include "auth/audit_log.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/names.h"
#include "common/sha256.h"

namespace plinth::auth {

using storage::SqlRow;
using storage::SqlTx;

Status TokenStore::InitSchema() {
  return store_.Write([](SqlTx& tx) {
    return tx.Exec(
        "CREATE TABLE IF NOT EXISTS tokens ("
        " id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
        " secret_sha256 TEXT NOT NULL UNIQUE, created_ms INTEGER NOT NULL,"
        " revoked INTEGER NOT NULL DEFAULT 0)");
  });
}

namespace {

Status InsertToken(SqlTx& tx, const Principal& actor, const CreatedToken& t) {
  bool taken = false;
  RETURN_IF_ERROR(tx.Query("SELECT 1 FROM tokens WHERE name = ?", {std::string_view(t.info.name)},
                           [&](const SqlRow&) { taken = true; }));
  if (taken) return AlreadyExists("a token named '" + t.info.name + "' already exists");
  std::string hash = Sha256Hex(t.secret);
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO tokens (id, name, role, secret_sha256, created_ms) VALUES (?, ?, ?, ?, ?)",
      {std::string_view(t.info.id), std::string_view(t.info.name),
       std::string_view(RoleName(t.info.role)), std::string_view(hash), t.info.created_ms}));
  nlohmann::json details = {{"name", t.info.name}, {"role", RoleName(t.info.role)}};
  return AuditLog::Append(tx, actor.name, "token.create", "tokens/" + t.info.id, details.dump());
}

CreatedToken NewToken(const std::string& name, Role role) {
  return CreatedToken{TokenInfo{NewId(), name, role, NowMs(), false}, NewTokenSecret()};
}

}  // namespace

Result<CreatedToken> TokenStore::Create(const Principal& actor, const std::string& name,
                                        Role role) {
  RETURN_IF_ERROR(ValidateName("token name", name));
  CreatedToken t = NewToken(name, role);
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) { return InsertToken(tx, actor, t); }));
  return t;
}

Result<std::optional<CreatedToken>> TokenStore::CreateInitialAdmin() {
  std::optional<CreatedToken> created;
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    bool any = false;
    RETURN_IF_ERROR(tx.Query("SELECT 1 FROM tokens LIMIT 1", {}, [&](const SqlRow&) { any = true; }));
    if (any) return Status::Ok();
    CreatedToken t = NewToken("admin", Role::kAdmin);
    RETURN_IF_ERROR(InsertToken(tx, SystemPrincipal(), t));
    created = std::move(t);
    return Status::Ok();
  }));
  return created;
}

Result<std::vector<TokenInfo>> TokenStore::List(int64_t offset, int limit) {
  std::vector<TokenInfo> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(
        "SELECT id, name, role, created_ms, revoked FROM tokens ORDER BY created_ms, id"
        " LIMIT ? OFFSET ?",
        {int64_t{limit}, offset}, [&](const SqlRow& row) {
          out.push_back(TokenInfo{row.String(0), row.String(1),
                                  ParseRole(row.Text(2)).value_or(Role::kViewer), row.Int(3),
                                  row.Int(4) != 0});
        });
  }));
  return out;
}

Status TokenStore::Revoke(const Principal& actor, const std::string& id) {
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    bool found = false;
    RETURN_IF_ERROR(tx.Query("SELECT 1 FROM tokens WHERE id = ?", {std::string_view(id)},
                             [&](const SqlRow&) { found = true; }));
    if (!found) return NotFound("token '" + id + "' does not exist");
    RETURN_IF_ERROR(tx.Exec("UPDATE tokens SET revoked = 1 WHERE id = ?", {std::string_view(id)}));
    return AuditLog::Append(tx, actor.name, "token.revoke", "tokens/" + id, "{}");
  }));
  std::unique_lock lock(cache_mu_);
  cache_.clear();  // keyed by secret, not hash: start over (one query per token to refill)
  ++revocations_;
  return Status::Ok();
}

Result<Principal> TokenStore::Authenticate(const std::string& secret) {
  uint64_t revocations_seen;
  {
    std::shared_lock lock(cache_mu_);
    auto it = cache_.find(secret);
    if (it != cache_.end()) return it->second;
    revocations_seen = revocations_;
  }
  std::string hash = Sha256Hex(secret);
  std::optional<Principal> found;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query("SELECT id, name, role FROM tokens WHERE secret_sha256 = ? AND revoked = 0",
                    {std::string_view(hash)}, [&](const SqlRow& row) {
                      found = Principal{row.String(0), row.String(1),
                                        ParseRole(row.Text(2)).value_or(Role::kViewer)};
                    });
  }));
  if (!found) return Unauthenticated("the bearer token is not valid");
  std::unique_lock lock(cache_mu_);
  if (revocations_ == revocations_seen) cache_[secret] = *found;
  return *found;
}

}  // namespace plinth::auth

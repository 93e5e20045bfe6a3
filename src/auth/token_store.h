#pragma once
// Bearer tokens: creation, listing, revocation and authentication.
//
// Only the SHA-256 of a token's secret is stored; the secret is returned once, at creation.
// Authentication is served from an in-memory cache of known hashes so that the request path does
// not touch the database after a token's first use; revocation evicts at once. Thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/roles.h"
#include "storage/metadata_store.h"

namespace plinth::auth {

struct TokenInfo {
  std::string id;
  std::string name;
  Role role = Role::kViewer;
  int64_t created_ms = 0;
  bool revoked = false;
};

struct CreatedToken {
  TokenInfo info;
  std::string secret;  // shown once
};

class TokenStore {
 public:
  explicit TokenStore(storage::MetadataStore& store) : store_(store) {}

  Status InitSchema();

  // Creates a token; AlreadyExists if the name is taken. Audited as token.create by `actor`.
  Result<CreatedToken> Create(const Principal& actor, const std::string& name, Role role);
  // Creates the first admin token if no token exists yet; nullopt if tokens already exist.
  Result<std::optional<CreatedToken>> CreateInitialAdmin();

  Result<std::vector<TokenInfo>> List(int64_t offset, int limit);
  // NotFound for an unknown id; revoking twice is accepted.
  Status Revoke(const Principal& actor, const std::string& id);

  // The principal for a secret; Unauthenticated if unknown or revoked.
  Result<Principal> Authenticate(const std::string& secret);

 private:
  storage::MetadataStore& store_;
  std::shared_mutex cache_mu_;
  // Valid secrets seen since the last revocation -> principal, so that a request costs a hash
  // lookup rather than a SHA-256 (only hashes are ever written to disk). Guarded by cache_mu_.
  std::unordered_map<std::string, Principal> cache_;
  // Bumped by every revocation, so that a lookup that read the database before a revocation
  // committed does not put the revoked token back into the cache. Guarded by cache_mu_.
  uint64_t revocations_ = 0;
};

}  // namespace plinth::auth

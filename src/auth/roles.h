#pragma once
// Roles and the caller's identity.
//
// Roles are ordered: viewer < scientist < approver < admin; a role may do everything a lower one
// may. viewer reads everything; scientist creates experiments and runs, logs, and registers
// model versions; approver also approves or rejects versions and moves aliases; admin also
// manages tokens.

#include <optional>
#include <string>
#include <string_view>

namespace plinth::auth {

enum class Role { kViewer = 0, kScientist = 1, kApprover = 2, kAdmin = 3 };

const char* RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

inline bool RoleAllows(Role have, Role need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

// Who is calling: the token that authenticated the request.
struct Principal {
  std::string token_id;
  std::string name;  // the token's name; the actor in audit events
  Role role = Role::kViewer;
};

// The principal for changes the server makes on its own (first-start admin token).
Principal SystemPrincipal();

}  // namespace plinth::auth

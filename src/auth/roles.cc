#include "auth/roles.h"

namespace plinth::auth {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kScientist: return "scientist";
    case Role::kApprover: return "approver";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "scientist") return Role::kScientist;
  if (name == "approver") return Role::kApprover;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

Principal SystemPrincipal() { return Principal{"", "system", Role::kAdmin}; }

}  // namespace plinth::auth

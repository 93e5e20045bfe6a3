// `plinth tokens create|list|revoke` (admin) and `plinth whoami` (/api/v1/tokens, /whoami).

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands.h"

namespace plinth::cli {

void AddTokensCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("tokens", "API tokens (admin role)");
  group->require_subcommand(1);

  {
    struct Args {
      std::string name, role;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("create", "Create a token; its secret is shown once");
    cmd->add_option("NAME", args->name, "token name")->required();
    cmd->add_option("--role", args->role, "viewer, scientist, approver or admin")
        ->required()
        ->check(CLI::IsMember({"viewer", "scientist", "approver", "admin"}));
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      RETURN_IF_ERROR(CallAndPrint(ctx, "POST", "/api/v1/tokens",
                                   nlohmann::json{{"name", args->name}, {"role", args->role}}));
      ctx.PrintNote(
          "Keep the token now: the server stores only its hash and never shows it again.");
      return Status::Ok();
    });
  }
  {
    auto limit = std::make_shared<int64_t>(0);
    CLI::App* cmd = group->add_subcommand("list", "List tokens (never their secrets)");
    AddLimitOption(cmd, limit.get());
    OnRun(cmd, ctx, [&ctx, limit]() -> Status {
      return ListAndPrint(
          ctx, "/api/v1/tokens", {}, *limit,
          {FieldColumn("ID", "id"), FieldColumn("NAME", "name"), FieldColumn("ROLE", "role"),
           FieldColumn("CREATED", "created_ms"), FieldColumn("REVOKED", "revoked")});
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("revoke", "Revoke a token; it stops working at once");
    cmd->add_option("ID", *id, "token id")->required();
    OnRun(cmd, ctx, [&ctx, id]() -> Status {
      ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
      RETURN_IF_ERROR(api->Call("DELETE", "/api/v1/tokens/" + EncodeSegment(*id)).status());
      ctx.PrintNote("revoked token " + *id);
      return Status::Ok();
    });
  }

  CLI::App* whoami = app.add_subcommand("whoami", "Show the token in use: name and role");
  OnRun(whoami, ctx, [&ctx]() -> Status { return CallAndPrint(ctx, "GET", "/api/v1/whoami"); });
}

}  // namespace plinth::cli

// `plinth aliases set|get|history`: names for approved versions
// (/api/v1/models/{name}/aliases/{alias}).

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>

#include "cli/commands.h"

namespace plinth::cli {

namespace {

std::string AliasPath(const std::string& model, const std::string& alias) {
  return "/api/v1/models/" + EncodeSegment(model) + "/aliases/" + EncodeSegment(alias);
}

}  // namespace

void AddAliasesCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("aliases", "Aliases (champion, ...) of a model");
  group->require_subcommand(1);

  {
    struct Args {
      std::string model, alias;
      int64_t version = 0;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("set", "Point an alias at an approved version");
    cmd->add_option("MODEL", args->model, "model name")->required();
    cmd->add_option("ALIAS", args->alias, "alias name")->required();
    cmd->add_option("VERSION", args->version, "version number")->required();
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      return CallAndPrint(ctx, "PUT", AliasPath(args->model, args->alias),
                          nlohmann::json{{"version", args->version}});
    });
  }
  {
    struct Args {
      std::string model, alias;
      std::optional<int64_t> at_ms;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("get", "Show the version an alias names");
    cmd->add_option("MODEL", args->model, "model name")->required();
    cmd->add_option("ALIAS", args->alias, "alias name")->required();
    cmd->add_option("--at-ms", args->at_ms, "the version it named at this time (ms)");
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      QueryParams query;
      if (args->at_ms) query.emplace_back("at_ms", std::to_string(*args->at_ms));
      return CallAndPrint(ctx, "GET", WithQuery(AliasPath(args->model, args->alias), query));
    });
  }
  {
    struct Args {
      std::string model, alias;
      int64_t limit = 0;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("history", "Every move of an alias, oldest first");
    cmd->add_option("MODEL", args->model, "model name")->required();
    cmd->add_option("ALIAS", args->alias, "alias name")->required();
    AddLimitOption(cmd, &args->limit);
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      return ListAndPrint(ctx, AliasPath(args->model, args->alias) + "/history", {}, args->limit,
                          {FieldColumn("VERSION", "version"), FieldColumn("SET", "set_ms"),
                           RawFieldColumn("SET_MS", "set_ms"), FieldColumn("SET_BY", "set_by")});
    });
  }
}

}  // namespace plinth::cli

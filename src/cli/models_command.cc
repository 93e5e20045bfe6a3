// `plinth models create|list|get`: registered models (/api/v1/models).

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/args.h"
#include "cli/commands.h"

namespace plinth::cli {

void AddModelsCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("models", "Registered models");
  group->require_subcommand(1);

  {
    struct Args {
      std::string name, description;
      std::vector<std::string> tags;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("create", "Register a model name");
    cmd->add_option("NAME", args->name, "model name")->required();
    cmd->add_option("--description", args->description, "what the model is for");
    AddRepeatedOption(cmd, "--tag", &args->tags, "tag KEY=VALUE (repeatable)");
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      ASSIGN_OR_RETURN(auto tags, ParseKeyValues(args->tags, "--tag"));
      nlohmann::json body = {{"name", args->name}};
      if (!args->description.empty()) body["description"] = args->description;
      if (!tags.empty()) body["tags"] = tags;
      return CallAndPrint(ctx, "POST", "/api/v1/models", body);
    });
  }
  {
    auto limit = std::make_shared<int64_t>(0);
    CLI::App* cmd = group->add_subcommand("list", "List models");
    AddLimitOption(cmd, limit.get());
    OnRun(cmd, ctx, [&ctx, limit]() -> Status {
      return ListAndPrint(ctx, "/api/v1/models", {}, *limit,
                          {FieldColumn("NAME", "name"), FieldColumn("LATEST", "latest_version"),
                           FieldColumn("ALIASES", "aliases"), FieldColumn("CREATED", "created_ms"),
                           FieldColumn("DESCRIPTION", "description")});
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("get", "Show one model");
    cmd->add_option("NAME", *name, "model name")->required();
    OnRun(cmd, ctx, [&ctx, name]() -> Status {
      return CallAndPrint(ctx, "GET", "/api/v1/models/" + EncodeSegment(*name));
    });
  }
}

}  // namespace plinth::cli

// `plinth experiments create|list|get`: /api/v1/experiments.

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/args.h"
#include "cli/commands.h"

namespace plinth::cli {

namespace {

std::vector<Column> ExperimentColumns() {
  return {FieldColumn("ID", "id"), FieldColumn("NAME", "name"),
          FieldColumn("CREATED", "created_ms"), FieldColumn("CREATED_BY", "created_by"),
          FieldColumn("TAGS", "tags")};
}

}  // namespace

void AddExperimentsCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("experiments", "Create, list and show experiments");
  group->require_subcommand(1);

  {
    struct Args {
      std::string name;
      std::vector<std::string> tags;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("create", "Create an experiment");
    cmd->add_option("NAME", args->name, "experiment name")->required();
    AddRepeatedOption(cmd, "--tag", &args->tags, "tag KEY=VALUE (repeatable)");
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      ASSIGN_OR_RETURN(auto tags, ParseKeyValues(args->tags, "--tag"));
      nlohmann::json body = {{"name", args->name}};
      if (!tags.empty()) body["tags"] = tags;
      return CallAndPrint(ctx, "POST", "/api/v1/experiments", body);
    });
  }
  {
    struct Args {
      std::string name;
      int64_t limit = 0;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("list", "List experiments");
    cmd->add_option("--name", args->name, "only the experiment of this name");
    AddLimitOption(cmd, &args->limit);
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      return ListAndPrint(ctx, "/api/v1/experiments", {{"name", args->name}}, args->limit,
                          ExperimentColumns());
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("get", "Show one experiment");
    cmd->add_option("ID", *id, "experiment id")->required();
    OnRun(cmd, ctx, [&ctx, id]() -> Status {
      return CallAndPrint(ctx, "GET", "/api/v1/experiments/" + EncodeSegment(*id));
    });
  }
}

}  // namespace plinth::cli

#pragma once
// The subcommand groups of `plinth`, one file each. Each Add* function adds its group to the root
// app; the chosen command's work is handed to the CommandContext (see OnRun) and runs after
// parsing.

#include "cli/cli.h"
#include "cli/command_context.h"

namespace CLI {
class App;
}

namespace plinth::cli {

void AddServerCommand(CLI::App& app, CommandContext& ctx, const ServerMain& server_main);
void AddExperimentsCommands(CLI::App& app, CommandContext& ctx);
void AddRunsCommands(CLI::App& app, CommandContext& ctx);
void AddModelsCommands(CLI::App& app, CommandContext& ctx);
void AddVersionsCommands(CLI::App& app, CommandContext& ctx);
void AddAliasesCommands(CLI::App& app, CommandContext& ctx);
void AddTokensCommands(CLI::App& app, CommandContext& ctx);  // tokens ... and whoami
void AddAuditCommands(CLI::App& app, CommandContext& ctx);
void AddEndpointsCommands(CLI::App& app, CommandContext& ctx);
void AddRolloutsCommands(CLI::App& app, CommandContext& ctx);
void AddPredictCommand(CLI::App& app, CommandContext& ctx);  // batch inference
void AddFeaturesCommands(CLI::App& app, CommandContext& ctx);  // the feature store
void AddDatasetsCommands(CLI::App& app, CommandContext& ctx);  // saved training sets
// baselines, monitors, alerts, retrain-requests, feedback
void AddMonitoringCommands(CLI::App& app, CommandContext& ctx);
void AddDriftCommand(CLI::App& app, CommandContext& ctx);  // runs locally: no server needed
// features materialize|materialize-incremental|materializations|push|online; adds to the
// `features` group when it exists, so call it after the group's other commands are added.
void AddOnlineFeatureCommands(CLI::App& app, CommandContext& ctx);

}  // namespace plinth::cli

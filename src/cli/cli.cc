#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/app.h"
#include "cli/command_context.h"
#include "cli/commands.h"
#include "cli/errors.h"

namespace plinth::cli {

namespace {

constexpr char kFooter[] =
    "Client commands find the server with --url, env PLINTH_URL, or DATA_DIR/server.port, and\n"
    "authenticate with --token, env PLINTH_TOKEN, or DATA_DIR/admin.token. Global options may\n"
    "come before or after the command. Exit codes: 0 ok, 1 failure, 2 usage error.";

void AddGlobalOptions(CLI::App& app, GlobalOptions& options) {
  app.add_option(
      "--url", options.url,
      "server URL, http://HOST:PORT (env PLINTH_URL; default from DATA_DIR/server.port)");
  app.add_option("--token", options.token,
                 "API token (env PLINTH_TOKEN; default DATA_DIR/admin.token)");
  app.add_option("--data-dir", options.data_dir,
                 "the server's data directory (env PLINTH_DATA_DIR; default plinth-data)");
  app.add_flag("--json", options.json, "print JSON as the server answers it");
  app.add_option("--timeout", options.timeout_seconds, "seconds to wait on the server")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
}

// CLI11's "A subcommand is required" does not say which; name the command and its choices.
std::string UsageMessage(const CLI::App& app, const CLI::ParseError& error) {
  const std::string what = error.what();
  if (what != "A subcommand is required") return what;
  const CLI::App* current = &app;
  std::string path;  // "" for the root, else "runs" or "runs search"
  while (!current->get_subcommands().empty()) {
    current = current->get_subcommands().front();
    path += (path.empty() ? "" : " ") + current->get_name();
  }
  std::string choices;
  for (const CLI::App* sub : current->get_subcommands([](const CLI::App*) { return true; })) {
    if (!choices.empty()) choices += ", ";
    choices += sub->get_name();
  }
  // A misspelt command is left over as an extra argument (of this command or, through
  // fallthrough, of the root).
  for (const CLI::App* app_with_extras : {current, &app}) {
    for (const std::string& extra : app_with_extras->remaining()) {
      if (!extra.empty() && extra.front() != '-') {
        std::string full = path.empty() ? extra : path + " " + extra;
        return "unknown command '" + full + "'; the commands are " + choices;
      }
    }
  }
  if (path.empty()) return "a command is required: " + choices;
  return path + " needs a command: " + choices;
}

}  // namespace

int RunCommandLine(const std::vector<std::string>& args, const ServerMain& server_main,
                   const EnvLookup& env, std::ostream& out, std::ostream& err) {
  CommandContext ctx(env, out);
  CLI::App app{"plinth: a self-hosted MLOps platform in one binary", "plinth"};
  // Before adding subcommands, which inherit it: options of the root (--json, --url, ...) are
  // accepted after a subcommand too.
  app.fallthrough();
  app.require_subcommand(1);
  app.footer(kFooter);
  AddGlobalOptions(app, ctx.options());
  AddServerCommand(app, ctx, server_main);
  AddExperimentsCommands(app, ctx);
  AddRunsCommands(app, ctx);
  AddModelsCommands(app, ctx);
  AddVersionsCommands(app, ctx);
  AddAliasesCommands(app, ctx);
  AddTokensCommands(app, ctx);
  AddAuditCommands(app, ctx);
  AddEndpointsCommands(app, ctx);
  AddRolloutsCommands(app, ctx);
  AddPredictCommand(app, ctx);
  AddDriftCommand(app, ctx);
  AddFeaturesCommands(app, ctx);
  AddDatasetsCommands(app, ctx);
  AddMonitoringCommands(app, ctx);
  AddOnlineFeatureCommands(app, ctx);

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e, out, err);  // --help
    err << "plinth: " << UsageMessage(app, e) << "\n";
    return kExitUsage;
  }
  if (!ctx.action()) {
    err << "plinth: no command given\n";
    return kExitUsage;
  }

  Status status;
  try {
    status = ctx.action()();
  } catch (const std::exception& e) {
    // Library exceptions (e.g. a server answer of an unexpected shape) end here as one line.
    status = Internal(std::string("unexpected error: ") + e.what());
  }
  out.flush();
  if (!status.ok()) {
    err << "plinth: " << status.message() << "\n";
    return ExitCodeFor(status);
  }
  return ctx.exit_code();
}

int Run(int argc, char** argv, const ServerMain& server_main) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  return RunCommandLine(args, server_main, ProcessEnv(), std::cout, std::cerr);
}

}  // namespace plinth::cli

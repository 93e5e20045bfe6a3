// `plinth server`: parses the server's options and hands them to the ServerMain from main.cc.

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands.h"

namespace plinth::cli {

void AddServerCommand(CLI::App& app, CommandContext& ctx, const ServerMain& server_main) {
  auto options = std::make_shared<ServerOptions>();
  CLI::App* cmd = app.add_subcommand(
      "server", "Run the plinth server (data in --data-dir, default plinth-data)");
  cmd->add_option("--host", options->host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "port to listen on; 0 lets the OS pick")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", options->max_body_bytes, "larger request bodies get 413")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "request-handling threads")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--request-timeout", options->request_timeout_seconds,
                  "seconds to read one whole request")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--idle-timeout", options->idle_timeout_seconds,
                  "seconds a keep-alive connection may wait for its next request")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--metrics-open", options->metrics_open, "serve /metrics without a token");

  OnRun(cmd, ctx, [&ctx, options, server_main]() -> Status {
    // --data-dir is a global option, shared with the client commands (which read server.port
    // and admin.token from it).
    ServerOptions resolved = *options;
    resolved.data_dir = ctx.DataDir();
    if (!server_main) return FailedPrecondition("this build has no server");
    ctx.set_exit_code(server_main(resolved));
    return Status::Ok();
  });
}

}  // namespace plinth::cli

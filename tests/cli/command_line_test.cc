// The command line as a whole, in-process: parsing, exit codes, and the one-line errors. None of
// these tests needs a running server.

#include <gtest/gtest.h>

#include <sstream>

#include "cli/app.h"
#include "cli/errors.h"

namespace plinth::cli {
namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

EnvLookup NoEnv() {
  return [](const std::string&) { return std::optional<std::string>(); };
}

Outcome RunArgs(const std::vector<std::string>& args, const ServerMain& server = nullptr,
                const EnvLookup& env = NoEnv()) {
  std::ostringstream out, err;
  int code = RunCommandLine(args, server, env, out, err);
  return {code, out.str(), err.str()};
}

TEST(CommandLine, ServerFillsOptionsFromFlags) {
  ServerOptions seen;
  auto server = [&](const ServerOptions& o) {
    seen = o;
    return 0;
  };
  Outcome r = RunArgs(
      {"server", "--data-dir", "/tmp/d", "--host", "0.0.0.0", "--port", "0", "--max-body-bytes",
       "1024", "--threads", "4", "--request-timeout", "7", "--idle-timeout", "9", "--metrics-open"},
      server);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(seen.data_dir, "/tmp/d");
  EXPECT_EQ(seen.host, "0.0.0.0");
  EXPECT_EQ(seen.port, 0);
  EXPECT_EQ(seen.max_body_bytes, 1024u);
  EXPECT_EQ(seen.threads, 4);
  EXPECT_EQ(seen.request_timeout_seconds, 7);
  EXPECT_EQ(seen.idle_timeout_seconds, 9);
  EXPECT_TRUE(seen.metrics_open);
}

TEST(CommandLine, ServerTakesDataDirFromEnvAndReturnsItsExitCode) {
  ServerOptions seen;
  auto server = [&](const ServerOptions& o) {
    seen = o;
    return 3;
  };
  EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "PLINTH_DATA_DIR") return "/srv/plinth";
    return std::nullopt;
  };
  Outcome r = RunArgs({"server"}, server, env);
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(seen.data_dir, "/srv/plinth");
  EXPECT_EQ(seen.port, 8080);
}

TEST(CommandLine, ServerRejectsBadPortAsUsageError) {
  Outcome r = RunArgs({"server", "--port", "70000"}, [](const ServerOptions&) { return 0; });
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err.rfind("plinth: ", 0), 0u);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(CommandLine, MissingSubcommandNamesTheChoices) {
  Outcome r = RunArgs({"experiments"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err, "plinth: experiments needs a command: create, list, get\n");
}

TEST(CommandLine, UnknownCommandIsNamed) {
  Outcome r = RunArgs({"experiments", "crate", "x"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err,
            "plinth: unknown command 'experiments crate'; the commands are create, list, get\n");
  Outcome top = RunArgs({"bogus"});
  EXPECT_EQ(top.code, kExitUsage);
  EXPECT_EQ(top.err.rfind("plinth: unknown command 'bogus'; the commands are server, ", 0), 0u);
}

TEST(CommandLine, MissingPositionalIsUsageError) {
  Outcome r = RunArgs({"runs", "get"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err, "plinth: RUN is required\n");
}

TEST(CommandLine, BadTagFailsBeforeContactingAnyServer) {
  // Port 1 refuses connections: had the command connected, it would exit 1, not 2.
  Outcome r =
      RunArgs({"experiments", "create", "churn", "--tag", "oops", "--url", "http://127.0.0.1:1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err, "plinth: bad --tag 'oops': expected KEY=VALUE\n");
}

TEST(CommandLine, MetricValueMustBeANumber) {
  Outcome r = RunArgs({"--url", "http://127.0.0.1:1", "runs", "log-metric", "r1", "rmse", "low"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err, "plinth: VALUE must be a number, not 'low'\n");
}

TEST(CommandLine, RegisterNeedsExactlyOneSource) {
  Outcome none = RunArgs({"versions", "register", "m", "--flavor", "xgboost"});
  EXPECT_EQ(none.code, kExitUsage);
  EXPECT_EQ(none.err, "plinth: give either --run and --artifact-path, or --file\n");
  Outcome half = RunArgs({"versions", "register", "m", "--flavor", "xgboost", "--run", "r"});
  EXPECT_EQ(half.code, kExitUsage);
  Outcome missing_file =
      RunArgs({"versions", "register", "m", "--flavor", "x", "--file", "/nonexistent/model"});
  EXPECT_EQ(missing_file.code, kExitUsage);
  EXPECT_EQ(missing_file.err,
            "plinth: cannot read '/nonexistent/model': No such file or directory\n");
}

TEST(CommandLine, ConnectionRefusedIsOneLineAndExitOne) {
  Outcome r = RunArgs({"whoami", "--url", "http://127.0.0.1:1", "--json"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.err, "plinth: cannot reach http://127.0.0.1:1: Connection refused\n");
  EXPECT_EQ(r.out, "");
}

TEST(CommandLine, NoServerUrlAnywhereExplainsWhere) {
  Outcome r = RunArgs({"--data-dir", "/nonexistent-plinth-dir", "models", "list"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("/nonexistent-plinth-dir/server.port"), std::string::npos) << r.err;
}

TEST(CommandLine, HelpGoesToStdoutWithExitZero) {
  Outcome r = RunArgs({"runs", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("log-metric"), std::string::npos);
}

TEST(ExitCodeFor, TellsServerErrorsFromUsageErrors) {
  Status server = ServerError("invalid_argument", "'name' is required", R"({"code":"x"})");
  EXPECT_EQ(server.message(), "invalid_argument: 'name' is required");
  EXPECT_EQ(server.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ExitCodeFor(server), kExitFailure);
  EXPECT_EQ(ExitCodeFor(UsageError("bad")), kExitUsage);
  EXPECT_EQ(ExitCodeFor(Unavailable("cannot reach")), kExitFailure);
  EXPECT_EQ(ExitCodeFor(Status::Ok()), kExitOk);
  EXPECT_EQ(StatusCodeFromName("method_not_allowed"), StatusCode::kInternal);
  EXPECT_EQ(StatusCodeFromName("not_found"), StatusCode::kNotFound);
}

}  // namespace
}  // namespace plinth::cli

#pragma once
// What every client command shares: the global options, a lazily connected ApiClient, and
// printing in the chosen output mode (readable text, or --json).

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_client.h"
#include "cli/connection.h"
#include "cli/output.h"
#include "common/status.h"

namespace CLI {
class App;
}

namespace plinth::cli {

// Options valid before or after any subcommand. Empty strings: not given.
struct GlobalOptions {
  std::string url;
  std::string token;
  std::string data_dir;
  bool json = false;
  int timeout_seconds = 60;
};

class CommandContext {
 public:
  CommandContext(EnvLookup env, std::ostream& out);
  ~CommandContext();

  GlobalOptions& options() { return options_; }
  const EnvLookup& env() const { return env_; }
  std::ostream& out() { return out_; }
  bool json() const { return options_.json; }

  // DATA_DIR: --data-dir, env PLINTH_DATA_DIR, else the default (see connection.h).
  std::string DataDir() const;

  // The API client. Connection settings are resolved on the first call, so commands parse and
  // check their own arguments before anything can fail for want of a server.
  Result<ApiClient*> Api();

  // One object: FormatObject, or with --json the object itself (indented).
  void PrintObject(const nlohmann::json& object);
  // A list: a table of `columns`, or with --json the items as one JSON array.
  void PrintList(const nlohmann::json& items, const std::vector<Column>& columns);
  // A line for people; nothing with --json.
  void PrintNote(const std::string& line);

  // The chosen command's work, run after the whole command line parsed.
  void SetAction(std::function<Status()> action) { action_ = std::move(action); }
  const std::function<Status()>& action() const { return action_; }

  // A command that reports its own verdict (audit verify) sets a non-zero exit code here instead
  // of returning an error.
  void set_exit_code(int code) { exit_code_ = code; }
  int exit_code() const { return exit_code_; }

 private:
  GlobalOptions options_;
  EnvLookup env_;
  std::ostream& out_;
  std::unique_ptr<ApiClient> api_;
  std::function<Status()> action_;
  int exit_code_ = 0;
};

// Makes `command` run `action` (through ctx.SetAction) when it is the subcommand chosen.
void OnRun(CLI::App* command, CommandContext& ctx, std::function<Status()> action);

// An option that may be given many times, one value each time ("--tag a=1 --tag b=2").
void AddRepeatedOption(CLI::App* command, const std::string& name, std::vector<std::string>* values,
                       const std::string& help);

// "--limit N": how many items a list command shows at most (0, the default: all).
void AddLimitOption(CLI::App* command, int64_t* limit);

// Calls the API and prints the object it answers.
Status CallAndPrint(CommandContext& ctx, std::string_view method, std::string_view target,
                    const nlohmann::json& body = nullptr);

// Collects every page of a list endpoint (up to `limit`) and prints the items.
Status ListAndPrint(CommandContext& ctx, const std::string& path, QueryParams query, int64_t limit,
                    const std::vector<Column>& columns);

}  // namespace plinth::cli

#include "cli/command_context.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <ostream>

namespace plinth::cli {

CommandContext::CommandContext(EnvLookup env, std::ostream& out)
    : env_(std::move(env)), out_(out) {}

CommandContext::~CommandContext() = default;

std::string CommandContext::DataDir() const {
  return ResolveDataDir(
      options_.data_dir.empty() ? std::nullopt : std::optional<std::string>(options_.data_dir),
      env_);
}

Result<ApiClient*> CommandContext::Api() {
  if (api_) return api_.get();
  ConnectionFlags flags;
  if (!options_.url.empty()) flags.url = options_.url;
  if (!options_.token.empty()) flags.token = options_.token;
  if (!options_.data_dir.empty()) flags.data_dir = options_.data_dir;
  auto settings = ResolveConnection(flags, env_);
  if (!settings.ok()) return settings.status();
  auto http = HttpClient::Create(settings->url, std::chrono::seconds(options_.timeout_seconds));
  if (!http.ok()) return http.status();
  api_ = std::make_unique<ApiClient>(std::move(http).value(), settings->token);
  return api_.get();
}

void CommandContext::PrintObject(const nlohmann::json& object) {
  if (json()) {
    out_ << object.dump(2) << "\n";
  } else {
    out_ << FormatObject(object);
  }
}

void CommandContext::PrintList(const nlohmann::json& items, const std::vector<Column>& columns) {
  if (json()) {
    out_ << items.dump(2) << "\n";
  } else {
    out_ << FormatList(columns, items);
  }
}

void CommandContext::PrintNote(const std::string& line) {
  if (!json()) out_ << line << "\n";
}

void OnRun(CLI::App* command, CommandContext& ctx, std::function<Status()> action) {
  command->callback([&ctx, action = std::move(action)] { ctx.SetAction(action); });
}

void AddRepeatedOption(CLI::App* command, const std::string& name, std::vector<std::string>* values,
                       const std::string& help) {
  // allow_extra_args(false): each occurrence takes one value, so a repeated option never
  // swallows the positional arguments after it.
  command->add_option(name, *values, help)->allow_extra_args(false);
}

void AddLimitOption(CLI::App* command, int64_t* limit) {
  command->add_option("--limit", *limit, "show at most N items (default: all)")
      ->check(CLI::NonNegativeNumber);
}

Status CallAndPrint(CommandContext& ctx, std::string_view method, std::string_view target,
                    const nlohmann::json& body) {
  ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
  ASSIGN_OR_RETURN(nlohmann::json answer, api->Call(method, target, body));
  ctx.PrintObject(answer);
  return Status::Ok();
}

Status ListAndPrint(CommandContext& ctx, const std::string& path, QueryParams query, int64_t limit,
                    const std::vector<Column>& columns) {
  ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
  ASSIGN_OR_RETURN(nlohmann::json items, api->ListAll(path, std::move(query), limit));
  ctx.PrintList(items, columns);
  return Status::Ok();
}

}  // namespace plinth::cli

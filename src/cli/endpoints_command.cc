// `plinth endpoints create|update|list|get|delete`: serving endpoints (/api/v1/endpoints).

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/args.h"
#include "cli/commands.h"

namespace plinth::cli {

namespace {

// "NAME=MODEL:VERSION[=WEIGHT]" or "NAME=MODEL@ALIAS[=WEIGHT]".
Result<nlohmann::json> ParseVariant(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgument("bad --variant '" + text +
                           "': expected NAME=MODEL:VERSION or NAME=MODEL@ALIAS, then =WEIGHT");
  }
  std::string rest = text.substr(eq + 1);
  std::optional<double> weight;
  size_t weq = rest.find('=');
  if (weq != std::string::npos) {
    ASSIGN_OR_RETURN(double w, ParseNumber(rest.substr(weq + 1), "--variant weight"));
    weight = w;
    rest = rest.substr(0, weq);
  }
  ASSIGN_OR_RETURN(nlohmann::json v, ParseModelRef(rest, "--variant"));
  v["name"] = text.substr(0, eq);
  if (weight) v["weight"] = *weight;
  return v;
}

struct SpecArgs {
  std::string name, shadow;
  std::vector<std::string> variants;
  double capture = -1;
  std::vector<std::string> features;  // online feature refs
  std::string entity_key;
};

void AddSpecOptions(CLI::App* cmd, SpecArgs* args) {
  cmd->add_option("NAME", args->name, "endpoint name")->required();
  AddRepeatedOption(cmd, "--variant", &args->variants,
                    "NAME=MODEL:VERSION[=WEIGHT] or NAME=MODEL@ALIAS[=WEIGHT] (repeatable)");
  cmd->add_option("--shadow", args->shadow, "MODEL:VERSION or MODEL@ALIAS: gets a copy of the traffic");
  cmd->add_option("--capture", args->capture, "share of requests to capture, 0 to 1");
  AddRepeatedOption(cmd, "--feature", &args->features,
                    "VIEW:FEATURE read from the online store for each instance (repeatable)");
  cmd->add_option("--entity-key", args->entity_key, "the join key instances carry (with --feature)");
}

Result<nlohmann::json> SpecBody(const SpecArgs& args) {
  if (args.variants.empty()) return InvalidArgument("give at least one --variant");
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& v : args.variants) {
    ASSIGN_OR_RETURN(nlohmann::json variant, ParseVariant(v));
    variants.push_back(std::move(variant));
  }
  nlohmann::json body = {{"variants", variants}};
  if (!args.shadow.empty()) {
    ASSIGN_OR_RETURN(body["shadow"], ParseModelRef(args.shadow, "--shadow"));
  }
  if (args.capture >= 0) body["capture"] = {{"sample_rate", args.capture}};
  if (!args.features.empty() || !args.entity_key.empty()) {
    if (args.features.empty() || args.entity_key.empty()) {
      return InvalidArgument("--feature and --entity-key go together");
    }
    body["features"] = {{"refs", args.features}, {"entity_key", args.entity_key}};
  }
  return body;
}

}  // namespace

void AddEndpointsCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("endpoints", "Serving endpoints");
  group->require_subcommand(1);
  {
    auto args = std::make_shared<SpecArgs>();
    CLI::App* cmd = group->add_subcommand("create", "Deploy approved model versions on an endpoint");
    AddSpecOptions(cmd, args.get());
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      ASSIGN_OR_RETURN(nlohmann::json body, SpecBody(*args));
      body["name"] = args->name;
      return CallAndPrint(ctx, "POST", "/api/v1/endpoints", body);
    });
  }
  {
    auto args = std::make_shared<SpecArgs>();
    CLI::App* cmd = group->add_subcommand("update", "Replace an endpoint's variants (a hot swap)");
    AddSpecOptions(cmd, args.get());
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      ASSIGN_OR_RETURN(nlohmann::json body, SpecBody(*args));
      return CallAndPrint(ctx, "PUT", "/api/v1/endpoints/" + EncodeSegment(args->name), body);
    });
  }
  {
    auto limit = std::make_shared<int64_t>(0);
    CLI::App* cmd = group->add_subcommand("list", "List endpoints");
    AddLimitOption(cmd, limit.get());
    OnRun(cmd, ctx, [&ctx, limit]() -> Status {
      return ListAndPrint(ctx, "/api/v1/endpoints", {}, *limit,
                          {FieldColumn("NAME", "name"), FieldColumn("READY", "ready"),
                           FieldColumn("VARIANTS", "variants"), FieldColumn("UPDATED", "updated_ms")});
    });
  }
  for (const char* verb : {"get", "delete"}) {
    auto name = std::make_shared<std::string>();
    bool del = std::string(verb) == "delete";
    CLI::App* cmd = group->add_subcommand(verb, del ? "Delete an endpoint" : "Show one endpoint");
    cmd->add_option("NAME", *name, "endpoint name")->required();
    OnRun(cmd, ctx, [&ctx, name, del]() -> Status {
      return CallAndPrint(ctx, del ? "DELETE" : "GET", "/api/v1/endpoints/" + EncodeSegment(*name));
    });
  }
}

}  // namespace plinth::cli

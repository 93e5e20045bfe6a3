// `plinth versions ...`: model versions, their approval and their files
// (/api/v1/models/{name}/versions, /api/v1/uploads).

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/errors.h"
#include "cli/local_files.h"
#include "common/sha256.h"

namespace plinth::cli {

namespace {

using Json = nlohmann::json;

std::string VersionsPath(const std::string& model) {
  return "/api/v1/models/" + EncodeSegment(model) + "/versions";
}

std::string VersionPath(const std::string& model, int64_t version) {
  return VersionsPath(model) + "/" + std::to_string(version);
}

Column RunColumn() {
  return Column{"RUN", [](const Json& version) -> std::string {
                  const Json lineage = version.value("lineage", Json::object());
                  return lineage.is_object() ? FormatScalar(lineage.value("run_id", Json())) : "-";
                }};
}

void AddRegister(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string model, flavor, run, artifact_path, file, data_version, signature, description;
    std::vector<std::string> metrics, params;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand(
      "register", "Register a new version from a run's artifact or a local file");
  cmd->add_option("MODEL", args->model, "model name (created if new)")->required();
  cmd->add_option("--flavor", args->flavor, "model format, e.g. xgboost")->required();
  cmd->add_option("--run", args->run, "run id whose artifact is the model");
  cmd->add_option("--artifact-path", args->artifact_path, "the artifact's path in that run");
  cmd->add_option("--file", args->file, "a local model file to upload instead");
  AddRepeatedOption(cmd, "--metric", &args->metrics, "KEY=NUMBER (repeatable)");
  AddRepeatedOption(cmd, "--param", &args->params, "KEY=VALUE (repeatable)");
  cmd->add_option("--data-version", args->data_version, "version of the training data");
  cmd->add_option("--signature", args->signature,
                  "inputs as NAME:TYPE,... "
                  "(types float, double, int, bool, string)");
  cmd->add_option("--description", args->description, "what changed in this version");
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    bool from_run = !args->run.empty() || !args->artifact_path.empty();
    if (from_run == !args->file.empty()) {
      return UsageError("give either --run and --artifact-path, or --file");
    }
    if (from_run && (args->run.empty() || args->artifact_path.empty())) {
      return UsageError("--run and --artifact-path go together");
    }
    Json body = {{"flavor", args->flavor}};
    ASSIGN_OR_RETURN(Json metrics, ParseNumberMap(args->metrics, "--metric"));
    ASSIGN_OR_RETURN(auto params, ParseKeyValues(args->params, "--param"));
    if (!metrics.empty()) body["metrics"] = metrics;
    if (!params.empty()) body["params"] = params;
    if (!args->signature.empty()) {
      ASSIGN_OR_RETURN(body["signature"], ParseSignature(args->signature));
    }
    if (!args->data_version.empty()) body["data_version"] = args->data_version;
    if (!args->description.empty()) body["description"] = args->description;
    std::string bytes;
    if (!from_run) {
      ASSIGN_OR_RETURN(bytes, ReadLocalFile(args->file));
    }

    ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
    if (from_run) {
      body["run_id"] = args->run;
      body["artifact_path"] = args->artifact_path;
    } else {
      ASSIGN_OR_RETURN(Json upload, api->SendBytes("POST", "/api/v1/uploads", bytes));
      std::string local_sha = Sha256Hex(bytes);
      if (upload.value("sha256", "") != local_sha) {
        return Internal("the server stored sha256 '" + upload.value("sha256", "") + "' but " +
                        args->file + " has " + local_sha);
      }
      body["upload_sha256"] = local_sha;
    }
    ASSIGN_OR_RETURN(Json version, api->Call("POST", VersionsPath(args->model), body));
    ctx.PrintObject(version);
    return Status::Ok();
  });
}

void AddDecision(CLI::App* group, CommandContext& ctx, const std::string& action,
                 const std::string& help) {
  struct Args {
    std::string model, comment;
    int64_t version = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand(action, help);
  cmd->add_option("MODEL", args->model, "model name")->required();
  cmd->add_option("VERSION", args->version, "version number")->required();
  cmd->add_option("--comment", args->comment, "why");
  OnRun(cmd, ctx, [&ctx, args, action]() -> Status {
    Json body = Json::object();
    if (!args->comment.empty()) body["comment"] = args->comment;
    return CallAndPrint(ctx, "POST", VersionPath(args->model, args->version) + "/" + action, body);
  });
}

void AddDownload(CLI::App* group, CommandContext& ctx) {
  struct Args {
    std::string model, out_file;
    int64_t version = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("download", "Save a version's model file");
  cmd->add_option("MODEL", args->model, "model name")->required();
  cmd->add_option("VERSION", args->version, "version number")->required();
  cmd->add_option("OUT_FILE", args->out_file, "where to write it; - for stdout")->required();
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
    const std::string path = VersionPath(args->model, args->version);
    ASSIGN_OR_RETURN(Json version, api->Call("GET", path));
    ASSIGN_OR_RETURN(std::string bytes, api->Download(path + "/artifact"));
    std::string expected = version.value("artifact_sha256", "");
    std::string got = Sha256Hex(bytes);
    if (!expected.empty() && expected != got) {
      return Internal("downloaded file has sha256 " + got + " but the version records " + expected);
    }
    RETURN_IF_ERROR(WriteLocalFile(args->out_file, bytes));
    if (args->out_file != "-") {
      ctx.PrintNote("wrote " + std::to_string(bytes.size()) + " bytes to " + args->out_file +
                    " (sha256 " + got + ")");
    }
    return Status::Ok();
  });
}

}  // namespace

void AddVersionsCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("versions", "Model versions: register, approve, download");
  group->require_subcommand(1);
  AddRegister(group, ctx);
  {
    struct Args {
      std::string model;
      int64_t limit = 0;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("list", "List a model's versions, oldest first");
    cmd->add_option("MODEL", args->model, "model name")->required();
    AddLimitOption(cmd, &args->limit);
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      return ListAndPrint(ctx, VersionsPath(args->model), {}, args->limit,
                          {FieldColumn("VERSION", "version"), FieldColumn("STATUS", "status"),
                           FieldColumn("FLAVOR", "flavor"), FieldColumn("CREATED", "created_ms"),
                           FieldColumn("CREATED_BY", "created_by"), RunColumn(),
                           FieldColumn("METRICS", "metrics")});
    });
  }
  {
    struct Args {
      std::string model;
      int64_t version = 0;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("get", "Show one version with its lineage");
    cmd->add_option("MODEL", args->model, "model name")->required();
    cmd->add_option("VERSION", args->version, "version number")->required();
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      return CallAndPrint(ctx, "GET", VersionPath(args->model, args->version));
    });
  }
  AddDecision(group, ctx, "approve", "Approve a pending version (approver role)");
  AddDecision(group, ctx, "reject", "Reject a pending version (approver role)");
  AddDownload(group, ctx);
}

}  // namespace plinth::cli

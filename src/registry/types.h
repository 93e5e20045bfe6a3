#pragma once
// The objects of the model registry: registered models, their numbered versions with an
// approval status (SageMaker's workflow) and lineage, and aliases (MLflow's) whose every move is
// kept.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace plinth::registry {

using StringMap = std::map<std::string, std::string>;

enum class ApprovalStatus { kPending, kApproved, kRejected };
const char* ApprovalStatusName(ApprovalStatus s);  // "PendingManualApproval", ...

struct SignatureField {
  std::string name;
  std::string type;  // float, double, int, bool, string
};

struct Model {
  std::string name;
  std::string description;
  StringMap tags;
  int64_t created_ms = 0;
  std::string created_by;
  std::optional<int64_t> latest_version;
  std::map<std::string, int64_t> aliases;  // current alias -> version
};

// Where a version came from: the run that produced it (empty for a direct upload).
struct Lineage {
  std::optional<std::string> run_id;
  std::optional<std::string> experiment_id;
  std::optional<std::string> artifact_path;
  StringMap run_params;
};

struct ModelVersion {
  std::string model;
  int64_t version = 0;
  ApprovalStatus status = ApprovalStatus::kPending;
  std::string flavor;
  std::string description;
  std::string artifact_sha256;
  int64_t artifact_size = 0;
  std::map<std::string, double> metrics;
  StringMap params;
  std::optional<std::string> data_version;
  std::vector<SignatureField> signature;
  std::string created_by;
  std::string created_token_id;  // separation of duties: this token may not decide
  int64_t created_ms = 0;
  std::optional<std::string> decided_by;
  std::optional<int64_t> decided_ms;
  std::optional<std::string> decision_comment;
  Lineage lineage;
};

// A registration request: exactly one of (run_id + artifact_path) or upload_sha256.
struct NewVersion {
  std::string model;
  std::optional<std::string> run_id;
  std::optional<std::string> artifact_path;
  std::optional<std::string> upload_sha256;
  std::string flavor;
  std::string description;
  std::map<std::string, double> metrics;
  StringMap params;
  std::optional<std::string> data_version;
  std::vector<SignatureField> signature;
};

struct AliasMove {
  std::string model;
  std::string alias;
  int64_t version = 0;
  int64_t set_ms = 0;
  std::string set_by;
};

}  // namespace plinth::registry

#include "cli/errors.h"

#include <utility>

namespace plinth::cli {

Status UsageError(std::string message) { return InvalidArgument(std::move(message)); }

Status ServerError(std::string_view code, std::string_view message, std::string error_json) {
  Status status(StatusCodeFromName(code), std::string(code) + ": " + std::string(message));
  status.WithDetails(error_json.empty() ? std::string("{}") : std::move(error_json));
  return status;
}

StatusCode StatusCodeFromName(std::string_view code) {
  static constexpr StatusCode kCodes[] = {
      StatusCode::kInvalidArgument,    StatusCode::kUnauthenticated,
      StatusCode::kPermissionDenied,   StatusCode::kNotFound,
      StatusCode::kAlreadyExists,      StatusCode::kConflict,
      StatusCode::kPayloadTooLarge,    StatusCode::kUnsupportedMediaType,
      StatusCode::kFailedPrecondition, StatusCode::kResourceExhausted,
      StatusCode::kInternal,           StatusCode::kUnavailable,
  };
  for (StatusCode c : kCodes) {
    if (code == StatusCodeName(c)) return c;
  }
  return StatusCode::kInternal;
}

bool IsServerError(const Status& status) { return !status.ok() && !status.details_json().empty(); }

int ExitCodeFor(const Status& status) {
  if (status.ok()) return kExitOk;
  if (!IsServerError(status) && status.code() == StatusCode::kInvalidArgument) return kExitUsage;
  return kExitFailure;
}

}  // namespace plinth::cli

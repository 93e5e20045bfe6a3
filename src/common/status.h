#pragma once
// Status and Result<T>: the one error type of plinth.
//
// A Status is OK or carries a code and one readable sentence. Codes map one to one onto the HTTP
// statuses of the API conventions (see http/status_mapping). Library exceptions are caught at the
// adapter that calls the library and turned into a Status; nothing in plinth throws across a
// subsystem boundary.

#include <optional>
#include <string>
#include <utility>

namespace plinth {

enum class StatusCode {
  kOk,
  kInvalidArgument,     // 400: the caller sent something malformed
  kUnauthenticated,     // 401: no token, or a token we do not know
  kPermissionDenied,    // 403: the token's role or identity may not do this
  kNotFound,            // 404
  kAlreadyExists,       // 409: a name or id is taken
  kConflict,            // 409: the object's state does not allow this
  kPayloadTooLarge,     // 413
  kUnsupportedMediaType,// 415
  kFailedPrecondition,  // 422: well-formed, but a rule about other objects forbids it
  kResourceExhausted,   // 429
  kInternal,            // 500: our fault, or corrupted data
  kUnavailable,         // 503
};

// The API's snake_case name of a code ("invalid_argument").
const char* StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Optional machine-readable details, as a serialized JSON object (kept as text so that this
  // header stays light). Empty when there are none.
  const std::string& details_json() const { return details_json_; }
  Status& WithDetails(std::string details_json) {
    details_json_ = std::move(details_json);
    return *this;
  }

  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string details_json_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
inline Status PayloadTooLarge(std::string m) { return {StatusCode::kPayloadTooLarge, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}   // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace plinth

#define PLINTH_CONCAT_INNER(a, b) a##b
#define PLINTH_CONCAT(a, b) PLINTH_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::plinth::Status _st = (expr);             \
    if (!_st.ok()) return _st;                 \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(auto x, Compute()); declares x from a Result or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(PLINTH_CONCAT(_result_, __LINE__), lhs, expr)

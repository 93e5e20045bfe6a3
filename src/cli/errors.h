#pragma once
// How a client command fails, and which exit code each failure gets.
//
// Commands return plinth::Status. Three kinds of failure reach the user, each as one line
// "plinth: <Status::message()>" on stderr:
//   - usage errors, found by the CLI itself before or without talking to a server (bad k=v,
//     unreadable local file, bad option values): InvalidArgument with no details; exit 2;
//   - server errors (any non-2xx answer): the server's code mapped onto StatusCode, a message
//     "<server code>: <server message>", and details_json holding the server's error object
//     (never empty, which is how they are told apart from usage errors); exit 1;
//   - everything else (cannot connect, timeouts, local write failures): exit 1.

#include <string>
#include <string_view>

#include "common/status.h"

namespace plinth::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// A usage error: exit code 2.
Status UsageError(std::string message);

// A server error built from its HTTP status and error object parts. `error_json` is the serialized
// {"code", "message", ...} object (or a stand-in when the body was not one); it must be non-empty.
Status ServerError(std::string_view code, std::string_view message, std::string error_json);

// The StatusCode for one of the API's snake_case error codes; unknown codes map to kInternal.
StatusCode StatusCodeFromName(std::string_view code);

bool IsServerError(const Status& status);

// The process exit code for a command's result.
int ExitCodeFor(const Status& status);

}  // namespace plinth::cli

#pragma once
// Building responses: JSON bodies and the API's error shape.

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"
#include "http/request.h"

namespace plinth::http {

// The HTTP status for a Status code (400, 401, ...).
int HttpStatusFor(StatusCode code);

// {"error": {"code", "message", "details"?}} with the matching status (and
// WWW-Authenticate: Bearer for 401).
Response ErrorResponse(const Status& status);

Response JsonResponse(int status, const nlohmann::json& body);
Response NoContent();

}  // namespace plinth::http

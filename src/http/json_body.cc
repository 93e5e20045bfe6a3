#include "http/json_body.h"

namespace plinth::http {

Result<simdjson::dom::object> ParseBodyObject(std::string_view body) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size(), /*realloc_if_needed=*/true).get(doc)) {
    return InvalidArgument("request body is not valid JSON");
  }
  simdjson::dom::object root;
  if (doc.get_object().get(root)) return InvalidArgument("request body must be a JSON object");
  return root;
}

}  // namespace plinth::http

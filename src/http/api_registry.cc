// Routes: uploads, registered models, versions (approval), aliases.
#include "http/api.h"
#include "http/api_helpers.h"

namespace plinth::http {

using auth::Role;
using nlohmann::json;

namespace {

Result<std::map<std::string, double>> NumberMap(const Json& body, const char* field) {
  std::map<std::string, double> out;
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_object()) return InvalidArgument(std::string("'") + field + "' must be an object");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_number()) return InvalidArgument(std::string("'") + field + "." + k + "' must be a number");
    out[k] = v.get<double>();
  }
  return out;
}

Result<std::vector<registry::SignatureField>> ParseSignature(const Json& body) {
  std::vector<registry::SignatureField> out;
  auto it = body.find("signature");
  if (it == body.end() || it->is_null()) return out;
  const Json* inputs = &*it;
  if (it->is_object()) {
    auto in = it->find("inputs");
    if (in == it->end() || !in->is_array()) {
      return InvalidArgument("'signature.inputs' must be a list of {name, type}");
    }
    inputs = &*in;
  }
  if (!inputs->is_array()) return InvalidArgument("'signature' must be {\"inputs\": [{name, type}]}");
  for (size_t i = 0; i < inputs->size(); ++i) {
    const Json& f = (*inputs)[i];
    std::string where = "signature.inputs[" + std::to_string(i) + "]";
    if (!f.is_object()) return InvalidArgument(where + " must be an object");
    ASSIGN_OR_RETURN(std::string name, RequireString(f, "name"));
    ASSIGN_OR_RETURN(std::string type, RequireString(f, "type"));
    out.push_back({name, type});
  }
  return out;
}

Response Bytes(std::string bytes) {
  Response r;
  r.content_type = "application/octet-stream";
  r.body = std::move(bytes);
  return r;
}

}  // namespace

void AddRegistryRoutes(Router& router, service::PlinthService& service) {
  registry::ModelRegistry& reg = service.registry();

  router.Add("POST", "/api/v1/uploads", Role::kScientist, [&service](Request& req) {
    RESPOND_ASSIGN(auto info, service.Upload(req.principal, req.body));
    return JsonResponse(201, {{"sha256", info.sha256}, {"size", info.size}});
  });

  router.Add("POST", "/api/v1/models", Role::kScientist, [&reg](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    RESPOND_ASSIGN(std::string name, RequireString(body, "name"));
    RESPOND_ASSIGN(auto description, OptionalString(body, "description"));
    RESPOND_ASSIGN(auto tags, OptionalStringMap(body, "tags"));
    RESPOND_ASSIGN(auto model, reg.CreateModel(req.principal, name, description.value_or(""), tags));
    return JsonResponse(201, ToJson(model));
  });
  router.Add("GET", "/api/v1/models", Role::kViewer, [&reg](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto models, reg.ListModels(page));
    return ListResponse(models, page);
  });
  router.Add("GET", "/api/v1/models/{name}", Role::kViewer, [&reg](Request& req) {
    RESPOND_ASSIGN(auto model, reg.GetModel(req.Param("name")));
    return JsonResponse(200, ToJson(model));
  });

  router.Add("POST", "/api/v1/models/{name}/versions", Role::kScientist, [&reg](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    registry::NewVersion nv;
    nv.model = req.Param("name");
    RESPOND_ASSIGN(nv.run_id, OptionalString(body, "run_id"));
    RESPOND_ASSIGN(nv.artifact_path, OptionalString(body, "artifact_path"));
    RESPOND_ASSIGN(nv.upload_sha256, OptionalString(body, "upload_sha256"));
    RESPOND_ASSIGN(nv.flavor, RequireString(body, "flavor"));
    RESPOND_ASSIGN(auto description, OptionalString(body, "description"));
    nv.description = description.value_or("");
    RESPOND_ASSIGN(nv.metrics, NumberMap(body, "metrics"));
    RESPOND_ASSIGN(nv.params, OptionalStringMap(body, "params"));
    RESPOND_ASSIGN(nv.data_version, OptionalString(body, "data_version"));
    RESPOND_ASSIGN(nv.signature, ParseSignature(body));
    RESPOND_ASSIGN(auto version, reg.RegisterVersion(req.principal, nv));
    return JsonResponse(201, ToJson(version));
  });
  router.Add("GET", "/api/v1/models/{name}/versions", Role::kViewer, [&reg](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto versions, reg.ListVersions(req.Param("name"), page));
    return ListResponse(versions, page);
  });
  router.Add("GET", "/api/v1/models/{name}/versions/{v}", Role::kViewer, [&reg](Request& req) {
    RESPOND_ASSIGN(int64_t v, IntParam(req, "v"));
    RESPOND_ASSIGN(auto version, reg.GetVersion(req.Param("name"), v));
    return JsonResponse(200, ToJson(version));
  });
  router.Add("GET", "/api/v1/models/{name}/versions/{v}/artifact", Role::kViewer,
             [&reg](Request& req) {
               RESPOND_ASSIGN(int64_t v, IntParam(req, "v"));
               RESPOND_ASSIGN(std::string bytes, reg.ReadVersionArtifact(req.Param("name"), v));
               return Bytes(std::move(bytes));
             });
  for (bool approve : {true, false}) {
    router.Add("POST",
               std::string("/api/v1/models/{name}/versions/{v}/") + (approve ? "approve" : "reject"),
               Role::kApprover, [&reg, approve](Request& req) {
                 RESPOND_ASSIGN(int64_t v, IntParam(req, "v"));
                 std::string comment;
                 if (!req.body.empty()) {
                   RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
                   RESPOND_ASSIGN(auto c, OptionalString(body, "comment"));
                   comment = c.value_or("");
                 }
                 RESPOND_ASSIGN(auto version,
                                reg.Decide(req.principal, req.Param("name"), v, approve, comment));
                 return JsonResponse(200, ToJson(version));
               });
  }

  router.Add("PUT", "/api/v1/models/{name}/aliases/{alias}", Role::kApprover, [&reg](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    auto it = body.find("version");
    if (it == body.end() || !it->is_number_integer() || it->get<int64_t>() < 1) {
      return ErrorResponse(InvalidArgument("'version' must be a positive integer"));
    }
    RESPOND_ASSIGN(auto move, reg.SetAlias(req.principal, req.Param("name"), req.Param("alias"),
                                           it->get<int64_t>()));
    return JsonResponse(200, ToJson(move));
  });
  router.Add("GET", "/api/v1/models/{name}/aliases/{alias}", Role::kViewer, [&reg](Request& req) {
    std::optional<int64_t> at_ms;
    if (auto at = req.Query("at_ms")) {
      try {
        at_ms = std::stoll(std::string(*at));
      } catch (...) {
        return ErrorResponse(InvalidArgument("at_ms must be an integer (milliseconds)"));
      }
    }
    RESPOND_ASSIGN(auto move, reg.GetAlias(req.Param("name"), req.Param("alias"), at_ms));
    return JsonResponse(200, ToJson(move));
  });
  router.Add("GET", "/api/v1/models/{name}/aliases/{alias}/history", Role::kViewer,
             [&reg](Request& req) {
               RESPOND_ASSIGN(PageRequest page, PageOf(req));
               RESPOND_ASSIGN(auto moves,
                              reg.AliasHistory(req.Param("name"), req.Param("alias"), page));
               return ListResponse(moves, page);
             });
}

}  // namespace plinth::http

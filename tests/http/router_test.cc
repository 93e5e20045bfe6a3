#include "http/router.h"

#include <gtest/gtest.h>

namespace plinth::http {
namespace {

Router MakeRouter() {
  Router router([](const std::string& secret) -> Result<auth::Principal> {
    if (secret == "viewer") return auth::Principal{"t1", "v", auth::Role::kViewer};
    return Unauthenticated("bad token");
  });
  router.Add("GET", "/open", std::nullopt, [](Request&) { return Response{200, "text/plain", "open", {}}; });
  router.Add("GET", "/runs/{id}/artifacts/{path...}", auth::Role::kViewer, [](Request& r) {
    return Response{200, "text/plain", r.Param("id") + "|" + r.Param("path"), {}};
  });
  router.Add("POST", "/runs/{id}", auth::Role::kScientist, [](Request&) { return Response{}; });
  return router;
}

Response Call(const Router& router, std::string method, std::string path, std::string auth = "") {
  Request req;
  req.method = std::move(method);
  req.path = std::move(path);
  req.authorization = std::move(auth);
  return router.Dispatch(req);
}

TEST(Router, MatchesParametersAndDecodesTheRest) {
  Router router = MakeRouter();
  Response r = Call(router, "GET", "/runs/abc/artifacts/model/%2e%2e/x.json", "Bearer viewer");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "abc|model/../x.json");
}

TEST(Router, AuthenticatesThenChecksTheRole) {
  Router router = MakeRouter();
  EXPECT_EQ(Call(router, "GET", "/open").status, 200);
  Response none = Call(router, "GET", "/runs/a/artifacts/b");
  EXPECT_EQ(none.status, 401);
  ASSERT_FALSE(none.headers.empty());
  EXPECT_EQ(none.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(Call(router, "GET", "/runs/a/artifacts/b", "Bearer wrong").status, 401);
  EXPECT_EQ(Call(router, "POST", "/runs/a", "Bearer viewer").status, 403);
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405) {
  Router router = MakeRouter();
  EXPECT_EQ(Call(router, "GET", "/nothing/here").status, 404);
  EXPECT_EQ(Call(router, "DELETE", "/open").status, 405);
}

}  // namespace
}  // namespace plinth::http

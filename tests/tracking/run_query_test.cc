#include "tracking/run_query.h"

#include <gtest/gtest.h>

namespace plinth::tracking {
namespace {

TEST(RunQuery, CompilesTheIssueExample) {
  auto q = CompileRunQuery("metrics.rmse < 0.5 and params.max_depth = '6'", {});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_NE(q->where_sql.find("latest_metrics"), std::string::npos);
  EXPECT_NE(q->where_sql.find("run_params"), std::string::npos);
  ASSERT_EQ(q->where_params.size(), 4u);
  EXPECT_EQ(std::get<std::string>(q->where_params[0]), "rmse");
  EXPECT_EQ(std::get<double>(q->where_params[1]), 0.5);
  EXPECT_EQ(std::get<std::string>(q->where_params[3]), "6");
}

TEST(RunQuery, AcceptsAttributesQuotedKeysAndLike) {
  EXPECT_TRUE(CompileRunQuery("status = 'FINISHED' AND attributes.start_ms >= 0", {}).ok());
  EXPECT_TRUE(CompileRunQuery("metrics.`val loss` <= 1e-3", {}).ok());
  EXPECT_TRUE(CompileRunQuery("tags.team ILIKE 'fore%'", {}).ok());
  EXPECT_TRUE(CompileRunQuery("", {"metrics.rmse ASC", "params.lr desc", "start_ms"}).ok());
}

TEST(RunQuery, RejectsMalformedFilters) {
  for (const char* bad : {"metrics.rmse", "metrics.rmse <", "metrics.rmse < 'abc'",
                          "params.x < '3'", "foo = 1", "metrics.a < 1 or metrics.b < 2",
                          "params.x = 'unterminated", "metrics.rmse LIKE '%'"}) {
    auto q = CompileRunQuery(bad, {});
    EXPECT_FALSE(q.ok()) << bad;
    if (!q.ok()) {
      EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  EXPECT_FALSE(CompileRunQuery("", {"metrics.rmse sideways"}).ok());
}

}  // namespace
}  // namespace plinth::tracking

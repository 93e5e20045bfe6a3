#include "storage/sqlite/sqlite_connection.h"

#include <gtest/gtest.h>

#include <string>

#include "test_dir.h"

namespace plinth::storage {
namespace {

TEST(SqliteConnection, StatementsPastTheCapRunButAreNotKept) {
  plinth::testing::TestDir dir;
  auto conn = SqliteConnection::Open(dir.path() + "/t.db", /*read_only=*/false);
  ASSERT_TRUE(conn.ok()) << conn.status().message();
  SqliteConnection& c = **conn;
  ASSERT_TRUE(c.ExecScript("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)").ok());
  const size_t distinct = SqliteConnection::kMaxCachedStatements + 100;
  for (size_t i = 0; i < distinct; ++i) {
    // Distinct SQL text each time, as a search with a user's filter builds it.
    std::string sql = "INSERT INTO t (k, v) VALUES (?, 'row " + std::to_string(i) + "')";
    ASSERT_TRUE(c.Exec(sql, {int64_t(i)}).ok()) << i;
  }
  EXPECT_EQ(c.cached_statements(), SqliteConnection::kMaxCachedStatements);
  int64_t count = 0;
  for (size_t i = 0; i < 3; ++i) {  // an uncached statement runs again, and again
    ASSERT_TRUE(c.Query("SELECT count(*) FROM t WHERE v != 'x" + std::to_string(i) + "'", {},
                        [&](const SqlRow& row) { count = row.Int(0); })
                    .ok());
    EXPECT_EQ(count, static_cast<int64_t>(distinct));
  }
  EXPECT_EQ(c.cached_statements(), SqliteConnection::kMaxCachedStatements);
  // A cached statement nested inside an uncached one's rows works too.
  int64_t inner = 0;
  ASSERT_TRUE(c.Query("SELECT k FROM t WHERE k < 2 AND v != 'y'", {},
                      [&](const SqlRow& row) {
                        ASSERT_TRUE(c.Query("SELECT count(*) FROM t", {}, [&](const SqlRow& r) {
                                       inner += r.Int(0);
                                     }).ok());
                        (void)row;
                      })
                  .ok());
  EXPECT_EQ(inner, 2 * static_cast<int64_t>(distinct));
}

}  // namespace
}  // namespace plinth::storage

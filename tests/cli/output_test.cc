#include "cli/output.h"

#include <gtest/gtest.h>

namespace plinth::cli {
namespace {

using Json = nlohmann::json;

TEST(FormatTable, AlignsColumnsWithoutTrailingSpaces) {
  std::string table =
      FormatTable({"ID", "NAME", "STATUS"}, {{"1", "churn", "RUNNING"}, {"22", "a", "FINISHED"}});
  EXPECT_EQ(table,
            "ID  NAME   STATUS\n"
            "1   churn  RUNNING\n"
            "22  a      FINISHED\n");
}

TEST(FormatTable, HeaderOnlyForNoRows) { EXPECT_EQ(FormatTable({"ID", "NAME"}, {}), "ID  NAME\n"); }

TEST(FormatTable, MeasuresUtf8ByCodePoints) {
  std::string table = FormatTable({"NAME", "X"}, {{"caf\xC3\xA9", "1"}, {"ab", "2"}});
  EXPECT_EQ(table,
            "NAME  X\n"
            "caf\xC3\xA9  1\n"
            "ab    2\n");
}

TEST(FormatTable, FlattensNewlinesAndPadsShortRows) {
  std::string table = FormatTable({"A", "B", "C"}, {{"x\ny", "1"}});
  EXPECT_EQ(table,
            "A    B  C\n"
            "x y  1\n");
}

TEST(FormatList, RendersFieldsTimesAndMaps) {
  Json items = Json::array({{{"id", "e1"}, {"created_ms", 0}, {"tags", {{"team", "x"}}}},
                            {{"id", "e2"}, {"created_ms", 1000}, {"tags", Json::object()}}});
  std::string table = FormatList({FieldColumn("ID", "id"), FieldColumn("CREATED", "created_ms"),
                                  FieldColumn("TAGS", "tags"), FieldColumn("MISSING", "nope")},
                                 items);
  EXPECT_EQ(table,
            "ID  CREATED              TAGS    MISSING\n"
            "e1  1970-01-01 00:00:00  team=x  -\n"
            "e2  1970-01-01 00:00:01  -       -\n");
}

TEST(RawFieldColumn, ShowsTimesAsIntegers) {
  Column column = RawFieldColumn("SET_MS", "set_ms");
  EXPECT_EQ(column.cell(Json{{"set_ms", 1714564800123}}), "1714564800123");
}

TEST(FormatObject, PutsIdentityFirstAndAlignsValues) {
  Json run = {{"status", "RUNNING"}, {"id", "abc"}, {"end_ms", nullptr}, {"name", "r1"}};
  EXPECT_EQ(FormatObject(run),
            "id:     abc\n"
            "name:   r1\n"
            "end_ms: -\n"
            "status: RUNNING\n");
}

TEST(FormatObject, LeavesNoTrailingSpacesAfterEmptyStrings) {
  EXPECT_EQ(FormatObject(Json{{"description", ""}, {"flavor", "xgboost"}}),
            "description:\n"
            "flavor:      xgboost\n");
}

TEST(FormatObject, IndentsNestedObjectsAndFormatsTimes) {
  Json run = {{"id", "r"},
              {"start_ms", 1714564800123},
              {"params", {{"lr", "0.1"}}},
              {"tags", Json::object()},
              {"metrics", {{"rmse", {{"value", 0.5}, {"step", 2}}}}}};
  EXPECT_EQ(FormatObject(run),
            "id:       r\n"
            "metrics:\n"
            "  rmse:\n"
            "    step:  2\n"
            "    value: 0.5\n"
            "params:\n"
            "  lr: 0.1\n"
            "start_ms: 2024-05-01T12:00:00.123Z (1714564800123)\n"
            "tags:     -\n");
}

TEST(FormatObject, ListsArraysOfObjectsOnePerLine) {
  Json version = {{"signature", {{"inputs", {{{"name", "temp"}, {"type", "float"}}}}}},
                  {"labels", {"a", "b"}}};
  EXPECT_EQ(FormatObject(version),
            "labels:    a, b\n"
            "signature:\n"
            "  inputs:\n"
            "    - name=temp type=float\n");
}

TEST(FormatTimeMs, RendersUtcWithMillis) {
  EXPECT_EQ(FormatTimeMs(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimeMs(1714564800123), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(FormatTimeMs(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatTimeMsShort(1714564800123), "2024-05-01 12:00:00");
}

TEST(FormatScalar, RendersEachJsonType) {
  EXPECT_EQ(FormatScalar(Json("text")), "text");
  EXPECT_EQ(FormatScalar(Json()), "-");
  EXPECT_EQ(FormatScalar(Json(3)), "3");
  EXPECT_EQ(FormatScalar(Json(0.5)), "0.5");
  EXPECT_EQ(FormatScalar(Json(true)), "true");
}

TEST(IsTimeField, KnowsMsSuffixAndTimestamp) {
  EXPECT_TRUE(IsTimeField("created_ms"));
  EXPECT_TRUE(IsTimeField("timestamp"));
  EXPECT_FALSE(IsTimeField("_ms"));
  EXPECT_FALSE(IsTimeField("step"));
}

}  // namespace
}  // namespace plinth::cli

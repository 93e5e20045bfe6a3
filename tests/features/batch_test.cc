#include "features/batch.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "features/definitions.h"

namespace plinth::features {
namespace {

FeatureView View() {
  auto v = FeatureViewFromJson(R"({"name": "drivers", "entities": ["driver"],
      "features": [{"name": "conv", "type": "float", "rules": {"min": 0, "max": 1}},
                   {"name": "trips", "type": "int", "rules": {"not_null": true}},
                   {"name": "active", "type": "bool"},
                   {"name": "tier", "type": "string",
                    "rules": {"allowed_values": ["gold", "silver"]}}]})");
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  v->version = 1;
  v->join_keys = {{"driver_id", ValueType::kInt}};
  return *v;
}

nlohmann::json Failures(const Status& s) {
  EXPECT_FALSE(s.details_json().empty()) << s.ToString();
  return nlohmann::json::parse(s.details_json());
}

TEST(Batch, ParsesCsvColumnsInAnyOrder) {
  auto b = ParseBatch(View(), BatchFormat::kCsv,
                      "tier,trips,event_timestamp,driver_id,conv,active\n"
                      "gold,3,2024-05-01T12:30:00Z,7,0.5,true\n"
                      ",4,1714566601,8,,\n");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->rows, 2u);
  EXPECT_EQ(b->event_ms[0], 1714566600000);
  EXPECT_EQ(b->event_ms[1], 1714566601000);
  EXPECT_EQ(b->Float(0, 0), 0.5);
  EXPECT_FALSE(b->Valid(1, 0));
  EXPECT_EQ(b->Int(1, 1), 4);
  EXPECT_TRUE(b->Bool(0, 2));
  EXPECT_EQ(b->String(0, 3), "gold");
  EXPECT_FALSE(b->Valid(1, 3));
  EXPECT_EQ(b->Key(0).size(), 8u);
}

TEST(Batch, ParsesJsonLines) {
  auto b = ParseBatch(View(), BatchFormat::kJsonLines,
                      R"({"driver_id": 7, "event_timestamp": "2024-05-01T12:30:00Z", "conv": 1, "trips": 2, "active": false, "tier": "silver"})"
                      "\n\n"
                      R"({"driver_id": "8", "event_timestamp": 1714566600250, "trips": 5, "conv": null})"
                      "\n");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->rows, 2u);
  EXPECT_EQ(b->Float(0, 0), 1.0);
  EXPECT_EQ(b->event_ms[1], 1714566600250);
  EXPECT_FALSE(b->Valid(1, 0));
  EXPECT_FALSE(b->Valid(1, 3));
}

TEST(Batch, RejectsBadShapesNamingTheProblem) {
  auto msg = [](std::string_view body, BatchFormat f = BatchFormat::kCsv) {
    return ParseBatch(View(), f, body).status().message();
  };
  EXPECT_NE(msg("").find("empty"), std::string::npos);
  EXPECT_NE(msg("driver_id,event_timestamp,trips\n").find("header but no rows"), std::string::npos);
  EXPECT_NE(msg("driver_id,event_timestamp,trips,speed\n1,0,1,2\n").find("column 'speed'"),
            std::string::npos);
  EXPECT_NE(msg("event_timestamp,trips\n0,1\n").find("join key 'driver_id'"), std::string::npos);
  EXPECT_NE(msg("driver_id,trips\n1,1\n").find("'event_timestamp'"), std::string::npos);
  EXPECT_NE(msg("driver_id,driver_id,event_timestamp\n1,1,0\n").find("appears twice"),
            std::string::npos);
  EXPECT_NE(msg("{\"driver_id\": 1, \"speed\": 3}\n", BatchFormat::kJsonLines).find("'speed'"),
            std::string::npos);
  EXPECT_NE(msg("[1, 2]\n", BatchFormat::kJsonLines).find("line 1"), std::string::npos);
  EXPECT_FALSE(ParseBatchFormat("application/xml").ok());
  EXPECT_EQ(*ParseBatchFormat("text/csv; charset=utf-8"), BatchFormat::kCsv);
}

TEST(Batch, ReportsRowColumnRuleAndValue) {
  auto b = ParseBatch(View(), BatchFormat::kCsv,
                      "driver_id,event_timestamp,conv,trips,active,tier\n"
                      "1,2024-05-01T12:30:00Z,0.5,1,true,gold\n"
                      "x,2024-05-01T12:30:00Z,1.5,,maybe,bronze\n"
                      "3,yesterday,-1,2.5,1,silver\n"
                      "4,0,0.1\n");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  auto d = Failures(b.status());
  EXPECT_EQ(d["failure_count"], 9);
  EXPECT_EQ(d["truncated"], false);
  auto f = d["failures"];
  ASSERT_EQ(f.size(), 9u);
  EXPECT_EQ(f[0], nlohmann::json({{"row", 2}, {"column", "driver_id"}, {"rule", "type"}, {"value", "x"}}));
  EXPECT_EQ(f[1], nlohmann::json({{"row", 2}, {"column", "conv"}, {"rule", "max"}, {"value", "1.5"}}));
  EXPECT_EQ(f[2], nlohmann::json({{"row", 2}, {"column", "trips"}, {"rule", "not_null"}, {"value", nullptr}}));
  EXPECT_EQ(f[3]["rule"], "type");  // active = maybe
  EXPECT_EQ(f[4]["rule"], "allowed_values");
  EXPECT_EQ(f[5], nlohmann::json({{"row", 3}, {"column", "event_timestamp"}, {"rule", "type"}, {"value", "yesterday"}}));
  EXPECT_EQ(f[6]["rule"], "min");
  EXPECT_EQ(f[7], nlohmann::json({{"row", 3}, {"column", "trips"}, {"rule", "type"}, {"value", "2.5"}}));
  EXPECT_EQ(f[8], nlohmann::json({{"row", 4}, {"column", ""}, {"rule", "field_count"}, {"value", nullptr}}));
  EXPECT_NE(b.status().message().find("row 2, column 'driver_id', rule 'type'"), std::string::npos)
      << b.status().message();
}

TEST(Batch, StringsMustBeUtf8AndReportsStayJson) {
  // A string cell that is not UTF-8 fails "type"; a float cell with such bytes fails "type" too,
  // and a long multi-byte value cut at 200 bytes in a report is still valid JSON (U+FFFD).
  std::string long_value = "x";  // then 'é' x 150: the 200-byte cut splits one
  for (int i = 0; i < 150; ++i) long_value += "\xc3\xa9";
  auto b = ParseBatch(View(), BatchFormat::kCsv,
                      "driver_id,event_timestamp,conv,trips,tier\n"
                      "1,0,0.5,1,gold\xff\n"
                      "2,0,0.\xfe,1,gold\n"
                      "3,0,0.5,1," + long_value + "\n");
  ASSERT_FALSE(b.ok());
  auto d = Failures(b.status());  // parses: the details are JSON
  ASSERT_EQ(d["failure_count"], 3);
  EXPECT_EQ(d["failures"][0]["column"], "tier");
  EXPECT_EQ(d["failures"][0]["rule"], "type");
  EXPECT_EQ(d["failures"][1]["column"], "conv");
  EXPECT_EQ(d["failures"][1]["rule"], "type");
  EXPECT_EQ(d["failures"][2]["rule"], "allowed_values");
  const std::string shown = d["failures"][2]["value"];
  EXPECT_EQ(shown.substr(0, 3), "x\xc3\xa9");
  EXPECT_EQ(shown.substr(shown.size() - 3), "\xef\xbf\xbd");  // U+FFFD for the cut byte
}

TEST(Batch, ListsTheFirstHundredFailuresInRowOrderAcrossThreads) {
  std::string body = "driver_id,event_timestamp,conv,trips\n";
  for (int i = 0; i < 100000; ++i) {
    body += std::to_string(i) + ",1714566600," + (i % 500 == 7 ? "2" : "0.5") + ",1\n";
  }
  ParseOptions options;
  options.threads = 2;
  auto b = ParseBatch(View(), BatchFormat::kCsv, body, options);
  ASSERT_FALSE(b.ok());
  auto d = Failures(b.status());
  EXPECT_EQ(d["failure_count"], 200);
  EXPECT_EQ(d["truncated"], true);
  ASSERT_EQ(d["failures"].size(), 100u);
  for (int k = 0; k < 100; ++k) EXPECT_EQ(d["failures"][k]["row"], 500 * k + 8);
}

TEST(Batch, ComputesStats) {
  auto b = ParseBatch(View(), BatchFormat::kCsv,
                      "driver_id,event_timestamp,conv,trips,active\n"
                      "1,0,0.25,1,true\n2,0,,3,false\n3,0,0.75,8,\n");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  IngestStats s = ComputeStats(*b);
  EXPECT_EQ(s.rows, 3);
  EXPECT_EQ(s.features[0].nulls, 1);
  EXPECT_EQ(*s.features[0].min, 0.25);
  EXPECT_EQ(*s.features[0].max, 0.75);
  EXPECT_EQ(*s.features[0].mean, 0.5);
  EXPECT_EQ(*s.features[1].mean, 4.0);
  EXPECT_EQ(*s.features[2].mean, 0.5);
  EXPECT_EQ(s.features[3].nulls, 3);  // tier: column absent
  EXPECT_FALSE(s.features[3].min.has_value());
  auto j = nlohmann::json::parse(s.ToJson());
  EXPECT_EQ(j["rows"], 3);
  EXPECT_EQ(j["features"]["trips"]["max"], 8.0);
  EXPECT_TRUE(j["features"]["tier"]["mean"].is_null());
}

}  // namespace
}  // namespace plinth::features

namespace plinth::features {
namespace {

TEST(Batch, ReadsEveryLineEnding) {
  for (const char* nl : {"\n", "\r\n", "\r"}) {
    std::string body = std::string("driver_id,event_timestamp,trips") + nl;
    for (int i = 0; i < 5; ++i) body += std::to_string(i) + ",1714566600," + std::to_string(i) + nl;
    auto b = ParseBatch(View(), BatchFormat::kCsv, body);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ(b->rows, 5u);
    EXPECT_EQ(b->Int(4, 1), 4);
  }
}

TEST(Batch, LargeBodiesReadAlikeWithAndWithoutQuotes) {
  // Over 2 MiB, so two threads scan it; one quoted field in the second half makes the whole body
  // one range read by the quoting reader (a quoted field may hold a line break, where a cut
  // between threads could fall), and the rows come out the same.
  for (bool quoted : {false, true}) {
    std::string body = "driver_id,event_timestamp,conv,trips,tier\r\n";
    const int n = 60000;
    for (int i = 0; i < n; ++i) {
      std::string tier = i % 3 == 0 ? "gold" : "silver";
      if (quoted && i == 2 * n / 3) tier = "\"" + tier + "\"";
      body += std::to_string(i) + ",2024-05-01T12:00:00Z,0." + std::to_string(i % 10) + "," +
              std::to_string(i) + "," + tier + (i % 7 == 0 ? "\n" : "\r\n");
      if (i % 1000 == 999) body += "\r\n";  // blank lines: gaps in every range, closed up
    }
    ASSERT_GT(body.size(), size_t{2} << 20);
    ParseOptions options;
    options.threads = 2;
    auto b = ParseBatch(View(), BatchFormat::kCsv, body, options);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ASSERT_EQ(b->rows, static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {  // every row, in order, across the threads' ranges
      ASSERT_EQ(b->Int(i, 1), i);
      ASSERT_EQ(b->String(i, 3), i % 3 == 0 ? "gold" : "silver") << i;
      ASSERT_EQ(b->Key(i).size(), 8u);
    }
  }
}

}  // namespace
}  // namespace plinth::features

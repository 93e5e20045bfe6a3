// Point-in-time join semantics: ties, TTL edges, duplicates, nulls, order, several views, and a
// brute-force cross-check on random data over many small blocks and segments.
#include "features/historical.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <sstream>

#include "feature_test_util.h"
#include "features/value_text.h"

namespace plinth::features {
namespace {

class HistoricalTest : public FeatureStoreTest {};

TEST_F(HistoricalTest, IncludesExactTiesAndTheTtlEdgeAndTakesTheLastWrittenRow) {
  DefineDrivers(/*ttl=*/3600);
  Ingest("drivers",
         "driver_id,event_timestamp,conv,trips\n"
         "1,1000,0.1,1\n"
         "1,2000,0.2,2\n"
         "1,2000,0.25,3\n");  // same entity and time, later in the batch: wins
  std::string out = Historical(
      "driver_id,event_timestamp,label\n"
      "1,5600.001,a\n"   // 1 ms past the TTL: null
      "1,999,b\n"        // before any row: null
      "1,1000,c\n"       // same instant as a row: included
      "2,2000,d\n"       // an entity with no rows
      "1,2000,e\n"       // tie with two rows: the last written
      "1,5600,f\n",      // exactly TTL later: included
      {"drivers:conv", "drivers:trips"});
  EXPECT_EQ(out,
            "driver_id,event_timestamp,label,conv,trips\n"
            "1,5600.001,a,,\n"
            "1,999,b,,\n"
            "1,1000,c,0.1,1\n"
            "2,2000,d,,\n"
            "1,2000,e,0.25,3\n"
            "1,5600,f,0.25,3\n");
}

TEST_F(HistoricalTest, LaterIngestWinsATieButNotALaterTime) {
  DefineDrivers();
  Ingest("drivers", "driver_id,event_timestamp,conv,trips\n1,100,0.1,1\n1,200,0.2,2\n");
  Ingest("drivers", "driver_id,event_timestamp,conv,trips\n1,100,0.9,9\n");  // rewrites t=100
  Ingest("drivers", "driver_id,event_timestamp,conv,trips\n1,150,0.5,5\n");  // older than t=200
  EXPECT_EQ(Historical("driver_id,event_timestamp\n1,100\n1,199\n1,250\n", {"drivers:conv"}),
            "driver_id,event_timestamp,conv\n1,100,0.9\n1,199,0.5\n1,250,0.2\n");
  ASSERT_OK(store_->offline().Compact("drivers"));
  EXPECT_EQ(store_->offline().Snapshot("drivers")->entries.size(), 1u);
  EXPECT_EQ(Historical("driver_id,event_timestamp\n1,100\n1,199\n1,250\n", {"drivers:conv"}),
            "driver_id,event_timestamp,conv\n1,100,0.9\n1,199,0.5\n1,250,0.2\n");
}

TEST_F(HistoricalTest, TheWinningRowIsTakenWholeNullsIncluded) {
  DefineDrivers();
  Ingest("drivers", "driver_id,event_timestamp,conv,trips\n1,100,0.3,1\n1,200,,2\n");
  EXPECT_EQ(Historical("driver_id,event_timestamp\n1,300\n", {"drivers:conv", "drivers:trips"}),
            "driver_id,event_timestamp,conv,trips\n1,300,,2\n");
}

TEST_F(HistoricalTest, ZeroTtlNeverExpires) {
  DefineDrivers(/*ttl=*/0);
  Ingest("drivers", "driver_id,event_timestamp,conv,trips\n1,1970-01-02T00:00:00Z,0.5,1\n");
  EXPECT_EQ(Historical("driver_id,event_timestamp\n1,2100-01-01T00:00:00Z\n", {"drivers:conv"}),
            "driver_id,event_timestamp,conv\n1,2100-01-01T00:00:00Z,0.5\n");
}

TEST_F(HistoricalTest, JoinsSeveralViewsWithTheirOwnKeysAndPassesColumnsThrough) {
  DefineDrivers();
  ApplyEntityJson(R"({"name": "route", "join_keys": ["origin", {"name": "hour", "type": "int"}]})");
  ApplyViewJson(R"({"name": "routes", "entities": ["route"], "features": [
      {"name": "eta", "type": "float"}, {"name": "busy", "type": "bool"},
      {"name": "note", "type": "string"}]})");
  Ingest("drivers", "driver_id,event_timestamp,conv,trips\n7,10,0.7,70\n");
  Ingest("routes",
         "origin,hour,event_timestamp,eta,busy,note\n"
         "a,1,5,12.5,true,\"x,y\"\n"
         "a,2,5,9,false,\n"
         "b,1,5,1,1,\"\"\n");
  std::string out = Historical(
      "note_in,origin,driver_id,hour,event_timestamp\n"
      "\"q\"\"\",a,7,1,10\n"
      "p,b,8,1,10\n"
      ",a,7,2,4\n",
      {"routes:eta", "drivers:trips", "routes:busy", "routes:note"});
  EXPECT_EQ(out,
            "note_in,origin,driver_id,hour,event_timestamp,eta,trips,busy,note\n"
            "\"q\"\"\",a,7,1,10,12.5,70,true,\"x,y\"\n"
            "p,b,8,1,10,1.0,,true,\"\"\n"
            ",a,7,2,4,,,,\n");
}

TEST_F(HistoricalTest, TwoIntJoinKeysMatchAsOneFixedWidthKey) {
  // All-int keys are fixed width (8 bytes per key): the join keeps no offsets for them.
  ApplyEntityJson(
      R"({"name": "cell", "join_keys": [{"name": "x", "type": "int"}, {"name": "y", "type": "int"}]})");
  ApplyViewJson(R"({"name": "cells", "entities": ["cell"], "ttl_seconds": 100, "features": [
      {"name": "heat", "type": "float"}]})");
  Ingest("cells",
         "x,y,event_timestamp,heat\n"
         "1,2,10,0.5\n"
         "2,1,10,0.25\n"
         "1,2,20,0.75\n"
         "-1,2,10,9\n");
  EXPECT_EQ(Historical("y,x,event_timestamp\n"
                       "2,1,15\n"
                       "1,2,30\n"
                       "2,1,25\n"
                       "2,-1,10\n"
                       "2,1,200\n"
                       "1,1,30\n",
                       {"cells:heat"}),
            "y,x,event_timestamp,heat\n"
            "2,1,15,0.5\n"
            "1,2,30,0.25\n"
            "2,1,25,0.75\n"
            "2,-1,10,9.0\n"
            "2,1,200,\n"
            "1,1,30,\n");
}

TEST_F(HistoricalTest, NamesWhatIsWrong) {
  DefineDrivers();
  Ingest("drivers", "driver_id,event_timestamp,conv,trips\n1,100,0.3,1\n");
  EXPECT_NE(Historical("id,event_timestamp\n1,5\n", {"drivers:conv"}).find("no column 'driver_id'"),
            std::string::npos);
  EXPECT_NE(Historical("driver_id,ts\n1,5\n", {"drivers:conv"}).find("'event_timestamp'"),
            std::string::npos);
  EXPECT_NE(Historical("driver_id,event_timestamp\n1,5\n1,soon\n", {"drivers:conv"})
                .find("entity row 2: event_timestamp 'soon'"),
            std::string::npos);
  EXPECT_NE(Historical("driver_id,event_timestamp\nx,5\n", {"drivers:conv"})
                .find("entity row 1: 'x' in column 'driver_id' is not an int"),
            std::string::npos);
  EXPECT_NE(Historical("driver_id,event_timestamp\n1,5\n", {"riders:conv"})
                .find("feature view 'riders' does not exist"),
            std::string::npos);
  EXPECT_NE(Historical("driver_id,event_timestamp\n1,5\n", {"drivers:speed"})
                .find("has no feature 'speed'"),
            std::string::npos);
  EXPECT_NE(Historical("driver_id,event_timestamp\n1,5\n", {"drivers:conv", "drivers:conv"})
                .find("listed twice"),
            std::string::npos);
  EXPECT_NE(Historical("driver_id,event_timestamp,conv\n1,5,x\n", {"drivers:conv"})
                .find("two columns named 'conv'"),
            std::string::npos);
  HistoricalOptions full;
  full.full_feature_names = true;
  EXPECT_EQ(Historical("driver_id,event_timestamp,conv\n1,500,x\n", {"drivers:conv"}, full),
            "driver_id,event_timestamp,conv,drivers__conv\n1,500,x,0.3\n");
  EXPECT_NE(Historical("", {"drivers:conv"}).find("empty"), std::string::npos);
  EXPECT_NE(Historical("driver_id,event_timestamp\n", {"drivers:conv"}).find("header but no rows"),
            std::string::npos);
  EXPECT_NE(Historical("driver_id,event_timestamp\n1,2,3\n", {"drivers:conv"}).find("line 2"),
            std::string::npos);
  EXPECT_NE(Historical("driver_id,event_timestamp\n1,5\n", {}).find("at least one"),
            std::string::npos);
}

TEST_F(HistoricalTest, RowIteratorAndJsonRows) {
  DefineDrivers();
  Ingest("drivers", "driver_id,event_timestamp,conv,trips\n1,100,0.3,4\n");
  auto table = EntityTable::FromRows({"driver_id", "event_timestamp", "label"},
                                     {{"1", "150", std::nullopt}, {"2", "150", "y"}});
  ASSERT_TRUE(table.ok());
  auto set = store_->GetHistoricalFeatures(std::move(table).value(), {"drivers:trips", "drivers:conv"});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->column_type(3), ValueType::kInt);
  auto rows = set->Rows();
  ASSERT_TRUE(rows.Next());
  EXPECT_TRUE(rows[2].is_null);
  EXPECT_EQ(rows[3].i, 4);
  EXPECT_EQ(rows[4].f, 0.3);
  ASSERT_TRUE(rows.Next());
  EXPECT_EQ(rows[2].s, "y");
  EXPECT_TRUE(rows[3].is_null);
  EXPECT_FALSE(rows.Next());
}

// A direct implementation of the rule, to check the merge join on random data.
struct Written {
  int64_t key;
  int64_t ts;
  std::optional<double> conv;
  int64_t order;  // write order
};

std::string BruteForce(const std::vector<Written>& rows, const std::vector<std::pair<int64_t, int64_t>>& ents,
                       int64_t ttl) {
  std::string out = "driver_id,event_timestamp,conv\n";
  for (const auto& [key, t] : ents) {
    const Written* best = nullptr;
    for (const Written& w : rows) {
      if (w.key != key || w.ts > t || (ttl > 0 && t - w.ts > ttl)) continue;
      if (!best || w.ts > best->ts || (w.ts == best->ts && w.order > best->order)) best = &w;
    }
    out += std::to_string(key) + "," + std::to_string(t) + ",";
    if (best && best->conv) {
      char buf[kMaxNumberText];
      out.append(buf, FormatFloatText(*best->conv, buf));
    }
    out += "\n";
  }
  return out;
}

// A batch of `n` random rows of the drivers view: keys key_base + [0, keys), times [0, 300),
// about one conv in eight null; appended to `written` in write order.
std::string RandomDriverRows(std::mt19937& rng, int n, int64_t key_base, int keys,
                             std::vector<Written>* written) {
  std::string csv = "driver_id,event_timestamp,conv,trips\n";
  for (int i = 0; i < n; ++i) {
    Written w{key_base + static_cast<int64_t>(rng() % keys), static_cast<int64_t>(rng() % 300),
              std::nullopt, static_cast<int64_t>(written->size())};
    if (rng() % 8 != 0) w.conv = static_cast<double>(rng() % 1000) / 8;
    csv += std::to_string(w.key) + "," + std::to_string(w.ts) + ",";
    if (w.conv) csv += std::to_string(*w.conv);
    csv += ",1\n";
    written->push_back(w);
  }
  return csv;
}

// `n` random entity rows: keys key_base + [0, keys), times [0, max_ts).
std::string RandomEntityRows(std::mt19937& rng, int n, int64_t key_base, int keys, int64_t max_ts,
                             std::vector<std::pair<int64_t, int64_t>>* ents) {
  std::string csv = "driver_id,event_timestamp\n";
  for (int i = 0; i < n; ++i) {
    ents->push_back({key_base + static_cast<int64_t>(rng() % keys),
                     static_cast<int64_t>(rng() % max_ts)});
    csv += std::to_string(ents->back().first) + "," + std::to_string(ents->back().second) + "\n";
  }
  return csv;
}

TEST_F(HistoricalTest, KeyRangesTakenByTwoThreadsJoinLikeOne) {
  // 60,000 entity rows: two threads, four key ranges (cut between keys, each starting inside a
  // block), over two segments of small blocks; the brute force says what each row gets.
  OpenStore(/*block_rows=*/64);
  DefineDrivers(/*ttl=*/40);
  std::mt19937 rng(7);
  std::vector<Written> written;
  for (int batch = 0; batch < 2; ++batch) {
    Ingest("drivers", RandomDriverRows(rng, 600, /*key_base=*/0, /*keys=*/400, &written));
  }
  std::vector<std::pair<int64_t, int64_t>> ents;
  const std::string csv = RandomEntityRows(rng, 60000, 0, 410, /*max_ts=*/340, &ents);
  const std::string expected = BruteForce(written, ents, /*ttl=*/40);
  for (int threads : {1, 2}) {
    HistoricalOptions options;
    options.threads = threads;
    EXPECT_EQ(Historical(csv, {"drivers:conv"}, options), expected) << threads << " threads";
  }
}

TEST_F(HistoricalTest, MatchesABruteForceJoinOverManyBlocksAndSegments) {
  OpenStore(/*block_rows=*/7);
  DefineDrivers(/*ttl=*/50);
  std::mt19937 rng(42);
  std::vector<Written> written;
  for (int batch = 0; batch < 6; ++batch) {
    const int n = 20 + static_cast<int>(rng() % 200);
    Ingest("drivers", RandomDriverRows(rng, n, /*key_base=*/-5, /*keys=*/25, &written));
  }
  std::vector<std::pair<int64_t, int64_t>> ents;
  const std::string csv = RandomEntityRows(rng, 3000, -5, 30, /*max_ts=*/360, &ents);
  const std::string expected = BruteForce(written, ents, /*ttl=*/50);
  for (int threads : {1, 2}) {
    HistoricalOptions options;
    options.threads = threads;
    EXPECT_EQ(Historical(csv, {"drivers:conv"}, options), expected) << threads << " threads";
  }
  ASSERT_OK(store_->offline().Compact("drivers"));
  EXPECT_EQ(Historical(csv, {"drivers:conv"}), expected) << "after compaction";
}

TEST(EntityTableCsv, PlainAndQuotedBodiesReadAlikeAndNameTheBadLine) {
  // A body without quotes is split by the fast path, one with a quote by CsvReader: the same
  // cells, nulls, blank lines, CRLF and lone CR, and the same line in a field-count error.
  const std::string plain =
      "id,event_timestamp,label\r\n1,2024-05-01T00:00:00Z,a\r\n\r\n2,,b\r3,1714521600,\n";
  const std::string quoted =
      "id,event_timestamp,label\r\n1,2024-05-01T00:00:00Z,\"a\"\r\n\r\n2,,b\r3,1714521600,\n";
  for (const std::string* body : {&plain, &quoted}) {
    for (int threads : {1, 2}) {
      auto t = EntityTable::FromCsv(*body, threads);
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      ASSERT_EQ(t->num_rows(), 3u);
      EXPECT_EQ(t->Cell(0, 2), "a");
      EXPECT_TRUE(t->IsNull(1, 1));
      EXPECT_EQ(t->Cell(1, 2), "b");
      EXPECT_EQ(t->Cell(2, 1), "1714521600");
      EXPECT_TRUE(t->IsNull(2, 2));
      EXPECT_EQ(t->plain(), body == &plain);
    }
  }
  for (const char* bad : {"id,event_timestamp\n1,2\n\n3,4,5\n6,7\n",
                          "id,event_timestamp\r\n1,2\r\n\r\n3,4,5\r\n6,7\r\n",
                          "id,event_timestamp\n1,\"2\"\n\n3,4,5\n6,7\n"}) {
    auto t = EntityTable::FromCsv(bad);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.status().message().find("line 4 has 3 fields; the header has 2"),
              std::string::npos)
        << t.status().message();
  }
  // Spread over two threads' ranges (each over 1 MiB): lines count across the cut.
  std::string big = "id,event_timestamp\n";
  for (int i = 0; i < 200000; ++i) big += std::to_string(i) + ",1714521600\n";
  big += "7,8,9\n";
  auto t = EntityTable::FromCsv(big, 2);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("line 200002 has 3 fields"), std::string::npos)
      << t.status().message();
}

TEST(EntityTableCsv, BlankLinesInEveryThreadsRangeLeaveNoGaps) {
  // Each thread's range writes its rows in place, sized by its line count; blank lines (here in
  // both halves of a 3 MB body, CRLF and LF) leave gaps that must close up, in order.
  std::string body = "id,event_timestamp,label\n";
  std::vector<std::string> ids;
  for (int i = 0; i < 150000; ++i) {
    if (i % 7 == 3) body += i % 2 ? "\n" : "\r\n";
    ids.push_back(std::to_string(i * 3));
    body += ids.back() + ",1714521600," + (i % 5 == 0 ? "" : "label" + std::to_string(i)) + "\n";
  }
  ASSERT_GT(body.size(), size_t{3} << 20);
  ASSERT_OK_AND_ASSIGN(EntityTable one, EntityTable::FromCsv(body, 1));
  ASSERT_OK_AND_ASSIGN(EntityTable two, EntityTable::FromCsv(body, 2));
  ASSERT_EQ(one.num_rows(), ids.size());
  ASSERT_EQ(two.num_rows(), ids.size());
  for (size_t r = 0; r < ids.size(); ++r) {
    ASSERT_EQ(two.Cell(r, 0), ids[r]) << r;
    ASSERT_EQ(two.IsNull(r, 2), r % 5 == 0) << r;
    ASSERT_EQ(two.Cell(r, 2), one.Cell(r, 2)) << r;
  }
}

}  // namespace
}  // namespace plinth::features

// The online store: record encoding, materialization (ranges, newest event, ties, incremental
// watermarks), push, reads (statuses, TTL, errors) and schema changes.
#include "features/online_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "features/online_test_util.h"
#include "features/online_value.h"

namespace plinth::features {
namespace {

TEST(OnlineValue, RoundTripsEveryType) {
  std::string v;
  OnlineValueWriter w(&v, 7, -1234567890123, 6);
  w.AddNull();
  w.AddFloat(-0.1);
  w.AddInt(-5);
  w.AddInt(INT64_MIN);
  w.AddBool(true);
  w.AddString(std::string("a\0b", 3));
  int version = 0;
  int64_t ts = 0;
  ASSERT_TRUE(DecodeOnlineHeader(v, &version, &ts));
  EXPECT_EQ(version, 7);
  EXPECT_EQ(ts, -1234567890123);
  OnlineCell cells[8];
  size_t n = 0;
  ASSERT_TRUE(DecodeOnlineCells(v, cells, 8, &n));
  ASSERT_EQ(n, 6u);
  EXPECT_TRUE(cells[0].null());
  double d;
  std::memcpy(&d, &cells[1].raw, 8);
  EXPECT_EQ(d, -0.1);
  EXPECT_EQ(static_cast<int64_t>(cells[2].raw), -5);
  EXPECT_EQ(static_cast<int64_t>(cells[3].raw), INT64_MIN);
  EXPECT_EQ(cells[4].raw, 1u);
  EXPECT_EQ(cells[5].str, std::string("a\0b", 3));
  // Truncated bytes are refused, not read past.
  for (size_t len = 0; len < v.size(); ++len) {
    EXPECT_FALSE(DecodeOnlineCells(std::string_view(v).substr(0, len), cells, 8, &n)) << len;
  }
}

// Event times in batches below 1e11 are epoch seconds; ranges are milliseconds.
constexpr int64_t kS = 1000;
constexpr char kHeader[] = "zone_id,event_timestamp,trips,speed,name,busy\n";

TEST_F(OnlineStoreTest, MaterializeWritesTheNewestRowInTheRangePerEntity) {
  DefineZones();
  Ingest("zones", std::string(kHeader) +
                      "1,1000,10,1.5,a,true\n"
                      "1,2000,11,2.5,b,false\n"
                      "1,9000,99,9.5,late,true\n"  // outside [0, 5000)
                      "2,1500,20,,c,\n"            // nulls stay nulls
                      "3,7000,30,3.5,d,true\n");   // only outside the range
  MaterializationJob job = Materialize("zones", 0, 5000 * kS);
  EXPECT_EQ(job.status, "succeeded");
  EXPECT_EQ(job.entities, 2);
  EXPECT_EQ(job.rows_written, 2);
  EXPECT_EQ(job.rows_scanned, 3);
  ASSERT_TRUE(Read({"zones:trips", "zones:speed", "zones:name", "zones:busy"}, {"1", "2", "3"}).ok());
  EXPECT_EQ(StatusOf(0, 0), "PRESENT");
  EXPECT_EQ(IntOf(0, 0), 11);
  EXPECT_EQ(result_.Float(1, 0), 2.5);
  EXPECT_EQ(result_.Cell(2, 0).str, "b");
  EXPECT_EQ(result_.Cell(3, 0).raw, 0u);
  EXPECT_EQ(result_.Cell(0, 0).event_ms, 2000 * kS);
  EXPECT_EQ(IntOf(0, 1), 20);
  EXPECT_EQ(StatusOf(1, 1), "NULL_VALUE");
  EXPECT_EQ(StatusOf(3, 1), "NULL_VALUE");
  EXPECT_EQ(StatusOf(0, 2), "NOT_FOUND");
  EXPECT_EQ(result_.Cell(0, 2).event_ms, 0);
  // The end is exclusive; a later range brings the late rows.
  Materialize("zones", 5000 * kS, 9000 * kS + 1);
  ASSERT_TRUE(Read({"zones:trips"}, {"1", "3"}).ok());
  EXPECT_EQ(IntOf(0, 0), 99);
  EXPECT_EQ(IntOf(0, 1), 30);
}

TEST_F(OnlineStoreTest, AnOlderRangeNeverReplacesANewerValue) {
  DefineZones();
  Ingest("zones", std::string(kHeader) + "1,1000,10,1,a,true\n1,8000,80,8,b,true\n");
  Materialize("zones", 0, 10000 * kS);
  MaterializationJob job = Materialize("zones", 0, 5000 * kS);  // only the older row
  EXPECT_EQ(job.rows_written, 0);
  EXPECT_EQ(job.rows_skipped, 1);
  ASSERT_TRUE(Read({"zones:trips"}, {"1"}).ok());
  EXPECT_EQ(IntOf(0, 0), 80);
}

TEST_F(OnlineStoreTest, EqualEventTimesFollowTheOfflineRuleLastWriteWins) {
  DefineZones();
  Ingest("zones", std::string(kHeader) + "1,1000,10,1,a,true\n1,1000,11,1,a,true\n");
  Ingest("zones", std::string(kHeader) + "2,1000,20,1,a,true\n");
  Ingest("zones", std::string(kHeader) + "2,1000,21,1,a,true\n");
  Materialize("zones", 0, 2000 * kS);
  ASSERT_TRUE(Read({"zones:trips"}, {"1", "2"}).ok());
  EXPECT_EQ(IntOf(0, 0), 11);  // the later row of the batch
  EXPECT_EQ(IntOf(0, 1), 21);  // the later ingest
  // The same as the point-in-time join reads at that time.
  auto entities = EntityTable::FromCsv("zone_id,event_timestamp\n1,1000\n2,1000\n");
  auto set = store_->GetHistoricalFeatures(std::move(*entities), {"zones:trips"});
  ASSERT_TRUE(set.ok());
  std::string csv;
  ASSERT_TRUE(set->WriteCsv([&](std::string_view s) { csv += s; return Status::Ok(); }).ok());
  EXPECT_EQ(csv, "zone_id,event_timestamp,trips\n1,1000,11\n2,1000,21\n");
}

TEST_F(OnlineStoreTest, ValuesOlderThanTheTtlAreOutsideMaxAge) {
  DefineZones(/*ttl=*/60);
  Ingest("zones", std::string(kHeader) + "1,100000,10,1,a,true\n");
  Materialize("zones", 0, 200000 * kS);
  ASSERT_TRUE(Read({"zones:trips"}, {"1"}, /*now_ms=*/100060 * kS).ok());
  EXPECT_EQ(StatusOf(0, 0), "PRESENT");  // exactly the TTL old
  ASSERT_TRUE(Read({"zones:trips"}, {"1"}, /*now_ms=*/100060 * kS + 1).ok());
  EXPECT_EQ(StatusOf(0, 0), "OUTSIDE_MAX_AGE");
  EXPECT_EQ(result_.Cell(0, 0).event_ms, 100000 * kS);
}

TEST_F(OnlineStoreTest, IncrementalJobsResumeAtTheWatermarkWhichIsAudited) {
  DefineZones();
  Ingest("zones", std::string(kHeader) + "1,1000,10,1,a,true\n");
  MaterializationJob first = Incremental("zones", 5000 * kS);
  EXPECT_EQ(first.start_ms, INT64_MIN);
  EXPECT_EQ(first.rows_written, 1);
  EXPECT_EQ(*store_->materializer()->Watermark("zones").value(), 5000 * kS);
  Ingest("zones", std::string(kHeader) + "1,6000,60,1,a,true\n2,7000,70,1,a,true\n");
  MaterializationJob second = Incremental("zones", 8000 * kS);
  EXPECT_EQ(second.start_ms, 5000 * kS);
  EXPECT_EQ(second.rows_scanned, 2);
  EXPECT_EQ(second.rows_written, 2);
  EXPECT_EQ(*store_->materializer()->Watermark("zones").value(), 8000 * kS);
  ASSERT_TRUE(Read({"zones:trips"}, {"1", "2"}).ok());
  EXPECT_EQ(IntOf(0, 0), 60);
  EXPECT_EQ(IntOf(0, 1), 70);
  // Audited: a start and an end event per job.
  int starts = 0, ends = 0;
  ASSERT_TRUE(meta_->Read([&](storage::SqlTx& tx) {
    return tx.Query("SELECT action FROM audit_events WHERE resource = 'feature-views/zones'", {},
                    [&](const storage::SqlRow& row) {
                      starts += row.Text(0) == "feature_view.materialize_start";
                      ends += row.Text(0) == "feature_view.materialize";
                    });
  }).ok());
  EXPECT_EQ(starts, 2);
  EXPECT_EQ(ends, 2);
  auto listed = store_->materializer()->List("zones", PageRequest{});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, second.id);
}

TEST_F(OnlineStoreTest, BackgroundJobsReportProgressAndFinish) {
  DefineZones();
  std::string csv = kHeader;
  for (int i = 0; i < 3000; ++i) csv += std::to_string(i) + ",1000," + std::to_string(i) + ",1,a,true\n";
  Ingest("zones", csv);
  MaterializeRequest req;
  req.view = "zones";
  req.start_ms = 0;
  req.end_ms = 2000 * kS;
  auto started = store_->materializer()->Materialize(actor_, req);
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->status, "running");
  MaterializationJob job;
  for (int i = 0; i < 500; ++i) {
    job = store_->materializer()->Get(started->id).value();
    if (job.status != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(job.status, "succeeded");
  EXPECT_EQ(job.rows_written, 3000);
  EXPECT_GT(job.finished_ms, 0);
  EXPECT_EQ(store_->materializer()->Get("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(OnlineStoreTest, PushWritesBothStores) {
  DefineZones();
  auto pushed = store_->Push(actor_, "zones", BatchFormat::kJsonLines,
                             R"({"zone_id": 4, "event_timestamp": 3000, "trips": 40, "name": "x"})"
                             "\n"
                             R"({"zone_id": 4, "event_timestamp": 2000, "trips": 39})");
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  ASSERT_TRUE(Read({"zones:trips", "zones:name"}, {"4"}).ok());
  EXPECT_EQ(IntOf(0, 0), 40);  // the newest row of the batch
  EXPECT_EQ(result_.Cell(1, 0).str, "x");
  auto entities = EntityTable::FromCsv("zone_id,event_timestamp\n4,2500\n");
  auto set = store_->GetHistoricalFeatures(std::move(*entities), {"zones:trips"});
  std::string csv;
  ASSERT_TRUE(set->WriteCsv([&](std::string_view s) { csv += s; return Status::Ok(); }).ok());
  EXPECT_EQ(csv, "zone_id,event_timestamp,trips\n4,2500,39\n");
  // Validated like an ingest: nothing is written on a bad row.
  auto bad = store_->Push(actor_, "zones", BatchFormat::kCsv,
                          std::string(kHeader) + "5,1000,50,1,a,true\n6,1000,notanint,1,a,true\n");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(Read({"zones:trips"}, {"5"}).ok());
  EXPECT_EQ(StatusOf(0, 0), "NOT_FOUND");
}

TEST_F(OnlineStoreTest, ReadErrorsNameTheProblem) {
  DefineZones();
  EXPECT_EQ(Read({"nope:trips"}, {"1"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(Read({"zones:nope"}, {"1"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(Read({"zones"}, {"1"}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Read({"zones:trips", "zones:trips"}, {"1"}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Read({}, {"1"}).code(), StatusCode::kInvalidArgument);
  Status st = Read({"zones:trips"}, {"1"}, 0, "driver_id");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("zone_id"), std::string::npos);
  st = Read({"zones:trips"}, {"1", "x1"});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("[1]"), std::string::npos);
  ASSERT_TRUE(Read({"zones:trips"}, {"null"}).ok());
  EXPECT_EQ(StatusOf(0, 0), "NOT_FOUND");
}

TEST_F(OnlineStoreTest, ANewVersionIsSeenAtOnceAndOldRecordsReadByName) {
  DefineZones();
  Ingest("zones", std::string(kHeader) + "1,1000,10,1.5,a,true\n");
  Materialize("zones", 0, 2000 * kS);
  ASSERT_TRUE(Read({"zones:trips"}, {"1"}).ok());  // fills this thread's cache
  // Version 2: "rain" added in front, "speed" retyped (forced).
  Apply("", R"({"name": "zones", "entities": ["zone"], "features": [
      {"name": "rain", "type": "float"}, {"name": "trips", "type": "int"},
      {"name": "speed", "type": "int"}, {"name": "name", "type": "string"},
      {"name": "busy", "type": "bool"}]})", /*force=*/true);
  ASSERT_TRUE(Read({"zones:rain", "zones:trips", "zones:speed"}, {"1"}).ok());
  EXPECT_EQ(StatusOf(0, 0), "NULL_VALUE");
  EXPECT_EQ(IntOf(1, 0), 10);
  EXPECT_EQ(StatusOf(2, 0), "NULL_VALUE");  // written as a float, now an int
  EXPECT_EQ(result_.features[2].type, ValueType::kInt);
}

TEST_F(OnlineStoreTest, StringAndCompositeKeys) {
  Apply(R"({"name": "route", "join_keys": ["city", {"name": "line", "type": "int"}]})",
        R"({"name": "routes", "entities": ["route"], "features": [{"name": "load", "type": "float"}]})");
  auto r = store_->Push(actor_, "routes", BatchFormat::kCsv,
                        "city,line,event_timestamp,load\nparis,1,1000,0.5\nparis,2,1000,0.7\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  OnlineEntities entities;
  entities.names = {"line", "city"};
  entities.columns = {{"2", "1", "1"}, {"paris", "paris", "lyon"}};
  entities.rows = 3;
  ASSERT_TRUE(store_->online()->Read({"routes:load"}, entities, 0, &result_).ok());
  EXPECT_EQ(result_.Float(0, 0), 0.7);
  EXPECT_EQ(result_.Float(0, 1), 0.5);
  EXPECT_EQ(StatusOf(0, 2), "NOT_FOUND");
}

TEST_F(OnlineStoreTest, AStoreWithoutOnlineStorageRefusesPush) {
  FeatureStoreOptions options;
  options.metadata = meta_.get();
  options.offline_dir = dir_.path() + "/offline2";
  auto bare = FeatureStore::Open(options);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ((*bare)->online(), nullptr);
  EXPECT_EQ((*bare)->Push(actor_, "zones", BatchFormat::kCsv, "x").status().code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace plinth::features

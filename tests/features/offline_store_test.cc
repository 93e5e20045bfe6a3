// The offline store's files: segments, manifests, reopening, orphans, compaction, corruption.
#include "features/offline_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "features/definitions.h"
#include "feature_test_util.h"

namespace plinth::features {
namespace {

namespace fs = std::filesystem;

FeatureView View() {
  FeatureView v = *FeatureViewFromJson(R"({"name": "v", "entities": ["e"], "features": [
      {"name": "x", "type": "float"}, {"name": "s", "type": "string"}]})");
  v.version = 1;
  v.join_keys = {{"id", ValueType::kString}};
  return v;
}

FeatureBatch Batch(const std::string& csv) {
  auto b = ParseBatch(View(), BatchFormat::kCsv, csv);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return std::move(b).value();
}

// Every stored row as "key@ts=x|s", segment by segment.
std::vector<std::string> Dump(const ViewSnapshot& snap) {
  std::vector<std::string> out;
  for (const auto& seg : snap.segments) {
    std::vector<bool> want(seg->schema().columns.size(), true);
    Block block;
    for (size_t b = 0; b < seg->blocks().size(); ++b) {
      EXPECT_TRUE(seg->ReadBlock(b, want, &block).ok());
      for (size_t r = 0; r < block.rows; ++r) {
        std::string row = std::string(block.Key(r)) + "@" + std::to_string(block.ts[r]) + "=";
        row += block.columns[0].Valid(r) ? std::to_string(block.columns[0].Get(r) != 0) : "null";
        row += "|" + (block.columns[1].Valid(r) ? std::string(block.columns[1].String(r)) : "null");
        out.push_back(row);
      }
    }
  }
  return out;
}

class OfflineStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<OfflineStore> Open(size_t block_rows = 3) {
    OfflineStoreOptions o;
    o.dir = dir_.path();
    o.block_rows = block_rows;
    auto s = OfflineStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }
  IngestRecord Record(const std::string& id) { return {id, "v", 1, "t", 1, 1, "{}"}; }

  testing::TestDir dir_;
};

TEST_F(OfflineStoreTest, SortsAndKeepsTheLastRowPerKeyAndTime) {
  auto store = Open();
  ASSERT_OK(store->Write("v", Batch("id,event_timestamp,x,s\n"
                                    "b,2,1,first\n"
                                    "a,9,1,\n"
                                    "b,1,0,\n"
                                    "b,2,0,second\n"
                                    "a,3,,q\n"),
                         Record("i1")));
  auto snap = store->Snapshot("v");
  ASSERT_EQ(snap->entries.size(), 1u);
  EXPECT_EQ(snap->entries[0].rows, 4u);
  EXPECT_EQ(snap->segments[0]->blocks().size(), 2u);  // 3 rows per block
  EXPECT_EQ(Dump(*snap), (std::vector<std::string>{"a@3000=null|q", "a@9000=1|null",
                                                   "b@1000=0|null", "b@2000=0|second"}));
}

TEST_F(OfflineStoreTest, ReopenKeepsCommittedSegmentsAndDeletesOrphans) {
  {
    auto store = Open();
    ASSERT_OK(store->Write("v", Batch("id,event_timestamp,x\na,1,1\n"), Record("i1")));
  }
  std::string dir = dir_.path() + "/views/v";
  std::ofstream(dir + "/seg-00000099.pseg.tmp") << "partial";
  std::ofstream(dir + "/seg-00000098.pseg") << "never committed";
  std::ofstream(dir + "/MANIFEST.tmp") << "{";
  auto store = Open();
  EXPECT_FALSE(fs::exists(dir + "/seg-00000099.pseg.tmp"));
  EXPECT_FALSE(fs::exists(dir + "/seg-00000098.pseg"));
  EXPECT_FALSE(fs::exists(dir + "/MANIFEST.tmp"));
  EXPECT_EQ(Dump(*store->Snapshot("v")), (std::vector<std::string>{"a@1000=1|null"}));
  ASSERT_OK(store->Write("v", Batch("id,event_timestamp,x\nb,1,1\n"), Record("i2")));
  EXPECT_EQ(store->Snapshot("v")->entries.back().file, "seg-00000100.pseg");
  EXPECT_EQ(store->RecentIngests("v").size(), 2u);
  EXPECT_EQ(store->Views(), std::vector<std::string>{"v"});
}

TEST_F(OfflineStoreTest, CompactionKeepsTheNewestRowAndOldSnapshotsStayReadable) {
  auto store = Open();
  ASSERT_OK(store->Write("v", Batch("id,event_timestamp,s\na,1,old\nb,1,b1\n"), Record("i1")));
  ASSERT_OK(store->Write("v", Batch("id,event_timestamp,s\na,1,new\nc,5,c5\n"), Record("i2")));
  ASSERT_OK(store->Write("v", Batch("id,event_timestamp,s\na,0,a0\nb,1,b2\n"), Record("i3")));
  auto before = store->Snapshot("v");
  ASSERT_OK(store->Compact("v"));
  auto after = store->Snapshot("v");
  ASSERT_EQ(after->entries.size(), 1u);
  EXPECT_EQ(after->entries[0].seq, 3u);
  EXPECT_EQ(Dump(*after), (std::vector<std::string>{"a@0=null|a0", "a@1000=null|new",
                                                    "b@1000=null|b2", "c@5000=null|c5"}));
  EXPECT_EQ(Dump(*before).size(), 6u);  // files are gone, descriptors are not
  for (const auto& e : before->entries) {
    EXPECT_FALSE(fs::exists(dir_.path() + "/views/v/" + e.file));
  }
  auto reopened = Open();
  EXPECT_EQ(Dump(*reopened->Snapshot("v")), Dump(*after));
}

TEST_F(OfflineStoreTest, TieredCompactionMergesFourSegmentsOfOneSize) {
  auto store = Open();
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(store->Write("v", Batch("id,event_timestamp,x\na," + std::to_string(i) + ",1\n"),
                           Record("i" + std::to_string(i))));
    ASSERT_OK(store->MaybeCompact("v"));
  }
  EXPECT_EQ(store->Snapshot("v")->entries.size(), 3u);
  ASSERT_OK(store->Write("v", Batch("id,event_timestamp,x\na,9,1\n"), Record("i9")));
  ASSERT_OK(store->MaybeCompact("v"));
  EXPECT_EQ(store->Snapshot("v")->entries.size(), 1u);
  EXPECT_EQ(store->Snapshot("v")->rows(), 4u);
}

TEST_F(OfflineStoreTest, DetectsACorruptChunk) {
  auto store = Open(/*block_rows=*/100);
  ASSERT_OK(store->Write("v", Batch("id,event_timestamp,x\na,1,1\nb,2,2\n"), Record("i1")));
  std::string path = dir_.path() + "/views/v/" + store->Snapshot("v")->entries[0].file;
  store.reset();
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(16);  // the first block's key bytes
    f.put('\x7f');
  }
  store = Open();
  auto snap = store->Snapshot("v");
  Block block;
  Status s = snap->segments[0]->ReadBlock(0, {true, true}, &block);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("checksum"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace plinth::features

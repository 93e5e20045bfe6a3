// Cutting ingest files into batches at record boundaries (`plinth features ingest`).

#include "cli/batch_split.h"

#include <gtest/gtest.h>

#include <string>

namespace plinth::cli {
namespace {

std::string Join(const TextBatches& b, size_t i) {
  return std::string(b.header) + std::string(b.bodies[i]);
}

TEST(BatchSplit, OneBatchWhenTheFileFits) {
  TextBatches b = SplitTextBatches("a,b\n1,2\n3,4\n", true, 1000);
  EXPECT_EQ(b.header, "a,b\n");
  ASSERT_EQ(b.bodies.size(), 1u);
  EXPECT_EQ(b.bodies[0], "1,2\n3,4\n");
  EXPECT_EQ(b.first_record[0], 1u);
}

TEST(BatchSplit, CsvBatchesRepeatTheHeaderAndKeepQuotedNewlines) {
  std::string text = "k,v\n1,\"x\ny\"\n2,z\n3,\"a\"\"\n\"\n4,w\n";
  TextBatches b = SplitTextBatches(text, true, 4 + 9);  // header + about one record
  ASSERT_EQ(b.bodies.size(), 4u);
  EXPECT_EQ(Join(b, 0), "k,v\n1,\"x\ny\"\n");
  EXPECT_EQ(Join(b, 1), "k,v\n2,z\n");
  EXPECT_EQ(Join(b, 2), "k,v\n3,\"a\"\"\n\"\n");
  EXPECT_EQ(Join(b, 3), "k,v\n4,w\n");
  EXPECT_EQ(b.first_record, (std::vector<size_t>{1, 2, 3, 4}));
  std::string all(b.header);
  for (auto body : b.bodies) all += body;
  EXPECT_EQ(all, text);  // nothing lost or repeated
}

TEST(BatchSplit, JsonLinesSplitAtNewlinesWithoutHeader) {
  TextBatches b = SplitTextBatches("{\"a\":1}\n{\"a\":2}\n{\"a\":3}", false, 18);
  EXPECT_EQ(b.header, "");
  ASSERT_EQ(b.bodies.size(), 2u);
  EXPECT_EQ(b.bodies[0], "{\"a\":1}\n{\"a\":2}\n");
  EXPECT_EQ(b.bodies[1], "{\"a\":3}");
  EXPECT_EQ(b.first_record[1], 3u);
}

TEST(BatchSplit, ARecordLargerThanTheLimitIsABatchOfItsOwn) {
  TextBatches b = SplitTextBatches("h\nlonglonglong\nx\n", true, 5);
  ASSERT_EQ(b.bodies.size(), 2u);
  EXPECT_EQ(b.bodies[0], "longlonglong\n");
  EXPECT_EQ(b.bodies[1], "x\n");
}

TEST(BatchSplit, HeaderOnlyHasNoBatches) {
  EXPECT_TRUE(SplitTextBatches("a,b\n", true, 100).bodies.empty());
}

}  // namespace
}  // namespace plinth::cli

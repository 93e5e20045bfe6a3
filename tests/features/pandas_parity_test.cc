// The training set equals pandas' merge_asof on random data with ties and TTL edges.
// tests/features/pit_pandas_gen.py writes the data and pandas' answer (it needs Debian's
// python3-pandas); this test ingests the batches in the same order, asks for the same refs and
// compares the CSV byte for byte, before and after compaction, with several block sizes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "feature_test_util.h"

#ifndef PLINTH_FEATURES_TEST_SOURCE_DIR
#error "PLINTH_FEATURES_TEST_SOURCE_DIR must name tests/features"
#endif

namespace plinth::features {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PandasParityTest : public FeatureStoreTest,
                         public ::testing::WithParamInterface<std::tuple<int, size_t>> {};

TEST_P(PandasParityTest, TrainingSetEqualsMergeAsof) {
  const auto [seed, block_rows] = GetParam();
  OpenStore(block_rows);
  std::string data = dir_.path() + "/pandas";
  std::string cmd = "/usr/bin/python3 " + std::string(PLINTH_FEATURES_TEST_SOURCE_DIR) +
                    "/pit_pandas_gen.py --out " + data + " --seed " + std::to_string(seed);
  int rc = std::system(cmd.c_str());
  ASSERT_NE(rc, -1);
  ASSERT_NE(WEXITSTATUS(rc), 3) << "python3-pandas is missing: run `apt-get install -y "
                                   "--no-install-recommends python3-pandas` (scripts/setup.sh)";
  ASSERT_EQ(rc, 0) << cmd;

  auto spec = nlohmann::json::parse(ReadFile(data + "/spec.json"));
  for (const auto& e : spec["entities"]) ApplyEntityJson(e.dump());
  for (const auto& v : spec["views"]) ApplyViewJson(v.dump());
  for (const auto& ingest : spec["ingests"]) {
    Ingest(ingest["view"], ReadFile(data + "/" + ingest["file"].get<std::string>()));
  }
  std::vector<std::string> refs;
  std::istringstream ref_lines(ReadFile(data + "/refs.txt"));
  for (std::string line; std::getline(ref_lines, line);) {
    if (!line.empty()) refs.push_back(line);
  }
  const std::string entities = ReadFile(data + "/entities.csv");
  const std::string expected = ReadFile(data + "/expected.csv");

  auto check = [&](const char* when) {
    std::string got = Historical(entities, refs);
    if (got == expected) return;
    // Point at the first differing line.
    std::istringstream a(got), b(expected);
    std::string la, lb;
    for (int line = 1;; ++line) {
      bool ha = static_cast<bool>(std::getline(a, la));
      bool hb = static_cast<bool>(std::getline(b, lb));
      if (!ha && !hb) break;
      if (la != lb || ha != hb) {
        ADD_FAILURE() << when << ": line " << line << "\n plinth: " << la << "\n pandas: " << lb;
        return;
      }
    }
  };
  check("before compaction");
  for (const auto& v : spec["views"]) ASSERT_OK(store_->offline().Compact(v["name"]));
  check("after compaction");

  // The data must exercise the cases it was built for.
  int64_t matched = 0, rows = 0;
  std::istringstream lines(expected);
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    ++rows;
    matched += line.back() != ',';
  }
  EXPECT_GT(rows, 1000);
  EXPECT_GT(matched, rows / 10);
}

INSTANTIATE_TEST_SUITE_P(Seeds, PandasParityTest,
                         ::testing::Values(std::make_tuple(1, size_t{65536}),
                                           std::make_tuple(2, size_t{5}),
                                           std::make_tuple(3, size_t{64})));

}  // namespace
}  // namespace plinth::features

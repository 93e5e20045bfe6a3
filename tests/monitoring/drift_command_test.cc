// `plinth drift` run in-process on files written by the test: the table, --json, the options,
// and one-line errors with the right exit codes. No server is involved.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "cli/errors.h"

namespace plinth::cli {
namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome Drift(std::vector<std::string> args) {
  args.insert(args.begin(), "drift");
  std::ostringstream out, err;
  EnvLookup no_env = [](const std::string&) { return std::optional<std::string>(); };
  int code = RunCommandLine(args, nullptr, no_env, out, err);
  return {code, out.str(), err.str()};
}

class DriftCommand : public ::testing::Test {
 protected:
  // Files are named for the test: CTest runs this suite's tests in parallel, and a shared name
  // let one test's TearDown delete another's inputs (a flaky UsageErrorsAreOneLineWithExitTwo).
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + "/plinth_drift_" +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                             "_" + name;
    std::ofstream(path) << text;
    paths_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const auto& p : paths_) std::remove(p.c_str());
  }

  std::string Reference() {
    std::string text = "age,city,score\n";
    for (int i = 0; i < 200; ++i) {
      text += std::to_string(20 + i % 40) + "," + (i % 2 ? "Paris" : "Oslo") + "," +
              std::to_string(i % 17) + ".5\n";
    }
    return Write("ref.csv", text);
  }
  std::string Current() {
    std::string text = "age,city,score\n";
    for (int i = 0; i < 150; ++i) {
      text += std::to_string(50 + i % 40) + "," + (i % 5 ? "Paris" : "Oslo") + "," +
              std::to_string(i % 17) + ".5\n";
    }
    return Write("cur.csv", text);
  }

  std::vector<std::string> paths_;
};

TEST_F(DriftCommand, PrintsOneRowPerColumnAndTheDatasetLine) {
  Outcome r = Drift({Reference(), Current()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::istringstream lines(r.out);
  std::string header, age, city, score, dataset;
  std::getline(lines, header);
  std::getline(lines, age);
  std::getline(lines, city);
  std::getline(lines, score);
  std::getline(lines, dataset);
  EXPECT_EQ(header.rfind("COLUMN  TYPE", 0), 0u) << header;
  EXPECT_NE(header.find("METHOD"), std::string::npos);
  EXPECT_NE(header.find("P-VALUE"), std::string::npos);
  EXPECT_NE(header.find("DRIFTED"), std::string::npos);
  EXPECT_EQ(age.rfind("age", 0), 0u);
  EXPECT_NE(age.find(" ks "), std::string::npos);
  EXPECT_NE(age.find("yes"), std::string::npos);
  EXPECT_NE(city.find("categorical"), std::string::npos);
  EXPECT_NE(city.find("chisquare"), std::string::npos);
  EXPECT_NE(score.find(" no"), std::string::npos);
  EXPECT_EQ(dataset, "dataset drift: yes (2 of 3 tested columns drifted; share 0.67 >= 0.50)");
}

TEST_F(DriftCommand, JsonOutputIsTheReport) {
  Outcome r = Drift({Reference(), Current(), "--json", "--columns", "score, age"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  ASSERT_EQ(report["columns"].size(), 2u);
  EXPECT_EQ(report["columns"][0]["column"], "score");
  EXPECT_EQ(report["columns"][1]["method"], "ks");
  EXPECT_EQ(report["dataset"]["tested_columns"], 2);
}

TEST_F(DriftCommand, MethodAndThresholdOptions) {
  Outcome r = Drift({Reference(), Current(), "--method", "psi", "--threshold", "5",
                     "--columns", "age", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["columns"][0]["method"], "psi");
  EXPECT_EQ(report["columns"][0]["threshold"], 5.0);
  EXPECT_TRUE(report["columns"][0]["p_value"].is_null());
}

TEST_F(DriftCommand, UsageErrorsAreOneLineWithExitTwo) {
  const std::string ref = Reference(), cur = Current();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {ref, cur, "--method", "kl"},
           {ref, cur, "--threshold", "abc"},
           {ref, cur, "--columns", "nope"},
           {ref, cur, "--columns", "age,,city"},
           {ref, cur, "--method", "ks"},  // city is categorical
           {ref, "/nonexistent/cur.csv"},
           {ref}}) {
    Outcome r = Drift(args);
    EXPECT_EQ(r.code, kExitUsage) << args.back() << ": " << r.err;
    EXPECT_EQ(r.err.rfind("plinth: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  Outcome unknown = Drift({ref, cur, "--columns", "nope"});
  EXPECT_EQ(unknown.err, "plinth: unknown column 'nope': the reference has age, city, score\n");
}

TEST_F(DriftCommand, MismatchedFilesSuggestColumns) {
  Outcome r = Drift({Reference(), Write("other.csv", "age,zip\n1,2\n")});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err,
            "plinth: the reference and current columns differ: only in the reference: city, "
            "score; only in the current data: zip (choose the columns with --columns)\n");
}

TEST_F(DriftCommand, NothingTestableReportsAndFails) {
  Outcome r = Drift({Reference(), Write("empty.csv", "age,city,score\n")});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.out.find("not tested"), std::string::npos);
  EXPECT_NE(r.out.find("note: age: the current sample is empty"), std::string::npos);
  EXPECT_NE(r.out.find("dataset drift: not determined"), std::string::npos);
  EXPECT_EQ(r.err.rfind("plinth: no column could be tested", 0), 0u) << r.err;
}

}  // namespace
}  // namespace plinth::cli

// CSV parsing and type inference for `plinth drift` and file baselines.

#include "monitoring/csv_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

namespace plinth::monitoring {
namespace {

TEST(CsvReader, InfersNumericAndCategoricalColumns) {
  auto table = ParseCsv("id,score,city\n1,0.5,Paris\n2,1e3,Oslo\n3,-2,Paris\n");
  ASSERT_TRUE(table.ok()) << table.status().message();
  ASSERT_EQ(table->rows(), 3u);
  const Column* score = table->Find("score");
  ASSERT_NE(score, nullptr);
  EXPECT_EQ(score->type, ColumnType::kNumeric);
  EXPECT_EQ(score->numbers, (std::vector<double>{0.5, 1000, -2}));
  const Column* city = table->Find("city");
  ASSERT_NE(city, nullptr);
  EXPECT_EQ(city->type, ColumnType::kCategorical);
  EXPECT_EQ(city->categories, (std::vector<std::string>{"Paris", "Oslo"}));
  EXPECT_EQ(city->codes, (std::vector<int32_t>{0, 1, 0}));
}

TEST(CsvReader, EmptyCellsAreMissingInBothKinds) {
  auto table = ParseCsv("x,y\n1,a\n,\n3,b\n");
  ASSERT_TRUE(table.ok());
  const Column* x = table->Find("x");
  EXPECT_EQ(x->type, ColumnType::kNumeric);
  EXPECT_TRUE(std::isnan(x->numbers[1]));
  EXPECT_EQ(x->missing(), 1u);
  const Column* y = table->Find("y");
  EXPECT_EQ(y->codes[1], -1);
  EXPECT_EQ(y->missing(), 1u);
}

TEST(CsvReader, NanAndInfinityParseAsMissingNumbers) {
  auto table = ParseCsv("x\n1\nnan\ninf\n-Infinity\n+2.5\n");
  ASSERT_TRUE(table.ok());
  const Column* x = table->Find("x");
  EXPECT_EQ(x->type, ColumnType::kNumeric);
  EXPECT_EQ(x->missing(), 3u);
  EXPECT_EQ(x->numbers[4], 2.5);
}

TEST(CsvReader, OneNonNumberMakesTheColumnCategoricalKeepingItsText) {
  auto table = ParseCsv("v\n1\n1.50\nn/a\n");
  ASSERT_TRUE(table.ok());
  const Column* v = table->Find("v");
  EXPECT_EQ(v->type, ColumnType::kCategorical);
  EXPECT_EQ(v->categories, (std::vector<std::string>{"1", "1.50", "n/a"}));
}

TEST(CsvReader, HandlesQuotesCrlfBomBlankLinesAndSpaces) {
  const std::string text =
      "\xEF\xBB\xBF" "name, note \r\n"
      "\"Smith, J\",\"said \"\"hi\"\"\"\r\n"
      "\r\n"
      "  Lee  ,\"two\nlines\"\r\n";
  auto table = ParseCsv(text);
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_EQ(table->ColumnNames(), "name, note");
  const Column* name = table->Find("name");
  EXPECT_EQ(name->categories, (std::vector<std::string>{"Smith, J", "Lee"}));
  const Column* note = table->Find("note");
  EXPECT_EQ(note->categories, (std::vector<std::string>{"said \"hi\"", "two\nlines"}));
}

TEST(CsvReader, AllEmptyColumnIsNumericAndMissing) {
  auto table = ParseCsv("a,b\n1,\n2,\n");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->Find("b")->type, ColumnType::kNumeric);
  EXPECT_EQ(table->Find("b")->missing(), 2u);
}

TEST(CsvReader, HeaderOnlyGivesEmptyColumns) {
  auto table = ParseCsv("a,b\n");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->rows(), 0u);
  EXPECT_EQ(table->columns().size(), 2u);
}

TEST(CsvReader, ErrorsNameTheLine) {
  EXPECT_EQ(ParseCsv("").status().message(), "the CSV is empty: it needs a header row");
  EXPECT_EQ(ParseCsv("a,b\n1,2\n3\n").status().message(), "line 3 has 1 field; the header has 2");
  EXPECT_EQ(ParseCsv("a,b\n\"x,1\n").status().message(), "line 2: a quoted field is not closed");
  EXPECT_EQ(ParseCsv("a,b\n\"x\"y,1\n").status().message(),
            "line 2: unexpected text after a quoted field");
  EXPECT_EQ(ParseCsv("a,a\n1,2\n").status().message(), "line 1: column 'a' appears twice");
  EXPECT_EQ(ParseCsv("a,,c\n1,2,3\n").status().message(), "line 1: header column 2 has no name");
  // Lines inside quoted fields count.
  EXPECT_EQ(ParseCsv("a,b\n\"x\ny\",1\n2\n").status().message(),
            "line 4 has 1 field; the header has 2");
}

TEST(CsvReader, OtherDelimiters) {
  CsvOptions options;
  options.delimiter = ';';
  auto table = ParseCsv("a;b\n1,5;x\n", options);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->Find("a")->type, ColumnType::kCategorical);  // "1,5" is not a number
}

TEST(CsvReader, ReadsFilesAndNamesUnreadablePaths) {
  const std::string path = ::testing::TempDir() + "/plinth_csv_reader_test.csv";
  {
    std::ofstream out(path);
    out << "a\n1\n2\n";
  }
  auto table = ReadCsvFile(path);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->rows(), 2u);
  std::remove(path.c_str());
  auto missing = ReadCsvFile("/nonexistent/plinth.csv");
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(),
            "cannot read /nonexistent/plinth.csv: No such file or directory");
}

}  // namespace
}  // namespace plinth::monitoring

#include "features/csv.h"

#include <gtest/gtest.h>

namespace plinth::features {
namespace {

std::vector<std::vector<std::string>> ReadAll(std::string_view text, std::string* error = nullptr) {
  CsvReader reader(text);
  std::vector<CsvField> fields;
  std::vector<std::vector<std::string>> out;
  while (reader.Next(&fields)) {
    std::vector<std::string> row;
    for (const CsvField& f : fields) row.push_back(f.is_null() ? "<null>" : std::string(f.text));
    out.push_back(row);
  }
  if (error) *error = reader.error();
  return out;
}

TEST(Csv, ReadsQuotesLineBreaksAndNulls) {
  auto rows = ReadAll("a,b,c\r\n1,\"x,y\",\"\"\n\n2,,\"say \"\"hi\"\"\"\n3,\"two\nlines\",z");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "x,y", ""}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"2", "<null>", "say \"hi\""}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"3", "two\nlines", "z"}));
}

TEST(Csv, TrailingCommaMakesAnEmptyField) {
  auto rows = ReadAll("a,b\n1,");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "<null>"}));
}

TEST(Csv, ReportsAnUnterminatedQuote) {
  std::string error;
  ReadAll("a,b\n1,\"oops\n", &error);
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
}

TEST(Csv, QuotesLikePythonCsv) {
  std::string out;
  AppendCsvField("plain", &out);
  out += '|';
  AppendCsvField("a,b", &out);
  out += '|';
  AppendCsvField("say \"hi\"", &out);
  out += '|';
  AppendCsvField("x y", &out);
  EXPECT_EQ(out, "plain|\"a,b\"|\"say \"\"hi\"\"\"|x y");
}

}  // namespace
}  // namespace plinth::features

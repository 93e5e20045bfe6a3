#include "common/row_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace plinth {
namespace {

// Every row of a reader as "line:col=value,...|error".
std::vector<std::string> ReadAll(RowReader reader) {
  std::vector<std::string> out;
  Row row;
  while (reader.Next(&row)) {
    std::string s = std::to_string(row.line) + ":";
    for (const RowCell& c : row.cells) {
      s += reader.columns()[c.column] + "=" + std::to_string(c.value).substr(0, 4) + ",";
    }
    if (!row.error.empty()) s += "|" + row.error;
    out.push_back(s);
  }
  return out;
}

TEST(RowReader, CsvRowsCarryTheirLineNumbersAndErrors) {
  std::string text = "a, b ,c\r\n1,2,3\r\n\n4,,nan\n\"5\",\"x\"\"y\",6\n7,8\n+9,1e1,\n";
  auto header = ReadCsvHeader(text);
  ASSERT_TRUE(header.ok()) << header.status().message();
  EXPECT_EQ(header->columns, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(header->body_line, 2);
  auto rows = ReadAll(RowReader::Csv(LineRange{std::string_view(text).substr(header->body_offset),
                                               header->body_line},
                                     header->columns));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0], "2:a=1.00,b=2.00,c=3.00,");
  EXPECT_EQ(rows[1], "4:a=4.00,");  // empty and nan are missing; line 3 is blank
  EXPECT_EQ(rows[2], "5:|column 'b': 'x\"y' is not a number");
  EXPECT_EQ(rows[3], "6:|has 2 fields, the header has 3");
  EXPECT_EQ(rows[4], "7:a=9.00,b=10.0,");
}

TEST(RowReader, HeaderProblemsAreRefused) {
  EXPECT_FALSE(ReadCsvHeader("").ok());
  EXPECT_FALSE(ReadCsvHeader("\n\n").ok());
  EXPECT_FALSE(ReadCsvHeader("a,,b\n").ok());
  EXPECT_FALSE(ReadCsvHeader("a,b,a\n").ok());
}

TEST(RowReader, JsonLinesAddColumnsAsTheyAppear) {
  std::string text = "{\"a\": 1, \"b\": null}\nnot json\n\n{\"c\": true, \"a\": 2}\n{\"a\": \"x\"}\n";
  RowReader reader = RowReader::Jsonl(LineRange{text, 1});
  auto rows = ReadAll(std::move(reader));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], "1:a=1.00,");
  EXPECT_EQ(rows[1], "2:|is not a JSON object");
  EXPECT_EQ(rows[2], "4:a=2.00,c=1.00,");
  EXPECT_EQ(rows[3], "5:|field 'a' is not a number");
}

TEST(RowReader, SplitLinesKeepsLineNumbersAcrossParts) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += std::to_string(i) + "\n";
  auto parts = SplitLines(text, 3, 2);
  ASSERT_EQ(parts.size(), 3u);
  std::vector<std::string> all;
  for (const LineRange& part : parts) {
    ASSERT_TRUE(part.text.empty() || part.text.back() == '\n');
    auto rows = ReadAll(RowReader::Csv(part, {"v"}));
    all.insert(all.end(), rows.begin(), rows.end());
  }
  ASSERT_EQ(all.size(), 1000u);
  EXPECT_EQ(all[0], "2:v=0.00,");
  EXPECT_EQ(all[999].substr(0, 5), "1001:");
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].substr(0, all[i].find(':')), std::to_string(i + 2));
  }
}

TEST(RowReader, FormatsAreNamedAndSniffed) {
  EXPECT_EQ(*RowFormatFromName("csv"), RowFormat::kCsv);
  EXPECT_EQ(*RowFormatFromName("ndjson"), RowFormat::kJsonl);
  EXPECT_FALSE(RowFormatFromName("xml").ok());
  EXPECT_EQ(SniffRowFormat("  \n{\"a\": 1}"), RowFormat::kJsonl);
  EXPECT_EQ(SniffRowFormat("a,b\n1,2"), RowFormat::kCsv);
}

}  // namespace
}  // namespace plinth

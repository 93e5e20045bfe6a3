#include "features/csv.h"

#include <gtest/gtest.h>

#include <random>

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

TEST(Csv, PlainRecordSplitterMatchesTheReaderOnTextWithoutQuotes) {
  // Random quote-free CSV: fields empty, short and longer than the 64-byte window, CRLF, lone
  // CR, blank lines, a trailing comma, with and without a final line end.
  std::mt19937_64 rng(29);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const int records = 1 + static_cast<int>(rng() % 40);
    for (int r = 0; r < records; ++r) {
      const int fields = 1 + static_cast<int>(rng() % 12);
      for (int f = 0; f < fields; ++f) {
        if (f > 0) text.push_back(',');
        const int len = rng() % 8 == 0 ? static_cast<int>(rng() % 150) : static_cast<int>(rng() % 9);
        for (int i = 0; i < len; ++i) text.push_back("abc123.-: xyz"[rng() % 13]);
      }
      const char* ends[] = {"\n", "\r\n", "\r", "\n\n", "\r\n\r\n"};
      if (r + 1 < records || rng() % 2) text += ends[rng() % 5];
    }
    CsvReader reader(text);
    std::vector<CsvField> want;
    std::vector<std::string_view> got(16);
    size_t pos = 0;
    while (true) {
      const bool more = reader.Next(&want);
      const size_t n = SplitPlainRecord(text, &pos, &got);
      ASSERT_EQ(n, more ? want.size() : 0u) << text;
      if (!more) break;
      for (size_t i = 0; i < n && i < got.size(); ++i) {
        ASSERT_EQ(got[i], want[i].text) << "field " << i << " of " << text;
      }
      ASSERT_EQ(pos, reader.position());
    }
  }
}

TEST(Csv, ScanLinesCountsLineEndsAndFindsQuotes) {
  // Against a byte-by-byte count, on texts of every length around the 16-byte steps.
  std::mt19937_64 rng(31);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const size_t len = rng() % 80;
    for (size_t i = 0; i < len; ++i) text.push_back("ab,\n\r\"x"[rng() % (round % 2 ? 7 : 6)]);
    size_t want = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      want += text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'));
    }
    if (!text.empty() && text.back() != '\n') ++want;
    const LineScan scan = ScanLines(text);
    ASSERT_EQ(scan.lines, want) << text;
    ASSERT_EQ(scan.quotes, text.find('"') != std::string::npos) << text;
  }
  EXPECT_EQ(ScanLines("").lines, 0u);
  EXPECT_EQ(ScanLines("a\r\nb\rc\n").lines, 3u);
  EXPECT_EQ(ScanLines("a\nb").lines, 2u);
}

}  // namespace
}  // namespace plinth::features

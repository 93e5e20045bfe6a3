// CsvTextBatch: a CSV batch whose cells are read as the segment is built must store, count and
// refuse exactly what the parsed batch (ParseBatch) does.
#include "features/csv_text_batch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "features/definitions.h"
#include "features/offline_store.h"
#include "feature_test_util.h"

namespace plinth::features {
namespace {

// Every kind of feature, rules that the random data below keeps, and a string join key.
FeatureView View(const std::string& key_type) {
  FeatureView v = *FeatureViewFromJson(R"({"name": "v", "entities": ["e"], "features": [
      {"name": "x", "type": "float"},
      {"name": "n", "type": "int", "rules": {"min": -1000, "max": 1000}},
      {"name": "b", "type": "bool"},
      {"name": "s", "type": "string", "rules": {"allowed_values": ["red", "green", "", "blue"]}},
      {"name": "y", "type": "float", "rules": {"not_null": true, "min": 0}}]})");
  v.version = 1;
  v.join_keys = {{"id", key_type == "int" ? ValueType::kInt : ValueType::kString}};
  return v;
}

// A random valid batch: columns in a shuffled order, nulls, duplicates of (id, time), floats
// written in several styles, and the line-end style and last line given.
std::string RandomCsv(std::mt19937_64& rng, size_t rows, const std::string& line_end,
                      bool last_line_end) {
  std::vector<std::string> columns = {"id", "event_timestamp", "x", "n", "b", "s", "y"};
  std::shuffle(columns.begin(), columns.end(), rng);
  std::ostringstream out;
  for (size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << columns[c];
  out << line_end;
  const char* strings[] = {"red", "green", "", "blue"};
  for (size_t r = 0; r < rows; ++r) {
    const int id = static_cast<int>(rng() % 40);
    const int ts = static_cast<int>(rng() % 50);  // few times per id: duplicates
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c) out << ",";
      const std::string& col = columns[c];
      const bool null = rng() % 7 == 0;
      if (col == "id") {
        out << id;
      } else if (col == "event_timestamp") {
        out << (1700000000 + ts);
      } else if (col == "x" && !null) {
        switch (rng() % 5) {
          case 0: out << static_cast<int>(rng() % 2000) - 1000; break;
          case 1: out << (static_cast<double>(rng() % 2000000) - 1e6) / 1e4; break;
          case 2: out << "1.5e-3"; break;
          case 3: out << "123456789.123456789"; break;
          default: out << "-0.000012345678901"; break;
        }
      } else if (col == "n" && !null) {
        out << static_cast<int>(rng() % 2001) - 1000;
      } else if (col == "b" && !null) {
        out << (rng() % 2 ? "true" : "0");
      } else if (col == "s" && !null) {
        out << strings[rng() % 4];
      } else if (col == "y") {
        out << (rng() % 100000) / 100.0;
      }
    }
    if (r + 1 < rows || last_line_end) out << line_end;
    if (rng() % 50 == 0) out << line_end;  // a blank line
  }
  return out.str();
}

class CsvTextBatchTest : public ::testing::Test {
 protected:
  // Small blocks: many of them, gathered by both threads.
  std::unique_ptr<OfflineStore> Open(const std::string& name, size_t block_rows) {
    OfflineStoreOptions o;
    o.dir = dir_.path() + "/" + name;
    o.block_rows = block_rows;
    auto s = OfflineStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }
  static IngestRecord Record() { return {"i1", "v", 1, "t", 1, 1, "{}"}; }

  static std::string FileBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // Writes `csv` through a parsed batch and through a CsvTextBatch into two fresh stores, and
  // expects the same segment file byte for byte and the same statistics.
  void ExpectSameAsParsed(const FeatureView& view, const std::string& csv,
                          size_t block_rows = 64) {
    ASSERT_OK_AND_ASSIGN(FeatureBatch parsed, ParseBatch(view, BatchFormat::kCsv, csv));
    ASSERT_OK_AND_ASSIGN(auto text, CsvTextBatch::Read(view, csv, ParseOptions()));
    EXPECT_EQ(text->rows(), parsed.rows);
    const std::string a = "parsed" + std::to_string(cases_), b = "text" + std::to_string(cases_);
    ++cases_;
    auto parsed_store = Open(a, block_rows);
    auto text_store = Open(b, block_rows);
    ASSERT_OK(parsed_store->Write("v", parsed, Record()));
    IngestStats stats;
    ASSERT_OK(text_store->Write("v", *text, [&] {
      stats = text->stats();
      return Record();
    }));
    EXPECT_FALSE(text->failed());
    // The same rows, blocks and encodings: the segment files are equal byte for byte.
    const std::string file = "/views/v/" + parsed_store->Snapshot("v")->entries[0].file;
    ASSERT_EQ(file, "/views/v/" + text_store->Snapshot("v")->entries[0].file);
    EXPECT_EQ(FileBytes(dir_.path() + "/" + a + file), FileBytes(dir_.path() + "/" + b + file));
    EXPECT_GT(parsed_store->Snapshot("v")->segments[0]->blocks().size(), 4u);

    const IngestStats want = ComputeStats(parsed);
    ASSERT_EQ(stats.rows, want.rows);
    ASSERT_EQ(stats.features.size(), want.features.size());
    for (size_t f = 0; f < want.features.size(); ++f) {
      const FeatureStats &got = stats.features[f], &exp = want.features[f];
      EXPECT_EQ(got.name, exp.name);
      EXPECT_EQ(got.count, exp.count) << exp.name;
      EXPECT_EQ(got.nulls, exp.nulls) << exp.name;
      EXPECT_EQ(got.min, exp.min) << exp.name;
      EXPECT_EQ(got.max, exp.max) << exp.name;
      ASSERT_EQ(got.mean.has_value(), exp.mean.has_value()) << exp.name;
      if (exp.mean) {
        EXPECT_NEAR(*got.mean, *exp.mean, 1e-9 * (1 + std::fabs(*exp.mean)));
      }
    }
  }

  testing::TestDir dir_;
  int cases_ = 0;
};

TEST_F(CsvTextBatchTest, WritesTheSegmentAndStatsThatTheParsedBatchGives) {
  std::mt19937_64 rng(11);
  for (const std::string key_type : {"int", "string"}) {
    for (const std::string line_end : {"\n", "\r\n"}) {
      for (bool last_line_end : {true, false}) {
        SCOPED_TRACE(key_type + " key, line end " + (line_end == "\n" ? "LF" : "CRLF") +
                     (last_line_end ? "" : ", none after the last line"));
        ExpectSameAsParsed(View(key_type), RandomCsv(rng, 1000, line_end, last_line_end));
      }
    }
  }
}

// Blocks whose floats are all plain decimals are encoded from the places the parser saw (no
// search): the same bytes, including around -0 (not a decimal to the codec), values too large
// for it, and trailing zeros.
TEST_F(CsvTextBatchTest, DecimalPlacesFromTheParserEncodeAsTheSearchDoes) {
  const std::vector<std::vector<std::string>> blocks = {
      {"1.25", "-3", "0.5", "12.50", "7", "-0.125", "100", "0"},
      {"1e-3", "2.5E2", "0.0001", "-42.1", "5", "6", "7", "8"},
      {"12.50", "1.5", "2", "3.10", "4.000", "5", "6", "7"},
      {"1.5", "-0.0", "2", "3", "4", "5", "6", "7"},
      {"1.5", "3000000000000000", "2", "3", "4", "5", "6", "7"},
      {"0.123456789", "1", "2", "3", "4", "5", "6", "7"},
      {"0.1234567891", "1", "2", "3", "4", "5", "6", "7"},
      {"", "1.5", "", "2.25", "", "", "", ""}};
  std::string csv = "id,event_timestamp,x,n,b,s,y\n";
  int row = 0;
  for (const auto& block : blocks) {
    for (const std::string& x : block) {
      csv += std::to_string(row) + ",1700000000," + x + ",1,true,red,1\n";
      ++row;
    }
  }
  ExpectSameAsParsed(View("int"), csv, /*block_rows=*/8);
}

// A failing cell stops the build: nothing is written, and the store answers with ParseBatch's
// report (the first failures in row order), including failures in rows the segment would have
// left out as earlier duplicates.
class CsvTextIngestTest : public FeatureStoreTest {
 protected:
  void SetUp() override {
    FeatureStoreTest::SetUp();
    ApplyEntityJson(R"({"name": "e", "join_keys": [{"name": "id", "type": "int"}]})");
    FeatureView view = View("int");
    auto r = store_->registry().ApplyFeatureView(actor_, view, {false, false});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_OK_AND_ASSIGN(view_, store_->registry().GetFeatureView("v"));
  }

  // Ingests through the store and checks the answer is ParseBatch's and nothing was written.
  void ExpectRefusedAsParseBatchRefuses(const std::string& csv) {
    auto parsed = ParseBatch(view_, BatchFormat::kCsv, csv);
    ASSERT_FALSE(parsed.ok());
    auto ingested = store_->Ingest(actor_, "v", BatchFormat::kCsv, csv);
    ASSERT_FALSE(ingested.ok());
    EXPECT_EQ(ingested.status().code(), parsed.status().code());
    EXPECT_EQ(ingested.status().message(), parsed.status().message());
    EXPECT_EQ(ingested.status().details_json(), parsed.status().details_json());
    auto snap = store_->offline().Snapshot("v");
    EXPECT_TRUE(snap == nullptr || snap->entries.empty());
    EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/offline/views/v") ||
                !std::filesystem::exists(dir_.path() + "/offline/views/v/MANIFEST"));
  }

  FeatureView view_;
};

TEST_F(CsvTextIngestTest, RefusesWhatParseBatchRefusesAndWritesNothing) {
  std::mt19937_64 rng(5);
  const std::string good = RandomCsv(rng, 3000, "\n", true);
  // Cells that fail, each in a copy of the good batch: a rule, a type, a null for not_null, a
  // float with text after it, a string not allowed, and 150 failures (the report keeps 100).
  auto header_index = [&](const std::string& name) {
    std::string header = good.substr(0, good.find('\n'));
    std::stringstream ss(header);
    int i = 0;
    for (std::string col; std::getline(ss, col, ','); ++i) {
      if (col == name) return i;
    }
    return -1;
  };
  auto with_cell = [&](const std::string& csv, size_t row, const std::string& column,
                       const std::string& value) {
    std::vector<std::string> lines;  // without the blank ones
    std::stringstream ss(csv);
    for (std::string line; std::getline(ss, line);) {
      if (!line.empty()) lines.push_back(line);
    }
    std::string& line = lines.at(row);  // row 0 is the header
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) cells.push_back(cell);
    if (line.back() == ',') cells.push_back("");
    cells[header_index(column)] = value;
    line.clear();
    for (size_t c = 0; c < cells.size(); ++c) line += (c ? "," : "") + cells[c];
    std::string out;
    for (const std::string& l : lines) out += l + "\n";
    return out;
  };
  ExpectRefusedAsParseBatchRefuses(with_cell(good, 2500, "n", "1001"));
  ExpectRefusedAsParseBatchRefuses(with_cell(good, 17, "n", "12.5"));
  ExpectRefusedAsParseBatchRefuses(with_cell(good, 2999, "y", ""));
  ExpectRefusedAsParseBatchRefuses(with_cell(good, 1200, "x", "1.5x"));
  ExpectRefusedAsParseBatchRefuses(with_cell(good, 1201, "x", "123456789.123456789e"));
  ExpectRefusedAsParseBatchRefuses(with_cell(good, 300, "s", "purple"));
  ExpectRefusedAsParseBatchRefuses(with_cell(good, 301, "b", "yes"));
  std::string many = good;
  for (size_t row = 3000; row > 2850; --row) many = with_cell(many, row, "y", "-1");
  ExpectRefusedAsParseBatchRefuses(many);
  // Keys and times fail in the first pass; field counts too.
  ExpectRefusedAsParseBatchRefuses(with_cell(good, 40, "id", "x"));
  ExpectRefusedAsParseBatchRefuses(with_cell(good, 41, "event_timestamp", "yesterday"));
  ExpectRefusedAsParseBatchRefuses(good + "1,1700000000,1\n");

  // A not_null feature without a column.
  ExpectRefusedAsParseBatchRefuses("id,event_timestamp,x\n1,1700000000,1.5\n2,1700000000,2\n");

  // A failing cell in a row that a later row with the same key and time replaces.
  const std::string dup =
      "id,event_timestamp,x,n,b,s,y\n"
      "1,1700000000,1.5,3,true,red,-4\n"
      "2,1700000000,2.5,3,true,red,4\n"
      "1,1700000000,1.5,3,true,red,4\n";
  ExpectRefusedAsParseBatchRefuses(dup);

  // And the good batch is taken, with its stats.
  ASSERT_OK_AND_ASSIGN(IngestResult result, store_->Ingest(actor_, "v", BatchFormat::kCsv, good));
  ASSERT_OK_AND_ASSIGN(FeatureBatch parsed, ParseBatch(view_, BatchFormat::kCsv, good));
  EXPECT_EQ(result.record.rows, static_cast<int64_t>(parsed.rows));
  EXPECT_EQ(result.stats.features[1].min, ComputeStats(parsed).features[1].min);
  EXPECT_EQ(store_->offline().Snapshot("v")->entries.size(), 1u);
}

// Randomly damaged batches (bytes changed, inserted, deleted, the body cut short): the store's
// answer is ParseBatch's every time, and what it takes it takes whole.
TEST_F(CsvTextIngestTest, DamagedBatchesGetParseBatchsAnswer) {
  std::mt19937_64 rng(23);
  const std::string alphabet = ",\n\r\"-+.e0123456789 xE";
  int taken = 0, refused = 0;
  for (int it = 0; it < 400; ++it) {
    std::string csv = "id,event_timestamp,x,n,b,s,y\n";
    const int rows = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < rows; ++i) {
      csv += std::to_string(rng() % 20) + "," + std::to_string(1700000000 + rng() % 30) + "," +
             std::to_string(static_cast<int>(rng() % 20000) - 10000) + "." +
             std::to_string(rng() % 10000) + "," + std::to_string(static_cast<int>(rng() % 300) - 50) +
             "," + (rng() % 2 ? "true" : "0") + "," + (rng() % 2 ? "red" : "blue") + "," +
             std::to_string(rng() % 999) + "." + std::to_string(rng() % 100) + "\n";
    }
    for (int m = static_cast<int>(rng() % 4); m > 0; --m) {
      const size_t at = rng() % csv.size();
      switch (rng() % 4) {
        case 0: csv[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: csv.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        case 2: csv.erase(at, 1 + rng() % 3); break;
        default: csv.resize(at + 1); break;
      }
    }
    SCOPED_TRACE(csv);
    auto parsed = ParseBatch(view_, BatchFormat::kCsv, csv);
    const size_t before = store_->offline().Snapshot("v") ? store_->offline().Snapshot("v")->rows() : 0;
    auto ingested = store_->Ingest(actor_, "v", BatchFormat::kCsv, csv);
    ASSERT_EQ(ingested.ok(), parsed.ok());
    if (!parsed.ok()) {
      ASSERT_EQ(ingested.status().message(), parsed.status().message());
      ASSERT_EQ(ingested.status().details_json(), parsed.status().details_json());
      ASSERT_EQ(store_->offline().Snapshot("v") ? store_->offline().Snapshot("v")->rows() : 0,
                before);
      ++refused;
    } else {
      ASSERT_EQ(ingested->record.rows, static_cast<int64_t>(parsed->rows));
      ++taken;
    }
  }
  EXPECT_GT(taken, 50);  // both kinds of answer are exercised
  EXPECT_GT(refused, 50);
}

TEST(CsvTextBatch, QuotedCsvIsLeftToParseBatch) {
  FeatureView view = View("string");
  const std::string csv = "id,event_timestamp,x,n,b,s,y\n\"a,b\",1700000000,1,1,true,red,1\n";
  auto text = CsvTextBatch::Read(view, csv, ParseOptions());
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(ParseBatch(view, BatchFormat::kCsv, csv).ok());
}

}  // namespace
}  // namespace plinth::features

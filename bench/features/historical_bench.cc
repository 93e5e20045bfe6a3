// plinth's side of the feature store benchmarks (bench/features/historical_join.py and
// bench/features/memory_bound.py run it beside their peers). Uses the feature store library in
// process, as the server will: a SQLite metadata store, FeatureStore::Ingest of feature CSVs,
// then GetHistoricalFeatures for an entity CSV, written as CSV to --out.
//
//   plinth_bench_features_historical --work DIR
//       [--features F.csv | --ingest VIEW:F1.csv[,F2.csv...] ...]   (--features F: --ingest stats:F)
//       [--entities E.csv --out O.csv] [--ttl-seconds 86400] [--threads 2] [--rounds 1]
//       [--skip-ingest 1]   (reuse the store an earlier run left in DIR/round-0)
//
// Each feature CSV's header is entity_id,event_timestamp,<features...> (all float); a view is
// defined per VIEW from its first file's header, with entity "entity" (entity_id int). Each round
// uses a fresh store under DIR and prints one JSON line:
//   {"round": 0, "ingest_s": .., "historical_s": .., "historical_read_s": .., "historical_join_s":
//    .., "historical_write_s": .., "rows_in": .., "rows_out": .., "segment_bytes": ..,
//    "max_rss_mb": ..}
// ingest_s counts mapping the files and the durable ingests, not unmapping each file after its
// ingest (the client's buffer, freed after the reply: the peer's timing does not count freeing its
// data frames either); historical_s counts reading the
// entity file, parsing, the join (every feature of every view), and writing the output file.
// max_rss_mb is the process's peak resident set (getrusage).

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "storage/sqlite/sqlite_metadata_store.h"

namespace {

using namespace plinth;
using namespace plinth::features;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "plinth_bench_features_historical: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString() + " " + s.details_json());
}

std::string ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die("cannot open " + path);
  std::string out(static_cast<size_t>(std::filesystem::file_size(path)), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n <= 0) Die("cannot read " + path);
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return out;
}

// The file mapped read-only (the page cache, no copy), as a client's upload buffer would be.
std::string_view MapFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die("cannot open " + path);
  size_t size = static_cast<size_t>(std::filesystem::file_size(path));
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) Die("cannot map " + path);
  ::madvise(p, size, MADV_SEQUENTIAL);
  return std::string_view(static_cast<const char*>(p), size);
}

std::vector<std::string> HeaderOf(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string col; std::getline(ss, col, ',');) out.push_back(col);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args = {{"--ttl-seconds", "86400"},
                                             {"--threads", "2"},
                                             {"--rounds", "1"}};
  std::vector<std::pair<std::string, std::vector<std::string>>> ingests;  // view -> files
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--ingest") {
      size_t colon = value.find(':');
      if (colon == std::string::npos) Die("--ingest wants VIEW:FILE[,FILE...]");
      std::vector<std::string> files;
      std::stringstream ss(value.substr(colon + 1));
      for (std::string f; std::getline(ss, f, ',');) files.push_back(f);
      ingests.push_back({value.substr(0, colon), files});
    } else {
      args[flag] = value;
    }
  }
  if (args.count("--features")) ingests.push_back({"stats", {args["--features"]}});
  if (!args.count("--work")) Die("missing --work");
  if (ingests.empty()) Die("nothing to ingest: give --features or --ingest");
  const bool skip_ingest = args.count("--skip-ingest") && args["--skip-ingest"] == "1";
  const bool historical = args.count("--entities") && args.count("--out");
  const int threads = std::stoi(args["--threads"]);
  const int rounds = std::stoi(args["--rounds"]);
  auth::Principal actor{"bench", "bench", auth::Role::kAdmin};

  // Views and refs, from each view's first file.
  std::vector<std::string> view_json;
  std::vector<std::string> refs;
  for (const auto& [view, files] : ingests) {
    std::vector<std::string> header = HeaderOf(files[0]);
    if (header.size() < 3 || header[0] != "entity_id" || header[1] != "event_timestamp") {
      Die("the feature CSV must start with entity_id,event_timestamp");
    }
    std::string json = R"({"name": ")" + view + R"(", "entities": ["entity"], "ttl_seconds": )" +
                       args["--ttl-seconds"] + R"(, "features": [)";
    for (size_t i = 2; i < header.size(); ++i) {
      if (i > 2) json += ",";
      json += R"({"name": ")" + header[i] + R"(", "type": "float"})";
      refs.push_back(view + ":" + header[i]);
    }
    view_json.push_back(json + "]}");
  }

  for (int round = 0; round < rounds; ++round) {
    std::string dir = args["--work"] + "/round-" + std::to_string(skip_ingest ? 0 : round);
    if (!skip_ingest) {
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
    }
    auto meta = storage::SqliteMetadataStore::Open({dir + "/meta.db"});
    if (!meta.ok()) Die(meta.status().ToString());
    Check(auth::AuditLog(**meta).InitSchema(), "audit schema");
    FeatureStoreOptions options;
    options.metadata = meta->get();
    options.offline_dir = dir + "/offline";
    options.threads = threads;
    auto store_or = FeatureStore::Open(options);
    if (!store_or.ok()) Die(store_or.status().ToString());
    auto& store = *store_or;
    Check(store->registry()
              .ApplyEntity(actor, *EntityFromJson(
                                      R"({"name": "entity", "join_keys": [{"name": "entity_id", "type": "int"}]})"))
              .status(),
          "entity");
    for (const std::string& json : view_json) {
      Check(store->registry().ApplyFeatureView(actor, *FeatureViewFromJson(json)).status(), "view");
    }

    auto t0 = Clock::now();
    int64_t rows_in = 0;
    double unmap_s = 0;
    if (!skip_ingest) {
      for (const auto& [view, files] : ingests) {
        for (const std::string& file : files) {
          std::string_view body = MapFile(file);
          auto ingested = store->Ingest(actor, view, BatchFormat::kCsv, body);
          Check(ingested.status(), "ingest");
          rows_in += ingested->record.rows;
          auto unmap_start = Clock::now();
          ::munmap(const_cast<char*>(body.data()), body.size());
          unmap_s += Seconds(unmap_start, Clock::now());
        }
      }
    }
    auto t1 = Clock::now();
    uint64_t segment_bytes = 0;
    for (const auto& [view, files] : ingests) segment_bytes += store->offline().Snapshot(view)->bytes();

    double read_s = 0, join_s = 0, write_s = 0;
    size_t rows_out = 0;
    if (historical) {
      auto t2 = Clock::now();
      auto table = EntityTable::FromCsv(ReadFile(args["--entities"]), threads);
      Check(table.status(), "entity rows");
      auto t3 = Clock::now();
      HistoricalOptions hopts;
      hopts.threads = threads;
      hopts.full_feature_names = ingests.size() > 1;
      auto set = store->GetHistoricalFeatures(std::move(table).value(), refs, hopts);
      Check(set.status(), "historical");
      auto t4 = Clock::now();
      int fd = ::open(args["--out"].c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) Die("cannot write " + args["--out"]);
      Check(set->WriteCsv(
                [fd](std::string_view piece) -> Status {
                  size_t done = 0;
                  while (done < piece.size()) {
                    ssize_t n = ::write(fd, piece.data() + done, piece.size() - done);
                    if (n <= 0) return Internal("write failed");
                    done += static_cast<size_t>(n);
                  }
                  return Status::Ok();
                },
                threads),
            "write");
      ::close(fd);
      auto t5 = Clock::now();
      read_s = Seconds(t2, t3);
      join_s = Seconds(t3, t4);
      write_s = Seconds(t4, t5);
      rows_out = set->num_rows();
    }

    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "{\"round\": %d, \"ingest_s\": %.4f, \"historical_s\": %.4f, \"historical_read_s\": %.4f, "
        "\"historical_join_s\": %.4f, \"historical_write_s\": %.4f, \"rows_in\": %lld, "
        "\"rows_out\": %zu, \"segment_bytes\": %llu, \"max_rss_mb\": %.1f}\n",
        round, Seconds(t0, t1) - unmap_s, read_s + join_s + write_s, read_s, join_s, write_s,
        static_cast<long long>(rows_in), rows_out, static_cast<unsigned long long>(segment_bytes),
        usage.ru_maxrss / 1024.0);
    std::fflush(stdout);
  }
  return 0;
}

// In-process online lookups: one entity x 10 features through OnlineStore::Read (what
// POST /api/v1/features/online and an endpoint with features do per request, minus HTTP), on
// RocksDB with 10,000 zones pushed. Google Benchmark; bench/features/online_bench.py runs it.
//
//   build/bench/plinth_bench_online [--benchmark_min_time=2]
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <unistd.h>

#include "auth/audit_log.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "storage/rocksdb/rocksdb_kv_store.h"
#include "storage/sqlite/sqlite_metadata_store.h"

namespace {

using namespace plinth;

constexpr int kZones = 10000;
constexpr int kFeatures = 10;

struct Fixture {
  std::string dir;
  std::unique_ptr<storage::SqliteMetadataStore> meta;
  std::unique_ptr<storage::RocksDbKvStore> kv;
  std::unique_ptr<features::FeatureStore> store;
  std::vector<std::string> ref_text;
  std::vector<std::string_view> refs;

  Fixture() {
    dir = (std::filesystem::temp_directory_path() /
           ("plinth-online-bench-" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    meta = std::move(storage::SqliteMetadataStore::Open({dir + "/meta.db"})).value();
    (void)auth::AuditLog(*meta).InitSchema();
    kv = std::move(storage::RocksDbKvStore::Open({.dir = dir + "/online"})).value();
    features::FeatureStoreOptions options;
    options.metadata = meta.get();
    options.offline_dir = dir + "/offline";
    options.online_kv = kv.get();
    store = std::move(features::FeatureStore::Open(options)).value();
    auth::Principal actor{"bench", "bench", auth::Role::kAdmin};
    (void)store->registry().ApplyEntity(
        actor, *features::EntityFromJson(R"({"name": "zone", "join_keys": [{"name": "zone_id", "type": "int"}]})"));
    std::string view = R"({"name": "zone_stats", "entities": ["zone"], "ttl_seconds": 0, "features": [)";
    std::string csv = "zone_id,event_timestamp";
    for (int f = 0; f < kFeatures; ++f) {
      view += std::string(f ? "," : "") + R"({"name": "f)" + std::to_string(f) + R"(", "type": "float"})";
      csv += ",f" + std::to_string(f);
      ref_text.push_back("zone_stats:f" + std::to_string(f));
    }
    view += "]}";
    (void)store->registry().ApplyFeatureView(actor, *features::FeatureViewFromJson(view));
    csv += "\n";
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(0, 100);
    for (int z = 0; z < kZones; ++z) {
      csv += std::to_string(z) + ",1700000000000";
      for (int f = 0; f < kFeatures; ++f) csv += "," + std::to_string(u(rng));
      csv += "\n";
    }
    auto pushed = store->Push(actor, "zone_stats", features::BatchFormat::kCsv, csv);
    if (!pushed.ok()) std::abort();
    for (const auto& r : ref_text) refs.push_back(r);
  }
  ~Fixture() {
    store.reset();
    kv.reset();
    meta.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture& TheFixture() {
  static Fixture f;
  return f;
}

void BM_OnlineRead_1Entity10Features(benchmark::State& state) {
  Fixture& f = TheFixture();
  features::OnlineEntities entities;
  entities.names = {"zone_id"};
  entities.columns.resize(1);
  entities.rows = 1;
  std::vector<std::string> ids;
  for (int z = 0; z < kZones; ++z) ids.push_back(std::to_string(z));
  features::OnlineResult result;
  size_t i = 0, present = 0;
  for (auto _ : state) {
    entities.columns[0].assign(1, std::string_view(ids[i++ % kZones]));
    Status st = f.store->online()->Read(f.refs, entities, 1700000000001, &result);
    if (!st.ok()) state.SkipWithError(st.message().c_str());
    present += result.Cell(0, 0).status == features::FeatureStatus::kPresent;
    benchmark::DoNotOptimize(result.cells.data());
  }
  if (present != static_cast<size_t>(state.iterations())) state.SkipWithError("a value was missing");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OnlineRead_1Entity10Features);

void BM_OnlineRead_100Entities10Features(benchmark::State& state) {
  Fixture& f = TheFixture();
  features::OnlineEntities entities;
  entities.names = {"zone_id"};
  entities.columns.resize(1);
  entities.rows = 100;
  std::vector<std::string> ids;
  for (int z = 0; z < kZones; ++z) ids.push_back(std::to_string(z));
  features::OnlineResult result;
  size_t i = 0;
  for (auto _ : state) {
    entities.columns[0].clear();
    for (int k = 0; k < 100; ++k) entities.columns[0].push_back(ids[(i++ * 7919) % kZones]);
    Status st = f.store->online()->Read(f.refs, entities, 1700000000001, &result);
    if (!st.ok()) state.SkipWithError(st.message().c_str());
    benchmark::DoNotOptimize(result.cells.data());
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_OnlineRead_100Entities10Features);

}  // namespace

BENCHMARK_MAIN();

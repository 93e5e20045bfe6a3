// The compiled tree evaluator against XGBoost's own C API, in process, with Google Benchmark.
//
//   build/bench/plinth_bench_evaluator --model model.json [--benchmark_format=json]
//
// bench/serving/evaluator_bench.py trains the model (200 trees, depth 6, 20 features,
// regression), runs this and prints the ratio. Before timing, the compiled evaluator's outputs
// are checked to be bitwise equal to XGBoosterPredictFromDense's on 10,000 rows (with missing
// values); the program exits 1 if they are not. Also timed: BatchPredict (the engine of batch
// jobs) over CSV text of 200,000 rows on 1 and 2 threads, parsing included.

#include <benchmark/benchmark.h>
#include <xgboost/c_api.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "serving/batch_predict.h"
#include "serving/compiled_trees_runtime.h"

namespace {

using plinth::serving::CompiledTreesRuntime;

constexpr const char* kInplaceConfig =
    R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,)"
    R"("strict_shape":false,"cache_id":0,"missing":NaN})";

std::string g_model_bytes;
std::unique_ptr<CompiledTreesRuntime> g_compiled;
BoosterHandle g_booster = nullptr;
size_t g_features = 0;
std::vector<float> g_rows;  // kRows random rows, some values missing
constexpr size_t kRows = 10000;

int XgbPredict(const float* rows, size_t n, const float** out) {
  char array_interface[256];
  std::snprintf(array_interface, sizeof(array_interface),
                R"({"data":[%zu,true],"shape":[%zu,%zu],"typestr":"<f4","version":3})",
                reinterpret_cast<size_t>(rows), n, g_features);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  return XGBoosterPredictFromDense(g_booster, array_interface, kInplaceConfig, nullptr, &shape,
                                   &dim, out);
}

void BM_CompiledOneRow(benchmark::State& state) {
  float out = 0;
  size_t i = 0;
  for (auto _ : state) {
    (void)g_compiled->Predict(g_rows.data() + (i % kRows) * g_features, 1, g_features, &out);
    benchmark::DoNotOptimize(out);
    ++i;
  }
}
BENCHMARK(BM_CompiledOneRow);

void BM_XgboostOneRow(benchmark::State& state) {
  const float* out = nullptr;
  size_t i = 0;
  for (auto _ : state) {
    XgbPredict(g_rows.data() + (i % kRows) * g_features, 1, &out);
    benchmark::DoNotOptimize(out);
    ++i;
  }
}
BENCHMARK(BM_XgboostOneRow);

void BM_CompiledBatch1024(benchmark::State& state) {
  std::vector<float> out(1024);
  for (auto _ : state) {
    (void)g_compiled->Predict(g_rows.data(), 1024, g_features, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_CompiledBatch1024);

void BM_XgboostBatch1024(benchmark::State& state) {
  const float* out = nullptr;
  for (auto _ : state) {
    XgbPredict(g_rows.data(), 1024, &out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_XgboostBatch1024);

// CSV text of n rows: a header f0..f{k-1}, values with 6 significant digits, 2% missing.
std::string MakeCsv(size_t n) {
  std::mt19937_64 rng(11);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> uniform;
  std::string text;
  for (size_t f = 0; f < g_features; ++f) text += (f ? ",f" : "f") + std::to_string(f);
  text += "\n";
  char buf[32];
  for (size_t r = 0; r < n; ++r) {
    for (size_t f = 0; f < g_features; ++f) {
      if (f) text += ',';
      if (uniform(rng) < 0.02f) continue;
      int len = std::snprintf(buf, sizeof(buf), "%.6g", normal(rng));
      text.append(buf, static_cast<size_t>(len));
    }
    text += '\n';
  }
  return text;
}

void BM_BatchPredictCsv(benchmark::State& state) {
  static const std::string csv = MakeCsv(200000);
  plinth::serving::LoadedModel model;
  model.model = "bench";
  model.version = 1;
  auto compiled = CompiledTreesRuntime::Load(g_model_bytes);
  model.runtime = std::move(compiled).value();
  for (size_t f = 0; f < g_features; ++f) model.feature_index["f" + std::to_string(f)] = f;
  plinth::serving::BatchPredictOptions options;
  options.threads = static_cast<int>(state.range(0));
  options.variant = "a";
  int64_t rows = 0;
  for (auto _ : state) {
    auto result = plinth::serving::BatchPredict(model, csv, options);
    if (!result.ok()) {
      state.SkipWithError(result.status().message().c_str());
      return;
    }
    rows += result->rows;
    benchmark::DoNotOptimize(result->csv.data());
  }
  state.SetItemsProcessed(rows);
}
BENCHMARK(BM_BatchPredictCsv)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

bool CheckBitwiseEqual() {
  std::vector<float> compiled(kRows);
  if (!g_compiled->Predict(g_rows.data(), kRows, g_features, compiled.data()).ok()) return false;
  const float* xgb = nullptr;
  if (XgbPredict(g_rows.data(), kRows, &xgb) != 0) return false;
  for (size_t i = 0; i < kRows; ++i) {
    if (std::memcmp(&compiled[i], &xgb[i], sizeof(float)) != 0) {
      std::fprintf(stderr, "row %zu: compiled %.9g, xgboost %.9g\n", i, compiled[i], xgb[i]);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "usage: %s --model model.json [benchmark flags]\n", argv[0]);
    return 2;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  g_model_bytes = ss.str();
  auto compiled = CompiledTreesRuntime::Load(g_model_bytes);
  if (!compiled.ok()) {
    std::fprintf(stderr, "cannot compile %s: %s\n", path.c_str(), compiled.status().message().c_str());
    return 1;
  }
  g_compiled = std::move(compiled).value();
  g_features = g_compiled->input_signature().num_features;
  if (XGBoosterCreate(nullptr, 0, &g_booster) != 0 ||
      XGBoosterLoadModelFromBuffer(g_booster, g_model_bytes.data(), g_model_bytes.size()) != 0 ||
      XGBoosterSetParam(g_booster, "nthread", "1") != 0) {
    std::fprintf(stderr, "xgboost cannot load %s: %s\n", path.c_str(), XGBGetLastError());
    return 1;
  }
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> uniform;
  g_rows.resize(kRows * g_features);
  for (float& v : g_rows) v = uniform(rng) < 0.05f ? std::nanf("") : normal(rng);
  if (!CheckBitwiseEqual()) {
    std::fprintf(stderr, "compiled-trees and xgboost disagree\n");
    return 1;
  }
  std::fprintf(stderr, "compiled-trees equals XGBoosterPredictFromDense bitwise on %zu rows "
               "(%zu trees, %zu features)\n", kRows, g_compiled->num_trees(), g_features);
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  XGBoosterFree(g_booster);
  return 0;
}

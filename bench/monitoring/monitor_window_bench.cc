// How a monitor's window scales: captures are read in chunks into profiles, so memory must not
// grow with the window. Writes N captured predictions (one-row requests of the demo's four
// features) into a fresh SQLite store, then profiles a window of N/10 rows and one of N rows
// exactly as a monitor run does (ScanCaptures + WindowProfiler + DetectProfileDrift), printing
// for each the time, rows/s and the peak resident memory during the scan (VmHWM, reset before
// each scan through /proc/self/clear_refs).
//
// Usage: plinth_bench_monitor_window [N=1000000]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "monitoring/capture_scan.h"
#include "monitoring/profile_drift.h"
#include "monitoring/window_profiler.h"
#include "serving/capture_log.h"
#include "storage/sqlite/sqlite_metadata_store.h"

namespace {

using namespace plinth;

long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return -1;
}

void ResetPeak() { std::ofstream("/proc/self/clear_refs") << "5"; }

int Fail(const Status& st) {
  std::fprintf(stderr, "%s\n", st.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const auto dir = std::filesystem::temp_directory_path() / ("plinth-monbench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto store = storage::SqliteMetadataStore::Open({(dir / "plinth.db").string()});
  if (!store.ok()) return Fail(store.status());
  serving::CaptureLog captures(**store);
  if (Status st = captures.InitSchema(); !st.ok()) return Fail(st);

  auto t0 = std::chrono::steady_clock::now();
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<int> hour(0, 23), day(0, 6);
  std::normal_distribution<double> temp(12, 6);
  std::exponential_distribution<double> rain(1.0);
  const int64_t batch = 50000;
  for (int64_t start = 0; start < n; start += batch) {
    Status st = (*store)->Write([&](storage::SqlTx& tx) {
      for (int64_t i = start; i < std::min(n, start + batch); ++i) {
        char inputs[200], outputs[40];
        std::snprintf(inputs, sizeof inputs,
                      "{\"instances\": [{\"hour\": %d, \"day_of_week\": %d, \"temperature\": "
                      "%.3f, \"rain\": %.3f}]}",
                      hour(rng), day(rng), temp(rng), rain(rng));
        std::snprintf(outputs, sizeof outputs, "[%.4f]", 80 + temp(rng));
        std::string id = "r" + std::to_string(i);
        RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO captured_predictions (endpoint, request_id, time_ms, variant, model,"
            " version, latency_ms, inputs, outputs) VALUES ('demand', ?, ?, 'primary', 'demand',"
            " 1, 0.1, ?, ?)",
            {std::string_view(id), i, std::string_view(inputs), std::string_view(outputs)}));
      }
      return Status::Ok();
    });
    if (!st.ok()) return Fail(st);
  }
  double write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("wrote %lld captured predictions in %.1f s\n", static_cast<long long>(n), write_s);

  // A baseline of 5,000 rows from the same distribution.
  monitoring::Table reference;
  {
    std::vector<double> h, d, t, r, p;
    for (int i = 0; i < 5000; ++i) {
      h.push_back(hour(rng));
      d.push_back(day(rng));
      t.push_back(temp(rng));
      r.push_back(rain(rng));
      p.push_back(80 + temp(rng));
    }
    (void)reference.AddColumn(monitoring::Column::Numeric("hour", h));
    (void)reference.AddColumn(monitoring::Column::Numeric("day_of_week", d));
    (void)reference.AddColumn(monitoring::Column::Numeric("temperature", t));
    (void)reference.AddColumn(monitoring::Column::Numeric("rain", r));
  }
  monitoring::TableProfile baseline =
      monitoring::TableProfile::FromTable(reference, monitoring::MonitorProfileOptions());

  for (int64_t rows : {n / 10, n}) {
    ResetPeak();
    long before = StatusKb("VmRSS:");
    auto s0 = std::chrono::steady_clock::now();
    monitoring::WindowProfilerOptions options;
    options.feature_columns = {"hour", "day_of_week", "temperature", "rain"};
    monitoring::WindowProfiler profiler(options);
    Status st = monitoring::ScanCaptures(captures, nullptr, "demand", 0, rows, profiler);
    if (!st.ok()) return Fail(st);
    monitoring::TableProfile window = profiler.Finish();
    monitoring::DriftOptions drift;
    drift.columns = options.feature_columns;
    auto report = monitoring::DetectProfileDrift(baseline, window, drift);
    if (!report.ok()) return Fail(report.status());
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
    std::printf("window of %lld rows: %.2f s (%.0f rows/s), RSS before %ld KB, peak during %ld KB"
                " (+%ld KB), dataset drift %s\n",
                static_cast<long long>(profiler.rows()), s, profiler.rows() / s, before,
                StatusKb("VmHWM:"), StatusKb("VmHWM:") - before,
                report->dataset_drift ? "yes" : "no");
  }
  std::filesystem::remove_all(dir);
  return 0;
}

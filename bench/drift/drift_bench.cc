// plinth's drift tests against a numpy/scipy peer on the same data, in one run.
//
// Generates `columns` reference and `columns` current float32 columns of `rows` values (seeded;
// five shapes, four kinds of drift), writes them once to a binary file, and then:
//   - plinth: reads the file (not timed), runs KS, PSI, JS and Wasserstein on every column pair
//     with monitoring::CompareNumericColumns on `threads` threads (and on one), `rounds` times;
//   - the peer: bench/drift/peer_drift.py reads the same file (not timed) and computes the same
//     statistics with scipy.stats.ks_2samp(method='asymp'), numpy histogram PSI,
//     scipy.spatial.distance.jensenshannon and scipy.stats.wasserstein_distance.
// It prints both median times, the ratios, and whether the values match (KS D exactly; p-values
// within 1e-6 relative; the rest within 1e-9 relative). Exit status 1 if the values differ.
//
// Usage: plinth_bench_drift [--rows N] [--columns N] [--threads N] [--rounds N]
//                           [--peer-rounds N] [--no-peer] [--data FILE] [--peer SCRIPT]

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "monitoring/numeric_drift.h"

namespace {

using plinth::monitoring::CompareNumericColumns;
using plinth::monitoring::NumericDrift;
using plinth::monitoring::NumericDriftOptions;
using plinth::monitoring::NumericPair;

constexpr char kMagic[8] = {'P', 'L', 'D', 'R', 'I', 'F', 'T', '1'};

struct Options {
  uint64_t rows = 1000000;
  uint64_t columns = 50;
  int threads = 2;
  int rounds = 7;
  int peer_rounds = 1;
  bool peer = true;
  std::string data = "/tmp/plinth_drift_bench.bin";
  std::string peer_script = PLINTH_DRIFT_PEER;
};

// xoshiro256++ with a splitmix64 seeder.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      s = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[0] + s_[3], 23) + s_[0];
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u = 1.0 - Uniform(), v = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u));
    spare_ = r * std::sin(2 * M_PI * v);
    has_spare_ = true;
    return r * std::cos(2 * M_PI * v);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0;
};

// Column j: shape j % 5 (normal, log-normal, uniform, exponential, normal rounded to 0.1 so that
// it has ties); the current sample drifts by kind j % 4 (none, shift of 0.01 sd, shift of 0.05
// sd, scale x1.3), which spreads the KS p-values over every regime of the distribution.
void Generate(uint64_t column, bool current, float* out, uint64_t rows) {
  Rng rng(0x5EED0000ull + column * 2 + (current ? 1 : 0));
  const int shape = static_cast<int>(column % 5);
  const int drift = current ? static_cast<int>(column % 4) : 0;
  static constexpr double kSd[5] = {1.0, 0.6039, 2.8868, 1.0, 1.0};  // each shape's sd, roughly
  const double shift = drift == 1 ? 0.01 * kSd[shape] : drift == 2 ? 0.05 * kSd[shape] : 0.0;
  const double scale = drift == 3 ? 1.3 : 1.0;
  for (uint64_t i = 0; i < rows; ++i) {
    double x;
    switch (shape) {
      case 0: x = rng.Normal(); break;
      case 1: x = std::exp(0.5 * rng.Normal()); break;
      case 2: x = 10 * rng.Uniform(); break;
      case 3: x = -std::log(1.0 - rng.Uniform()); break;
      default: x = std::round(rng.Normal() * 10) / 10; break;
    }
    out[i] = static_cast<float>(x * scale + shift);
  }
}

bool WriteData(const Options& o) {
  std::FILE* f = std::fopen(o.data.c_str(), "wb");
  if (f == nullptr) return false;
  std::fwrite(kMagic, 1, 8, f);
  std::fwrite(&o.rows, 8, 1, f);
  std::fwrite(&o.columns, 8, 1, f);
  std::vector<float> column(o.rows);
  for (int side = 0; side < 2; ++side) {
    for (uint64_t j = 0; j < o.columns; ++j) {
      Generate(j, side == 1, column.data(), o.rows);
      std::fwrite(column.data(), sizeof(float), o.rows, f);
    }
  }
  return std::fclose(f) == 0;
}

bool ReadData(const Options& o, std::vector<float>* data) {
  std::FILE* f = std::fopen(o.data.c_str(), "rb");
  if (f == nullptr) return false;
  char magic[8];
  uint64_t rows = 0, columns = 0;
  bool ok = std::fread(magic, 1, 8, f) == 8 && std::memcmp(magic, kMagic, 8) == 0 &&
            std::fread(&rows, 8, 1, f) == 1 && std::fread(&columns, 8, 1, f) == 1 &&
            rows == o.rows && columns == o.columns;
  if (ok) {
    data->resize(2 * rows * columns);
    ok = std::fread(data->data(), sizeof(float), data->size(), f) == data->size();
  }
  std::fclose(f);
  return ok;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double RelativeDifference(double a, double b, double tiny) {
  if (a == b) return 0;
  if (std::abs(a) <= tiny && std::abs(b) <= tiny) return 0;
  return std::abs(a - b) / std::max(std::abs(a), std::abs(b));
}

std::string Machine() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores";
}

// The 1-minute load average: this machine is shared, and the figures depend on it.
std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "unknown" : one;
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--rows") {
      o->rows = std::strtoull(value(), nullptr, 10);
    } else if (arg == "--columns") {
      o->columns = std::strtoull(value(), nullptr, 10);
    } else if (arg == "--threads") {
      o->threads = std::atoi(value());
    } else if (arg == "--rounds") {
      o->rounds = std::atoi(value());
    } else if (arg == "--peer-rounds") {
      o->peer_rounds = std::atoi(value());
    } else if (arg == "--no-peer") {
      o->peer = false;
    } else if (arg == "--data") {
      o->data = value();
    } else if (arg == "--peer") {
      o->peer_script = value();
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return false;
    }
  }
  return o->rows > 1 && o->columns > 0 && o->threads > 0 && o->rounds > 0 && o->peer_rounds > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: plinth_bench_drift [--rows N] [--columns N] [--threads N] [--rounds N] "
                 "[--peer-rounds N] [--no-peer] [--data FILE] [--peer SCRIPT]\n");
    return 2;
  }
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  std::printf("drift benchmark: %llu columns x %llu rows, reference and current float32; KS, "
              "PSI, JS and Wasserstein on every column\n",
              static_cast<unsigned long long>(o.columns), static_cast<unsigned long long>(o.rows));
  std::printf("date %s; machine: %s; load average %s\n", date, Machine().c_str(),
              LoadAverage().c_str());

  auto start = std::chrono::steady_clock::now();
  if (!WriteData(o)) {
    std::fprintf(stderr, "cannot write %s\n", o.data.c_str());
    return 1;
  }
  std::printf("data: %s (%.0f MB), written in %.1f s; both sides read it before their timing\n",
              o.data.c_str(), 8.0 * o.rows * o.columns / 1e6, Seconds(start));

  std::vector<float> data;
  if (!ReadData(o, &data)) {
    std::fprintf(stderr, "cannot read %s back\n", o.data.c_str());
    return 1;
  }
  std::vector<NumericPair<float>> pairs;
  for (uint64_t j = 0; j < o.columns; ++j) {
    const float* ref = data.data() + j * o.rows;
    const float* cur = data.data() + (o.columns + j) * o.rows;
    pairs.push_back({std::span<const float>(ref, o.rows), std::span<const float>(cur, o.rows)});
  }

  NumericDriftOptions options;  // KS, PSI (10 quantile bins), JS (base 2), Wasserstein
  std::vector<plinth::Result<NumericDrift>> results;
  auto run = [&](int threads, int rounds) {
    std::vector<double> times;
    for (int r = 0; r < rounds; ++r) {
      start = std::chrono::steady_clock::now();
      results = CompareNumericColumns(pairs, options, threads);
      times.push_back(Seconds(start));
    }
    return times;
  };
  run(o.threads, 1);  // warm-up: page in the data and the workspaces
  const std::vector<double> plinth_times = run(o.threads, o.rounds);
  const std::vector<double> single_times = o.threads > 1 ? run(1, std::max(3, o.rounds / 2))
                                                         : plinth_times;
  for (const auto& r : results) {
    if (!r.ok()) {
      std::fprintf(stderr, "plinth failed: %s\n", r.status().message().c_str());
      return 1;
    }
  }
  const double plinth_median = Median(plinth_times);
  const double single_median = Median(single_times);
  std::printf("plinth, %d threads: median %.3f s over %d rounds (min %.3f, max %.3f)\n",
              o.threads, plinth_median, o.rounds,
              *std::min_element(plinth_times.begin(), plinth_times.end()),
              *std::max_element(plinth_times.begin(), plinth_times.end()));
  if (o.threads > 1) {
    std::printf("plinth, 1 thread:  median %.3f s over %zu rounds\n", single_median,
                single_times.size());
  }
  std::printf("target <= 1 s: %s (load average now %s)\n", plinth_median <= 1.0 ? "met" : "MISSED",
              LoadAverage().c_str());
  if (!o.peer) return 0;

  const std::string command = "/usr/bin/python3 " + o.peer_script + " " + o.data +
                              " --rounds " + std::to_string(o.peer_rounds);
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    std::fprintf(stderr, "cannot run %s\n", command.c_str());
    return 1;
  }
  std::string output;
  char buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, got);
  if (pclose(pipe) != 0) {
    std::fprintf(stderr, "the peer failed: %s\n", command.c_str());
    return 1;
  }
  const nlohmann::json peer = nlohmann::json::parse(output, nullptr, false);
  if (peer.is_discarded() || !peer.contains("columns") || peer["columns"].size() != o.columns) {
    std::fprintf(stderr, "the peer's answer is not understood\n");
    return 1;
  }
  const double peer_median = Median(peer["seconds"].get<std::vector<double>>());
  std::printf("peer (numpy %s, scipy %s, one process): median %.1f s over %d round%s\n",
              peer["versions"]["numpy"].get<std::string>().c_str(),
              peer["versions"]["scipy"].get<std::string>().c_str(), peer_median, o.peer_rounds,
              o.peer_rounds == 1 ? "" : "s");
  const double ratio = peer_median / plinth_median;
  std::printf("ratio: %.0fx with %d threads, %.0fx on one thread; target >= 30x: %s\n", ratio,
              o.threads, peer_median / single_median, ratio >= 30 ? "met" : "MISSED");

  // Values.
  size_t matching = 0;
  double worst_p = 0, worst_psi = 0, worst_js = 0, worst_w = 0, worst_wn = 0;
  size_t d_mismatches = 0;
  for (uint64_t j = 0; j < o.columns; ++j) {
    const NumericDrift& mine = *results[j];
    const nlohmann::json& theirs = peer["columns"][j];
    const bool d_equal = mine.ks->statistic == theirs["d"].get<double>();
    const double p = RelativeDifference(mine.ks->p_value, theirs["p"].get<double>(), 1e-300);
    const double psi = RelativeDifference(*mine.psi, theirs["psi"].get<double>(), 1e-15);
    const double js = RelativeDifference(*mine.jensen_shannon, theirs["js"].get<double>(), 1e-15);
    const double w = RelativeDifference(mine.wasserstein->distance, theirs["w"].get<double>(), 0);
    const double wn =
        RelativeDifference(mine.wasserstein->normed, theirs["w_normed"].get<double>(), 0);
    worst_p = std::max(worst_p, p);
    worst_psi = std::max(worst_psi, psi);
    worst_js = std::max(worst_js, js);
    worst_w = std::max(worst_w, w);
    worst_wn = std::max(worst_wn, wn);
    if (!d_equal) ++d_mismatches;
    const bool match = d_equal && p <= 1e-6 && psi <= 1e-9 && js <= 1e-9 && w <= 1e-9 &&
                       wn <= 1e-9;
    if (match) {
      ++matching;
    } else {
      std::printf("  column %llu differs: D %.17g vs %.17g, p %.17g vs %.17g\n",
                  static_cast<unsigned long long>(j), mine.ks->statistic,
                  theirs["d"].get<double>(), mine.ks->p_value, theirs["p"].get<double>());
    }
  }
  std::printf("values: %zu of %llu columns match (KS D identical in %llu; worst relative "
              "differences: p %.1e, PSI %.1e, JS %.1e, Wasserstein %.1e, normed %.1e)\n",
              matching, static_cast<unsigned long long>(o.columns),
              static_cast<unsigned long long>(o.columns - d_mismatches), worst_p, worst_psi,
              worst_js, worst_w, worst_wn);
  return matching == o.columns ? 0 : 1;
}

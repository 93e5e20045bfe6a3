#include "trained_models.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace plinth::serving::testing {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "trained_models: %s\n", message.c_str());
  std::abort();
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::vector<float> ReadFloats(const std::string& path, size_t expected_count) {
  std::string bytes = ReadFileBytes(path);
  if (bytes.size() != expected_count * sizeof(float)) {
    Fail(path + " holds " + std::to_string(bytes.size()) + " bytes, expected " +
         std::to_string(expected_count * sizeof(float)));
  }
  std::vector<float> out(expected_count);
  std::memcpy(out.data(), bytes.data(), bytes.size());  // little-endian on x86-64
  return out;
}

std::string TrainIntoCache() {
  const std::string script = PLINTH_SERVING_TRAIN_SCRIPT;
  const std::string source = ReadFileBytes(script);
  uint64_t hash = 1469598103934665603ull;  // FNV-1a of the script: a new script retrains
  for (unsigned char c : source) hash = (hash ^ c) * 1099511628211ull;

  const fs::path cache_root = PLINTH_SERVING_MODEL_CACHE;
  const fs::path final_dir = cache_root / Hex(hash);
  if (fs::exists(final_dir / "manifest.json")) return final_dir.string();

  fs::create_directories(cache_root);
  // One trainer at a time; the others wait and then find the models (the lock dies with us).
  const int lock_fd = ::open((cache_root / ".lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX) != 0) Fail("cannot lock " + cache_root.string());
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }
  } unlock{lock_fd};
  if (fs::exists(final_dir / "manifest.json")) return final_dir.string();

  const fs::path temp_dir = cache_root / ("training-" + std::to_string(::getpid()));
  fs::remove_all(temp_dir);
  fs::create_directories(temp_dir);
  const std::string command = "/usr/bin/python3 '" + script + "' '" + temp_dir.string() + "'";
  const int rc = std::system(command.c_str());
  if (rc != 0) {
    fs::remove_all(temp_dir);
    Fail("training failed (exit " + std::to_string(rc) + "): " + command +
         " (needs Debian's python3-xgboost)");
  }
  std::error_code ec;
  fs::rename(temp_dir, final_dir, ec);  // atomic; loses harmlessly to a concurrent trainer
  if (ec) fs::remove_all(temp_dir);
  if (!fs::exists(final_dir / "manifest.json")) Fail("no manifest in " + final_dir.string());
  // Models of earlier versions of the script are no longer wanted.
  for (const auto& entry : fs::directory_iterator(cache_root)) {
    if (entry.is_directory() && entry.path() != final_dir) fs::remove_all(entry.path(), ec);
  }
  return final_dir.string();
}

}  // namespace

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const std::string& TrainedModelDir() {
  static const std::string dir = TrainIntoCache();
  return dir;
}

TrainedModel LoadTrainedModel(const std::string& name) {
  const fs::path dir = TrainedModelDir();
  const auto manifest = nlohmann::json::parse(ReadFileBytes((dir / "manifest.json").string()));
  for (const auto& m : manifest.at("models")) {
    if (m.at("name") != name) continue;
    TrainedModel model;
    model.name = name;
    model.objective = m.at("objective").get<std::string>();
    model.rows = m.at("rows").get<size_t>();
    model.features = m.at("features").get<size_t>();
    model.outputs = m.at("outputs").get<size_t>();
    model.compiled = m.at("compiled").get<bool>();
    model.feature_names = m.at("feature_names").get<std::vector<std::string>>();
    model.json = ReadFileBytes((dir / (name + ".json")).string());
    model.ubjson = ReadFileBytes((dir / (name + ".ubj")).string());
    model.x = ReadFloats((dir / (name + ".x.f32")).string(), model.rows * model.features);
    model.expected = ReadFloats((dir / (name + ".pred.f32")).string(), model.rows * model.outputs);
    return model;
  }
  Fail("no model named " + name + " in " + dir.string());
}

::testing::AssertionResult MatchesXgboost(const std::vector<float>& actual,
                                          const std::vector<float>& expected, double relative) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "got " << actual.size() << " values, expected " << expected.size();
  }
  size_t identical = 0;
  size_t bad = 0;
  double worst = 0;
  std::ostringstream first;
  for (size_t i = 0; i < actual.size(); ++i) {
    const float a = actual[i];
    const float e = expected[i];
    if (std::memcmp(&a, &e, sizeof(float)) == 0) {
      ++identical;
      continue;
    }
    const double diff = std::abs(static_cast<double>(a) - static_cast<double>(e));
    const double rel = e == 0 ? (a == 0 ? 0.0 : INFINITY) : diff / std::abs(static_cast<double>(e));
    worst = std::max(worst, rel);
    if (!(rel <= relative)) {
      if (++bad <= 5) first << "\n  [" << i << "] got " << a << ", xgboost " << e;
    }
  }
  ::testing::Test::RecordProperty("bitwise_identical",
                                  std::to_string(identical) + "/" + std::to_string(actual.size()));
  if (bad > 0) {
    return ::testing::AssertionFailure()
           << bad << " of " << actual.size() << " values differ by more than " << relative
           << " relative (worst " << worst << "):" << first.str();
  }
  return ::testing::AssertionSuccess() << identical << "/" << actual.size()
                                       << " bitwise identical, worst relative difference " << worst;
}

}  // namespace plinth::serving::testing

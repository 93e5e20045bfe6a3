#include "monitoring/kll_sketch.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace plinth::monitoring {

namespace {

constexpr uint64_t kSeed = 0x9E3779B97F4A7C15ull;
constexpr uint32_t kMinLevelCapacity = 8;

}  // namespace

KllSketch::KllSketch(uint32_t k)
    : k_(std::clamp(k, kMinK, kMaxK)),
      min_(std::numeric_limits<double>::infinity()),
      max_(-std::numeric_limits<double>::infinity()),
      seed_(kSeed),
      levels_(1) {}

uint32_t KllSketch::Capacity(size_t level) const {
  const size_t depth = levels_.size() - 1 - level;  // 0 for the top level
  const double capacity = std::ceil(static_cast<double>(k_) * std::pow(2.0 / 3.0, depth));
  return std::max(kMinLevelCapacity, static_cast<uint32_t>(capacity));
}

size_t KllSketch::TotalCapacity() const {
  size_t total = 0;
  for (size_t h = 0; h < levels_.size(); ++h) total += Capacity(h);
  return total;
}

size_t KllSketch::retained() const {
  size_t total = 0;
  for (const auto& level : levels_) total += level.size();
  return total;
}

bool KllSketch::NextBit() {
  // xorshift64*: deterministic, cheap, and good enough for coin flips.
  seed_ ^= seed_ >> 12;
  seed_ ^= seed_ << 25;
  seed_ ^= seed_ >> 27;
  return ((seed_ * 0x2545F4914F6CDD1Dull) >> 63) != 0;
}

void KllSketch::Update(double value) {
  if (std::isnan(value)) return;
  ++n_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  levels_[0].push_back(value);
  if (levels_[0].size() >= Capacity(0) && retained() >= TotalCapacity()) Compress();
}

void KllSketch::Compress() {
  // Compact the lowest full level until the sketch fits its capacity again.
  while (retained() >= TotalCapacity()) {
    size_t h = 0;
    while (h < levels_.size() && levels_[h].size() < Capacity(h)) ++h;
    if (h == levels_.size()) return;
    if (h + 1 == levels_.size()) levels_.emplace_back();
    std::vector<double>& level = levels_[h];
    std::sort(level.begin(), level.end());
    // An odd count leaves its largest value behind, so pairs are compacted.
    double leftover = 0;
    const bool odd = level.size() % 2 == 1;
    if (odd) {
      leftover = level.back();
      level.pop_back();
    }
    const size_t offset = NextBit() ? 1 : 0;
    std::vector<double>& up = levels_[h + 1];
    for (size_t i = offset; i < level.size(); i += 2) up.push_back(level[i]);
    level.clear();
    if (odd) level.push_back(leftover);
  }
}

Status KllSketch::Merge(const KllSketch& other) {
  if (other.k_ != k_) {
    return InvalidArgument("cannot merge KLL sketches of k " + std::to_string(k_) + " and " +
                           std::to_string(other.k_));
  }
  if (other.n_ == 0) return Status::Ok();
  if (other.levels_.size() > levels_.size()) levels_.resize(other.levels_.size());
  for (size_t h = 0; h < other.levels_.size(); ++h) {
    levels_[h].insert(levels_[h].end(), other.levels_[h].begin(), other.levels_[h].end());
  }
  n_ += other.n_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  seed_ ^= other.seed_ + 0x632BE59BD9B4E019ull + (seed_ << 6) + (seed_ >> 2);
  if (seed_ == 0) seed_ = kSeed;
  Compress();
  return Status::Ok();
}

double KllSketch::Quantile(double q) const {
  if (n_ == 0) return std::numeric_limits<double>::quiet_NaN();
  if (!(q > 0)) return min_;
  if (q >= 1) return max_;
  std::vector<std::pair<double, uint64_t>> weighted;
  weighted.reserve(retained());
  for (size_t h = 0; h < levels_.size(); ++h) {
    for (double v : levels_[h]) weighted.emplace_back(v, uint64_t{1} << h);
  }
  std::sort(weighted.begin(), weighted.end());
  uint64_t total = 0;
  for (const auto& [value, weight] : weighted) total += weight;
  const double target = q * static_cast<double>(total);
  uint64_t running = 0;
  for (const auto& [value, weight] : weighted) {
    running += weight;
    if (static_cast<double>(running) >= target) return std::clamp(value, min_, max_);
  }
  return max_;
}

double KllSketch::Rank(double value) const {
  if (n_ == 0) return 0;
  uint64_t below = 0, total = 0;
  for (size_t h = 0; h < levels_.size(); ++h) {
    for (double v : levels_[h]) {
      total += uint64_t{1} << h;
      if (v <= value) below += uint64_t{1} << h;
    }
  }
  return total == 0 ? 0 : static_cast<double>(below) / static_cast<double>(total);
}

nlohmann::json KllSketch::ToJson() const {
  nlohmann::json levels = nlohmann::json::array();
  for (const auto& level : levels_) levels.push_back(level);
  nlohmann::json out = {{"k", k_}, {"n", n_}, {"seed", seed_}, {"levels", levels}};
  // JSON has no infinities: an empty sketch has no min or max.
  out["min"] = n_ > 0 ? nlohmann::json(min_) : nlohmann::json();
  out["max"] = n_ > 0 ? nlohmann::json(max_) : nlohmann::json();
  return out;
}

Result<KllSketch> KllSketch::FromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("k") || !json["k"].is_number_unsigned() ||
      !json.contains("n") || !json["n"].is_number_unsigned() || !json.contains("levels") ||
      !json["levels"].is_array()) {
    return InvalidArgument("a KLL sketch needs unsigned k and n and an array of levels");
  }
  KllSketch sketch(json["k"].get<uint32_t>());
  if (sketch.k_ != json["k"].get<uint32_t>()) return InvalidArgument("KLL k is out of range");
  sketch.n_ = json["n"].get<uint64_t>();
  if (json.contains("seed") && json["seed"].is_number_unsigned()) {
    sketch.seed_ = json["seed"].get<uint64_t>();
    if (sketch.seed_ == 0) sketch.seed_ = kSeed;
  }
  sketch.levels_.clear();
  uint64_t weight_total = 0;
  for (size_t h = 0; h < json["levels"].size(); ++h) {
    const nlohmann::json& level = json["levels"][h];
    if (!level.is_array() || h >= 63) return InvalidArgument("bad KLL level");
    std::vector<double> values;
    values.reserve(level.size());
    for (const nlohmann::json& v : level) {
      if (!v.is_number()) return InvalidArgument("KLL levels hold numbers");
      values.push_back(v.get<double>());
      weight_total += uint64_t{1} << h;
    }
    sketch.levels_.push_back(std::move(values));
  }
  if (sketch.levels_.empty()) sketch.levels_.emplace_back();
  if (weight_total != sketch.n_) {
    return InvalidArgument("KLL levels weigh " + std::to_string(weight_total) + ", not n = " +
                           std::to_string(sketch.n_));
  }
  if (sketch.n_ > 0) {
    if (!json.contains("min") || !json["min"].is_number() || !json.contains("max") ||
        !json["max"].is_number()) {
      return InvalidArgument("a non-empty KLL sketch needs min and max");
    }
    sketch.min_ = json["min"].get<double>();
    sketch.max_ = json["max"].get<double>();
  }
  return sketch;
}

std::vector<std::pair<double, double>> KllSketch::WeightedValues() const {
  std::vector<std::pair<double, double>> items;
  items.reserve(retained());
  for (size_t h = 0; h < levels_.size(); ++h) {
    const double weight = std::ldexp(1.0, static_cast<int>(h));
    for (double v : levels_[h]) items.emplace_back(v, weight);
  }
  std::sort(items.begin(), items.end());
  std::vector<std::pair<double, double>> out;
  for (const auto& [value, weight] : items) {
    if (!out.empty() && out.back().first == value) {
      out.back().second += weight;
    } else {
      out.emplace_back(value, weight);
    }
  }
  return out;
}

}  // namespace plinth::monitoring

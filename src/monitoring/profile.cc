#include "monitoring/profile.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace plinth::monitoring {

namespace {

using Json = nlohmann::json;

Status CheckEdges(const std::vector<double>& edges) {
  for (size_t i = 0; i < edges.size(); ++i) {
    if (!std::isfinite(edges[i])) return InvalidArgument("histogram edges must be finite");
    if (i > 0 && !(edges[i] > edges[i - 1])) {
      return InvalidArgument("histogram edges must be strictly increasing");
    }
  }
  return Status::Ok();
}

bool GetUnsigned(const Json& json, const char* key, uint64_t* out) {
  if (!json.contains(key) || !json[key].is_number_unsigned()) return false;
  *out = json[key].get<uint64_t>();
  return true;
}

bool GetNumber(const Json& json, const char* key, double* out) {
  if (!json.contains(key) || !json[key].is_number()) return false;
  *out = json[key].get<double>();
  return true;
}

// The shortest text that reads back as `value`.
std::string NumberText(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

}  // namespace

// ---- NumericProfile ----

NumericProfile::NumericProfile(NumericProfileOptions options)
    : options_(std::move(options)), sketch_(options_.sketch_k) {
  if (!CheckEdges(options_.histogram_edges).ok()) options_.histogram_edges.clear();
  if (!options_.histogram_edges.empty()) {
    fixed_counts_.assign(options_.histogram_edges.size() + 1, 0);
  }
}

Result<NumericProfile> NumericProfile::Create(NumericProfileOptions options) {
  RETURN_IF_ERROR(CheckEdges(options.histogram_edges));
  return NumericProfile(std::move(options));
}

void NumericProfile::Add(double value) {
  if (!std::isfinite(value)) {
    ++missing_;
    return;
  }
  ++count_;
  const double delta = value - mean_;
  mean_ += delta / static_cast<double>(count_);
  m2_ += delta * (value - mean_);
  sketch_.Update(value);
  if (!fixed_counts_.empty()) {
    const auto& edges = options_.histogram_edges;
    ++fixed_counts_[std::upper_bound(edges.begin(), edges.end(), value) - edges.begin()];
  }
}

void NumericProfile::AddAll(std::span<const double> values) {
  for (double v : values) Add(v);
}

void NumericProfile::AddAll(std::span<const float> values) {
  for (float v : values) Add(static_cast<double>(v));
}

Status NumericProfile::Merge(const NumericProfile& other) {
  if (other.sketch_.k() != sketch_.k()) {
    return InvalidArgument("numeric profiles with different sketch sizes cannot merge");
  }
  if (other.options_.histogram_edges != options_.histogram_edges) {
    return InvalidArgument("numeric profiles with different histogram edges cannot merge");
  }
  RETURN_IF_ERROR(sketch_.Merge(other.sketch_));
  if (other.count_ > 0) {
    const uint64_t total = count_ + other.count_;
    const double delta = other.mean_ - mean_;
    mean_ += delta * static_cast<double>(other.count_) / static_cast<double>(total);
    m2_ += other.m2_ + delta * delta * static_cast<double>(count_) *
                           static_cast<double>(other.count_) / static_cast<double>(total);
    count_ = total;
  }
  missing_ += other.missing_;
  for (size_t i = 0; i < fixed_counts_.size(); ++i) fixed_counts_[i] += other.fixed_counts_[i];
  return Status::Ok();
}

double NumericProfile::variance() const {
  return count_ > 1 ? std::max(m2_, 0.0) / static_cast<double>(count_) : 0.0;
}

double NumericProfile::std() const { return std::sqrt(variance()); }

double NumericProfile::Quantile(double q) const { return sketch_.Quantile(q); }

std::vector<HistogramBin> NumericProfile::Histogram(int bins) const {
  std::vector<HistogramBin> out;
  const auto& edges = options_.histogram_edges;
  if (!edges.empty()) {
    const double inf = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i <= edges.size(); ++i) {
      HistogramBin bin;
      bin.lower = i == 0 ? -inf : edges[i - 1];
      bin.upper = i == edges.size() ? inf : edges[i];
      bin.count = static_cast<double>(fixed_counts_[i]);
      out.push_back(bin);
    }
    return out;
  }
  if (count_ == 0) return out;
  const double lo = min(), hi = max();
  if (bins < 1) bins = 1;
  if (!(hi > lo)) {
    out.push_back(HistogramBin{lo, hi, static_cast<double>(count_)});
    return out;
  }
  const double n = static_cast<double>(count_);
  const double width = (hi - lo) / bins;
  double previous = 0;
  for (int i = 0; i < bins; ++i) {
    const double upper = i + 1 == bins ? hi : lo + (i + 1) * width;
    const double cumulative = i + 1 == bins ? n : n * sketch_.Rank(upper);
    out.push_back(HistogramBin{lo + i * width, upper, std::max(cumulative - previous, 0.0)});
    previous = std::max(previous, cumulative);
  }
  return out;
}

Json NumericProfile::ToJson() const {
  Json out = {{"count", count_},
              {"missing", missing_},
              {"mean", mean_},
              {"m2", m2_},
              {"sketch", sketch_.ToJson()}};
  if (!options_.histogram_edges.empty()) {
    out["histogram_edges"] = options_.histogram_edges;
    out["histogram_counts"] = fixed_counts_;
  }
  return out;
}

Result<NumericProfile> NumericProfile::FromJson(const Json& json) {
  if (!json.is_object() || !json.contains("sketch")) {
    return InvalidArgument("a numeric profile is an object with a sketch");
  }
  ASSIGN_OR_RETURN(KllSketch sketch, KllSketch::FromJson(json["sketch"]));
  NumericProfileOptions options;
  options.sketch_k = sketch.k();
  if (json.contains("histogram_edges")) {
    if (!json["histogram_edges"].is_array()) return InvalidArgument("histogram_edges: array");
    for (const Json& e : json["histogram_edges"]) {
      if (!e.is_number()) return InvalidArgument("histogram_edges hold numbers");
      options.histogram_edges.push_back(e.get<double>());
    }
  }
  ASSIGN_OR_RETURN(NumericProfile profile, Create(std::move(options)));
  if (!GetUnsigned(json, "count", &profile.count_) ||
      !GetUnsigned(json, "missing", &profile.missing_) || !GetNumber(json, "mean", &profile.mean_) ||
      !GetNumber(json, "m2", &profile.m2_)) {
    return InvalidArgument("a numeric profile needs count, missing, mean and m2");
  }
  if (profile.count_ != sketch.count()) {
    return InvalidArgument("a numeric profile's count differs from its sketch's");
  }
  profile.sketch_ = std::move(sketch);
  if (!profile.fixed_counts_.empty()) {
    const Json& counts = json.value("histogram_counts", Json());
    if (!counts.is_array() || counts.size() != profile.fixed_counts_.size()) {
      return InvalidArgument("histogram_counts must have one count per bin");
    }
    for (size_t i = 0; i < counts.size(); ++i) {
      if (!counts[i].is_number_unsigned()) return InvalidArgument("histogram counts: unsigned");
      profile.fixed_counts_[i] = counts[i].get<uint64_t>();
    }
  }
  return profile;
}

// ---- CategoricalProfile ----

CategoricalProfile::CategoricalProfile(CategoricalProfileOptions options) : options_(options) {
  if (options_.capacity < 1) options_.capacity = 1;
}

void CategoricalProfile::Add(std::string_view value, uint64_t times) {
  if (times == 0) return;
  if (value.empty()) {
    missing_ += times;
    return;
  }
  count_ += times;
  auto it = counts_.find(value);
  if (it != counts_.end()) {
    it->second += times;
    return;
  }
  counts_.emplace(std::string(value), times);
  if (counts_.size() > options_.capacity) Reduce();
}

void CategoricalProfile::AddColumn(const Column& column) {
  if (column.type == ColumnType::kCategorical) {
    std::vector<uint64_t> per_code(column.categories.size(), 0);
    for (int32_t code : column.codes) {
      if (code < 0) {
        ++missing_;
      } else {
        ++per_code[static_cast<size_t>(code)];
      }
    }
    for (size_t i = 0; i < per_code.size(); ++i) Add(column.categories[i], per_code[i]);
    return;
  }
  for (double v : column.numbers) {
    if (IsPresent(v)) {
      Add(NumberText(v));
    } else {
      ++missing_;
    }
  }
}

void CategoricalProfile::Reduce() {
  // Misra-Gries, batched: subtract the (keep+1)-th largest count from every counter and drop
  // those left at zero, so at most `keep` remain; each true count is then at most error_ above
  // its counter. Halving the table makes the work amortized O(1) per value.
  const size_t keep = std::max<size_t>(1, options_.capacity / 2);
  if (counts_.size() <= keep) return;
  std::vector<uint64_t> values;
  values.reserve(counts_.size());
  for (const auto& [key, c] : counts_) values.push_back(c);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(keep),
                   values.end(), std::greater<>());
  const uint64_t cut = values[keep];
  for (auto it = counts_.begin(); it != counts_.end();) {
    if (it->second <= cut) {
      it = counts_.erase(it);
    } else {
      it->second -= cut;
      ++it;
    }
  }
  error_ += cut;
}

Status CategoricalProfile::Merge(const CategoricalProfile& other) {
  if (other.options_.capacity != options_.capacity) {
    return InvalidArgument("categorical profiles with different capacities cannot merge");
  }
  for (const auto& [key, c] : other.counts_) counts_[key] += c;
  count_ += other.count_;
  missing_ += other.missing_;
  error_ += other.error_;
  if (counts_.size() > options_.capacity) Reduce();
  return Status::Ok();
}

std::vector<CategoryCount> CategoricalProfile::TopK(size_t k) const {
  std::vector<CategoryCount> all;
  all.reserve(counts_.size());
  for (const auto& [key, c] : counts_) all.push_back(CategoryCount{key, c});
  auto order = [](const CategoryCount& a, const CategoryCount& b) {
    return a.count != b.count ? a.count > b.count : a.value < b.value;
  };
  if (k < all.size()) {
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(),
                      order);
    all.resize(k);
  } else {
    std::sort(all.begin(), all.end(), order);
  }
  return all;
}

Json CategoricalProfile::ToJson() const {
  std::map<std::string, uint64_t> sorted(counts_.begin(), counts_.end());
  Json values = Json::array();
  for (const auto& [key, c] : sorted) values.push_back(Json::array({key, c}));
  return {{"capacity", options_.capacity}, {"count", count_},  {"missing", missing_},
          {"error", error_},               {"values", values}};
}

Result<CategoricalProfile> CategoricalProfile::FromJson(const Json& json) {
  uint64_t capacity = 0;
  if (!json.is_object() || !GetUnsigned(json, "capacity", &capacity) || capacity == 0 ||
      capacity > std::numeric_limits<uint32_t>::max()) {
    return InvalidArgument("a categorical profile needs a positive capacity");
  }
  CategoricalProfile profile(CategoricalProfileOptions{static_cast<uint32_t>(capacity)});
  if (!GetUnsigned(json, "count", &profile.count_) ||
      !GetUnsigned(json, "missing", &profile.missing_) ||
      !GetUnsigned(json, "error", &profile.error_) || !json.contains("values") ||
      !json["values"].is_array()) {
    return InvalidArgument("a categorical profile needs count, missing, error and values");
  }
  for (const Json& entry : json["values"]) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() ||
        !entry[1].is_number_unsigned()) {
      return InvalidArgument("categorical values are [text, count] pairs");
    }
    profile.counts_[entry[0].get<std::string>()] = entry[1].get<uint64_t>();
  }
  if (profile.counts_.size() > profile.options_.capacity) {
    return InvalidArgument("a categorical profile holds more values than its capacity");
  }
  return profile;
}

// ---- TableProfile ----

TableProfile TableProfile::FromTable(const Table& table, const ProfileOptions& options) {
  TableProfile profile;
  profile.rows_ = table.rows();
  for (const Column& column : table.columns()) {
    ColumnProfile cp;
    cp.name = column.name;
    cp.type = column.type;
    if (column.type == ColumnType::kNumeric) {
      cp.numeric.emplace(options.numeric);
      cp.numeric->AddAll(column.numbers);
    } else {
      cp.categorical.emplace(options.categorical);
      cp.categorical->AddColumn(column);
    }
    profile.columns_.push_back(std::move(cp));
  }
  return profile;
}

const ColumnProfile* TableProfile::Find(std::string_view name) const {
  for (const ColumnProfile& column : columns_) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

Status TableProfile::Merge(const TableProfile& other) {
  if (other.columns_.size() != columns_.size()) {
    return InvalidArgument("table profiles with different columns cannot merge");
  }
  for (const ColumnProfile& theirs : other.columns_) {
    const ColumnProfile* ours = Find(theirs.name);
    if (ours == nullptr) {
      return InvalidArgument("column '" + theirs.name + "' is not in this profile");
    }
    if (ours->type != theirs.type) {
      return InvalidArgument("column '" + theirs.name + "' is " + ColumnTypeName(ours->type) +
                             " here and " + ColumnTypeName(theirs.type) + " there");
    }
  }
  // Check every merge can succeed before changing anything.
  for (const ColumnProfile& theirs : other.columns_) {
    const ColumnProfile* ours = Find(theirs.name);
    if (ours->numeric && (ours->numeric->options().histogram_edges !=
                              theirs.numeric->options().histogram_edges ||
                          ours->numeric->sketch().k() != theirs.numeric->sketch().k())) {
      return InvalidArgument("column '" + theirs.name + "' was profiled with other options");
    }
  }
  for (const ColumnProfile& theirs : other.columns_) {
    auto& ours = *std::find_if(columns_.begin(), columns_.end(),
                               [&](const ColumnProfile& c) { return c.name == theirs.name; });
    if (ours.numeric) {
      RETURN_IF_ERROR(ours.numeric->Merge(*theirs.numeric));
    } else {
      RETURN_IF_ERROR(ours.categorical->Merge(*theirs.categorical));
    }
  }
  rows_ += other.rows_;
  return Status::Ok();
}

Json TableProfile::ToJson() const {
  Json columns = Json::array();
  for (const ColumnProfile& column : columns_) {
    Json entry = {{"name", column.name}, {"type", ColumnTypeName(column.type)}};
    entry["profile"] = column.numeric ? column.numeric->ToJson() : column.categorical->ToJson();
    columns.push_back(std::move(entry));
  }
  return {{"rows", rows_}, {"columns", columns}};
}

Result<TableProfile> TableProfile::FromJson(const Json& json) {
  TableProfile profile;
  if (!json.is_object() || !GetUnsigned(json, "rows", &profile.rows_) ||
      !json.contains("columns") || !json["columns"].is_array()) {
    return InvalidArgument("a table profile needs rows and columns");
  }
  for (const Json& entry : json["columns"]) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
        !entry.contains("type") || !entry["type"].is_string() || !entry.contains("profile")) {
      return InvalidArgument("a column profile needs name, type and profile");
    }
    ColumnProfile cp;
    cp.name = entry["name"].get<std::string>();
    const std::string type = entry["type"].get<std::string>();
    if (profile.Find(cp.name) != nullptr) {
      return InvalidArgument("column '" + cp.name + "' appears twice");
    }
    if (type == "numeric") {
      cp.type = ColumnType::kNumeric;
      ASSIGN_OR_RETURN(NumericProfile numeric, NumericProfile::FromJson(entry["profile"]));
      cp.numeric = std::move(numeric);
    } else if (type == "categorical") {
      cp.type = ColumnType::kCategorical;
      ASSIGN_OR_RETURN(CategoricalProfile categorical,
                       CategoricalProfile::FromJson(entry["profile"]));
      cp.categorical = std::move(categorical);
    } else {
      return InvalidArgument("unknown column type '" + type + "'");
    }
    profile.columns_.push_back(std::move(cp));
  }
  return profile;
}

}  // namespace plinth::monitoring

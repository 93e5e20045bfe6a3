#include "monitoring/profile_drift.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "monitoring/distributions.h"
#include "monitoring/divergences.h"

namespace plinth::monitoring {

namespace {

using Json = nlohmann::json;
using Weighted = std::vector<std::pair<double, double>>;

Status ValidateOptions(const DriftOptions& options) {
  if (options.threshold) {
    double t = *options.threshold;
    if (!std::isfinite(t) || t <= 0) return InvalidArgument("the drift threshold must be > 0");
    if (options.method != DriftMethod::kAuto && UsesPValue(options.method) && t > 1) {
      return InvalidArgument("a p-value threshold must be in (0, 1]");
    }
  }
  if (!(options.drift_share > 0 && options.drift_share <= 1)) {
    return InvalidArgument("drift_share must be in (0, 1]");
  }
  if (options.bins < 2 || options.bins > 10000) return InvalidArgument("bins must be 2 to 10000");
  if (!(options.psi_epsilon > 0 && options.psi_epsilon < 1)) {
    return InvalidArgument("psi_epsilon must be in (0, 1)");
  }
  return Status::Ok();
}

double TotalWeight(const Weighted& w) {
  double total = 0;
  for (const auto& item : w) total += item.second;
  return total;
}

// The lower empirical q-quantile of a weighted sample.
double WeightedQuantile(const Weighted& w, double total, double q) {
  double target = q * total;
  double cumulative = 0;
  for (const auto& [v, weight] : w) {
    cumulative += weight;
    if (cumulative >= target) return v;
  }
  return w.back().first;
}

// Counts per bin [e_i, e_{i+1}) with outer bins open; edges.size() + 1 bins.
std::vector<uint64_t> BinCounts(const Weighted& w, const std::vector<double>& edges) {
  std::vector<uint64_t> counts(edges.size() + 1, 0);
  for (const auto& [v, weight] : w) {
    size_t bin = std::upper_bound(edges.begin(), edges.end(), v) - edges.begin();
    counts[bin] += static_cast<uint64_t>(std::llround(weight));
  }
  return counts;
}

std::string SideNote(const char* side, uint64_t rows, uint64_t missing) {
  if (rows == 0) {
    return std::string("no rows in the ") + side +
           (std::string(side) == "current" ? " window" : "");
  }
  return std::string("no present value in the ") + side + " data (" + std::to_string(rows) +
         " rows, all missing)";
}

void SetVerdict(ColumnDrift& out) {
  out.drifted = UsesPValue(out.method) ? out.p_value.value_or(1) < out.threshold
                                       : out.statistic >= out.threshold;
}

ColumnDrift CompareNumeric(const NumericProfile& ref, const NumericProfile& cur,
                           const DriftOptions& options, ColumnDrift out) {
  Weighted a = ref.sketch().WeightedValues();
  Weighted b = cur.sketch().WeightedValues();
  std::set<double> distinct;
  for (const auto& item : a) {
    distinct.insert(item.first);
    if (distinct.size() > 5) break;
  }
  for (const auto& item : b) {
    if (distinct.size() > 5) break;
    distinct.insert(item.first);
  }
  const bool few_values = distinct.size() <= 5;
  DriftMethod method = options.method;
  if (method == DriftMethod::kAuto) {
    if (ref.count() <= 1000) {
      method = few_values ? DriftMethod::kChiSquare : DriftMethod::kKs;
    } else {
      method = few_values ? DriftMethod::kJensenShannon : DriftMethod::kWasserstein;
    }
  }
  out.method = method;
  out.threshold = options.threshold.value_or(DefaultThreshold(method));
  out.tested = true;
  const double wa = TotalWeight(a), wb = TotalWeight(b);

  // The merged sorted distinct values of both samples.
  std::vector<double> xs;
  xs.reserve(a.size() + b.size());
  for (const auto& item : a) xs.push_back(item.first);
  for (const auto& item : b) xs.push_back(item.first);
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());

  switch (method) {
    case DriftMethod::kKs: {
      double d = 0, fa = 0, fb = 0;
      size_t ia = 0, ib = 0;
      for (double x : xs) {
        while (ia < a.size() && a[ia].first <= x) fa += a[ia++].second;
        while (ib < b.size() && b[ib].first <= x) fb += b[ib++].second;
        d = std::max(d, std::fabs(fa / wa - fb / wb));
      }
      d = std::min(d, 1.0);
      out.statistic = d;
      out.p_value = KsTwoSampleAsymptoticPValue(ref.count(), cur.count(), d);
      out.details.emplace_back(
          "effective_n", static_cast<double>(KsEffectiveSampleSize(ref.count(), cur.count())));
      if (ref.count() == 1 && cur.count() == 1) {
        out.note = "one value in each sample: the asymptotic p-value is undefined; 1 is reported";
      }
      break;
    }
    case DriftMethod::kWasserstein: {
      double area = 0, fa = 0, fb = 0;
      size_t ia = 0, ib = 0;
      for (size_t i = 0; i < xs.size(); ++i) {
        while (ia < a.size() && a[ia].first <= xs[i]) fa += a[ia++].second;
        while (ib < b.size() && b[ib].first <= xs[i]) fb += b[ib++].second;
        if (i + 1 < xs.size()) area += std::fabs(fa / wa - fb / wb) * (xs[i + 1] - xs[i]);
      }
      const double norm = std::max(ref.std(), 1e-3);
      out.statistic = area / norm;
      out.details.emplace_back("wasserstein", area);
      out.details.emplace_back("reference_std", ref.std());
      if (ref.std() < 1e-3) {
        out.note = "the reference's std is below 0.001: the distance is divided by 0.001";
      }
      break;
    }
    case DriftMethod::kPsi:
    case DriftMethod::kJensenShannon: {
      std::vector<double> edges;
      for (int i = 1; i < options.bins; ++i) {
        double e = WeightedQuantile(a, wa, static_cast<double>(i) / options.bins);
        if (edges.empty() || e > edges.back()) edges.push_back(e);
      }
      // With few distinct reference values the top edge can be the reference's maximum; then
      // values above it would share its bin. Give them a bin of their own.
      if (edges.empty() || edges.back() >= a.back().first) {
        edges.push_back(std::nextafter(a.back().first, std::numeric_limits<double>::infinity()));
      }
      std::vector<uint64_t> ca = BinCounts(a, edges), cb = BinCounts(b, edges);
      out.statistic = method == DriftMethod::kPsi
                          ? PopulationStabilityIndex(ca, cb, options.psi_epsilon)
                          : JensenShannonDistanceOfCounts(ca, cb);
      out.details.emplace_back("bins", static_cast<double>(ca.size()));
      if (static_cast<int>(edges.size()) < options.bins - 1) {
        out.note = "only " + std::to_string(edges.size() + 1) + " of " +
                   std::to_string(options.bins) + " bins: the reference has few distinct values";
      }
      break;
    }
    case DriftMethod::kChiSquare: {
      std::vector<uint64_t> ca, cb;
      size_t ia = 0, ib = 0;
      for (double x : xs) {
        uint64_t na = 0, nb = 0;
        if (ia < a.size() && a[ia].first == x) na = std::llround(a[ia++].second);
        if (ib < b.size() && b[ib].first == x) nb = std::llround(b[ib++].second);
        ca.push_back(na);
        cb.push_back(nb);
      }
      ChiSquareResult r = ChiSquareHomogeneity(ca, cb);
      out.statistic = r.statistic;
      out.p_value = r.p_value;
      out.details.emplace_back("degrees_of_freedom", static_cast<double>(r.degrees_of_freedom));
      if (r.degrees_of_freedom == 0) out.note = "one distinct value in both samples: p-value 1";
      break;
    }
    case DriftMethod::kAuto:
      break;
  }
  SetVerdict(out);
  return out;
}

ColumnDrift CompareCategorical(const CategoricalProfile& ref, const CategoricalProfile& cur,
                               const DriftOptions& options, ColumnDrift out) {
  DriftMethod method = options.method;
  if (method == DriftMethod::kAuto) {
    method = ref.count() <= 1000 ? DriftMethod::kChiSquare : DriftMethod::kJensenShannon;
  }
  out.method = method;
  if (method == DriftMethod::kKs || method == DriftMethod::kWasserstein) {
    out.method = DriftMethod::kAuto;
    out.note = std::string(DriftMethodName(method)) + " needs numbers; '" + out.column +
               "' is categorical";
    return out;
  }
  out.threshold = options.threshold.value_or(DefaultThreshold(method));
  out.tested = true;
  std::map<std::string, std::pair<uint64_t, uint64_t>> joint;
  for (const CategoryCount& c : ref.TopK(ref.tracked())) joint[c.value].first = c.count;
  for (const CategoryCount& c : cur.TopK(cur.tracked())) joint[c.value].second = c.count;
  std::vector<uint64_t> ca, cb;
  for (const auto& [value, counts] : joint) {
    ca.push_back(counts.first);
    cb.push_back(counts.second);
  }
  if (method == DriftMethod::kChiSquare) {
    ChiSquareResult r = ChiSquareHomogeneity(ca, cb);
    out.statistic = r.statistic;
    out.p_value = r.p_value;
    out.details.emplace_back("degrees_of_freedom", static_cast<double>(r.degrees_of_freedom));
  } else if (method == DriftMethod::kPsi) {
    out.statistic = PopulationStabilityIndex(ca, cb, options.psi_epsilon);
  } else {
    out.statistic = JensenShannonDistanceOfCounts(ca, cb);
  }
  if (!ref.exact() || !cur.exact()) {
    out.note = "more distinct values than the profile counts exactly: counts are approximate";
  }
  SetVerdict(out);
  return out;
}

uint64_t RowsOf(const ColumnProfile& c) {
  return c.numeric ? c.numeric->rows() : c.categorical->count() + c.categorical->missing();
}
uint64_t CountOf(const ColumnProfile& c) {
  return c.numeric ? c.numeric->count() : c.categorical->count();
}
uint64_t MissingOf(const ColumnProfile& c) {
  return c.numeric ? c.numeric->missing() : c.categorical->missing();
}

Json NullableNumber(double v, bool present) {
  return present && std::isfinite(v) ? Json(v) : Json();
}

}  // namespace

ColumnDrift CompareColumnProfiles(const ColumnProfile& reference, const ColumnProfile* current,
                                  const DriftOptions& options) {
  ColumnDrift out;
  out.column = reference.name;
  out.type = reference.type;
  out.reference_count = CountOf(reference);
  out.reference_missing = MissingOf(reference);
  if (current == nullptr) {
    out.note = "absent from the current data";
    return out;
  }
  out.current_count = CountOf(*current);
  out.current_missing = MissingOf(*current);
  if (current->type != reference.type) {
    out.note = std::string("mismatched schema: ") + ColumnTypeName(reference.type) +
               " in the baseline, " + ColumnTypeName(current->type) + " in the current data";
    return out;
  }
  if (out.reference_count == 0) {
    out.note = SideNote("reference", RowsOf(reference), out.reference_missing);
    return out;
  }
  if (out.current_count == 0) {
    out.note = SideNote("current", RowsOf(*current), out.current_missing);
    return out;
  }
  if (reference.numeric) return CompareNumeric(*reference.numeric, *current->numeric, options, out);
  return CompareCategorical(*reference.categorical, *current->categorical, options, out);
}

Result<DriftReport> DetectProfileDrift(const TableProfile& reference, const TableProfile& current,
                                       const DriftOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  std::vector<const ColumnProfile*> columns;
  if (options.columns.empty()) {
    for (const ColumnProfile& c : reference.columns()) columns.push_back(&c);
  } else {
    for (const std::string& name : options.columns) {
      const ColumnProfile* c = reference.Find(name);
      if (c == nullptr) {
        std::string names;
        for (const ColumnProfile& r : reference.columns())
          names += (names.empty() ? "" : ", ") + r.name;
        return InvalidArgument("unknown column '" + name + "': the baseline has " + names);
      }
      columns.push_back(c);
    }
  }
  DriftReport report;
  report.share_threshold = options.drift_share;
  for (const ColumnProfile* c : columns) {
    ColumnDrift d = CompareColumnProfiles(*c, current.Find(c->name), options);
    if (d.tested) {
      ++report.tested_columns;
      if (d.drifted) ++report.drifted_columns;
    }
    report.columns.push_back(std::move(d));
  }
  if (report.tested_columns > 0) {
    report.drifted_share =
        static_cast<double>(report.drifted_columns) / static_cast<double>(report.tested_columns);
    report.dataset_drift = report.drifted_share >= options.drift_share;
  }
  return report;
}

Json ColumnStatsJson(const ColumnProfile& column) {
  if (column.numeric) {
    const NumericProfile& p = *column.numeric;
    bool any = p.count() > 0;
    Json quantiles = Json::object();
    for (auto [name, q] :
         {std::pair{"p05", 0.05}, {"p25", 0.25}, {"p50", 0.5}, {"p75", 0.75}, {"p95", 0.95}}) {
      quantiles[name] = NullableNumber(p.Quantile(q), any);
    }
    return {{"type", "numeric"},
            {"count", p.count()},
            {"missing", p.missing()},
            {"mean", NullableNumber(p.mean(), any)},
            {"std", NullableNumber(p.std(), any)},
            {"min", NullableNumber(p.min(), any)},
            {"max", NullableNumber(p.max(), any)},
            {"quantiles", quantiles}};
  }
  const CategoricalProfile& p = *column.categorical;
  return {{"type", "categorical"},
          {"count", p.count()},
          {"missing", p.missing()},
          {"distinct", p.tracked()},
          {"exact", p.exact()}};
}

Json ColumnSummaryJson(const ColumnProfile& reference, const ColumnProfile* current, int bins) {
  Json out = {{"baseline", ColumnStatsJson(reference)},
              {"current", current ? ColumnStatsJson(*current) : Json()},
              {"histogram", Json()}};
  if (current == nullptr || current->type != reference.type || bins < 1) return out;
  if (reference.numeric) {
    const NumericProfile& a = *reference.numeric;
    const NumericProfile& b = *current->numeric;
    if (a.count() == 0 && b.count() == 0) return out;
    double lo = std::min(a.count() ? a.min() : b.min(), b.count() ? b.min() : a.min());
    double hi = std::max(a.count() ? a.max() : b.max(), b.count() ? b.max() : a.max());
    int n = lo == hi ? 1 : bins;
    std::vector<double> edges;
    for (int i = 0; i <= n; ++i) edges.push_back(lo == hi ? lo + i : lo + (hi - lo) * i / n);
    auto counts = [&](const NumericProfile& p) {
      std::vector<double> c(n, 0);
      for (const auto& [v, w] : p.sketch().WeightedValues()) {
        int bin = lo == hi ? 0 : static_cast<int>((v - lo) / (hi - lo) * n);
        c[std::clamp(bin, 0, n - 1)] += w;
      }
      return c;
    };
    out["histogram"] = {{"edges", edges}, {"baseline", counts(a)}, {"current", counts(b)}};
    return out;
  }
  const CategoricalProfile& a = *reference.categorical;
  const CategoricalProfile& b = *current->categorical;
  std::map<std::string, std::pair<uint64_t, uint64_t>> joint;
  for (const CategoryCount& c : a.TopK(a.tracked())) joint[c.value].first = c.count;
  for (const CategoryCount& c : b.TopK(b.tracked())) joint[c.value].second = c.count;
  std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> items(joint.begin(),
                                                                           joint.end());
  std::stable_sort(items.begin(), items.end(), [](const auto& x, const auto& y) {
    return x.second.first + x.second.second > y.second.first + y.second.second;
  });
  if (items.size() > static_cast<size_t>(bins)) items.resize(bins);
  Json values = Json::array(), ca = Json::array(), cb = Json::array();
  for (const auto& [value, counts] : items) {
    values.push_back(value);
    ca.push_back(counts.first);
    cb.push_back(counts.second);
  }
  if (!values.empty()) out["histogram"] = {{"values", values}, {"baseline", ca}, {"current", cb}};
  return out;
}

}  // namespace plinth::monitoring

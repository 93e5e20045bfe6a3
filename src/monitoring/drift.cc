#include "monitoring/drift.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "monitoring/distributions.h"
#include "monitoring/divergences.h"
#include "monitoring/numeric_drift.h"

namespace plinth::monitoring {

namespace {

using Json = nlohmann::json;

constexpr size_t kSmallReferenceRows = 1000;  // Evidently's switch between tests and distances
constexpr size_t kFewValues = 5;              // at most this many distinct values: categories

struct Presence {
  uint64_t count = 0;
  uint64_t missing = 0;
};

Presence PresenceOf(const Column& column) {
  const uint64_t missing = column.missing();
  return Presence{column.size() - missing, missing};
}

std::string NoValuesNote(const char* which, const Column& column, const Presence& presence) {
  if (column.size() == 0) return std::string("the ") + which + " sample is empty";
  return std::string("the ") + which + " sample has no values (all " +
         std::to_string(presence.missing) + " missing)";
}

// Distinct present values over both columns, counting no further than `limit` + 1.
size_t DistinctValues(const Column& a, const Column& b, size_t limit) {
  if (a.type == ColumnType::kNumeric) {
    std::vector<double> seen;
    for (const Column* column : {&a, &b}) {
      for (double v : column->numbers) {
        if (!IsPresent(v)) continue;
        if (v == 0) v = 0;  // -0 and +0 are one value
        if (std::find(seen.begin(), seen.end(), v) == seen.end()) {
          seen.push_back(v);
          if (seen.size() > limit) return seen.size();
        }
      }
    }
    return seen.size();
  }
  std::set<std::string_view> seen;
  for (const Column* column : {&a, &b}) {
    std::vector<bool> used(column->categories.size(), false);
    for (int32_t code : column->codes) {
      if (code >= 0) used[static_cast<size_t>(code)] = true;
    }
    for (size_t i = 0; i < used.size(); ++i) {
      if (used[i]) seen.insert(column->categories[i]);
    }
  }
  return seen.size();
}

// Counts per value over the union of both samples' values (categories by their text, numbers by
// their value), in one index space.
struct CategoryCounts {
  std::vector<uint64_t> reference, current;
};

CategoryCounts CountCategories(const Column& ref, const Column& cur) {
  CategoryCounts out;
  if (ref.type == ColumnType::kNumeric) {
    std::map<double, size_t> index;
    for (const Column* column : {&ref, &cur}) {
      for (double v : column->numbers) {
        if (IsPresent(v)) index.emplace(v == 0 ? 0.0 : v, 0);
      }
    }
    size_t next = 0;
    for (auto& [value, i] : index) i = next++;
    out.reference.assign(index.size(), 0);
    out.current.assign(index.size(), 0);
    for (double v : ref.numbers) {
      if (IsPresent(v)) ++out.reference[index[v == 0 ? 0.0 : v]];
    }
    for (double v : cur.numbers) {
      if (IsPresent(v)) ++out.current[index[v == 0 ? 0.0 : v]];
    }
    return out;
  }
  std::unordered_map<std::string_view, size_t> index;
  std::vector<size_t> ref_map(ref.categories.size()), cur_map(cur.categories.size());
  for (size_t i = 0; i < ref.categories.size(); ++i) {
    ref_map[i] = index.emplace(ref.categories[i], index.size()).first->second;
  }
  for (size_t i = 0; i < cur.categories.size(); ++i) {
    cur_map[i] = index.emplace(cur.categories[i], index.size()).first->second;
  }
  out.reference.assign(index.size(), 0);
  out.current.assign(index.size(), 0);
  for (int32_t code : ref.codes) {
    if (code >= 0) ++out.reference[ref_map[static_cast<size_t>(code)]];
  }
  for (int32_t code : cur.codes) {
    if (code >= 0) ++out.current[cur_map[static_cast<size_t>(code)]];
  }
  return out;
}

struct Plan {
  const Column* reference = nullptr;
  const Column* current = nullptr;
  Presence ref_presence, cur_presence;
  ColumnDrift* out = nullptr;
};

Status CheckOptions(const DriftOptions& options) {
  if (!(options.drift_share > 0 && options.drift_share <= 1)) {
    return InvalidArgument("the dataset drift share must be in (0, 1]");
  }
  if (options.threshold) {
    const double t = *options.threshold;
    if (!std::isfinite(t) || !(t > 0)) {
      return InvalidArgument("the threshold must be a positive number");
    }
    if (UsesPValue(options.method) && t > 1) {
      return InvalidArgument(std::string("the threshold of ") + DriftMethodName(options.method) +
                             " is a p-value: it must be in (0, 1]");
    }
  }
  if (options.bins < 2 || options.bins > 10000) {
    return InvalidArgument("bins must be between 2 and 10000");
  }
  if (!(options.psi_epsilon > 0 && options.psi_epsilon < 1)) {
    return InvalidArgument("the PSI epsilon must be in (0, 1)");
  }
  return Status::Ok();
}

// The columns to compare, in order, or the error that says why the tables do not fit.
Result<std::vector<std::string>> SelectColumns(const Table& reference, const Table& current,
                                               const DriftOptions& options) {
  std::vector<std::string> names;
  if (options.columns.empty()) {
    std::vector<std::string> only_reference, only_current;
    for (const Column& c : reference.columns()) {
      if (current.Find(c.name) == nullptr) only_reference.push_back(c.name);
      names.push_back(c.name);
    }
    for (const Column& c : current.columns()) {
      if (reference.Find(c.name) == nullptr) only_current.push_back(c.name);
    }
    if (!only_reference.empty() || !only_current.empty()) {
      auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& name : v) s += (s.empty() ? "" : ", ") + name;
        return s;
      };
      std::string message = "the reference and current columns differ:";
      if (!only_reference.empty()) message += " only in the reference: " + join(only_reference);
      if (!only_reference.empty() && !only_current.empty()) message += ";";
      if (!only_current.empty()) message += " only in the current data: " + join(only_current);
      return InvalidArgument(message + " (name the columns to compare)");
    }
    if (names.empty()) return InvalidArgument("the tables have no columns");
    return names;
  }
  for (const std::string& name : options.columns) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    if (reference.Find(name) == nullptr) {
      return InvalidArgument("unknown column '" + name + "': the reference has " +
                             (reference.columns().empty() ? "no columns" : reference.ColumnNames()));
    }
    if (current.Find(name) == nullptr) {
      return InvalidArgument("unknown column '" + name + "': the current data has " +
                             (current.columns().empty() ? "no columns" : current.ColumnNames()));
    }
    names.push_back(name);
  }
  return names;
}

void AddDetail(ColumnDrift* out, const char* name, double value) {
  out->details.emplace_back(name, value);
}

// Runs the planned test of one column (both samples have values).
Status Evaluate(const Plan& plan, const DriftOptions& options) {
  ColumnDrift& out = *plan.out;
  const Column& ref = *plan.reference;
  const Column& cur = *plan.current;
  const bool numeric = ref.type == ColumnType::kNumeric;

  DriftMethod method = options.method;
  bool as_categories = !numeric;
  if (method == DriftMethod::kAuto) {
    const size_t distinct = DistinctValues(ref, cur, kFewValues);
    const bool small = ref.size() <= kSmallReferenceRows;
    if (numeric && distinct > kFewValues) {
      method = small ? DriftMethod::kKs : DriftMethod::kWasserstein;
    } else {
      method = small ? DriftMethod::kChiSquare : DriftMethod::kJensenShannon;
      as_categories = true;
      AddDetail(&out, "distinct_values", static_cast<double>(distinct));
    }
  } else if (method == DriftMethod::kChiSquare) {
    as_categories = true;
  }
  out.method = method;
  out.threshold = options.threshold.value_or(DefaultThreshold(method));

  if (as_categories) {
    const CategoryCounts counts = CountCategories(ref, cur);
    AddDetail(&out, "categories", static_cast<double>(counts.reference.size()));
    switch (method) {
      case DriftMethod::kChiSquare: {
        const ChiSquareResult chi = ChiSquareHomogeneity(counts.reference, counts.current);
        out.statistic = chi.statistic;
        out.p_value = chi.p_value;
        AddDetail(&out, "degrees_of_freedom", static_cast<double>(chi.degrees_of_freedom));
        if (chi.degrees_of_freedom == 0) {
          out.note = "one distinct value in both samples: nothing to test, p-value 1";
        }
        break;
      }
      case DriftMethod::kJensenShannon:
        out.statistic = JensenShannonDistanceOfCounts(counts.reference, counts.current, 2.0);
        break;
      case DriftMethod::kPsi:
        out.statistic =
            PopulationStabilityIndex(counts.reference, counts.current, options.psi_epsilon);
        break;
      default:
        return InvalidArgument(std::string(DriftMethodName(method)) + " needs numeric values");
    }
  } else {
    NumericDriftOptions numeric_options;
    numeric_options.tests = NumericTests{};
    numeric_options.bins = options.bins;
    numeric_options.psi_epsilon = options.psi_epsilon;
    switch (method) {
      case DriftMethod::kKs: numeric_options.tests.ks = true; break;
      case DriftMethod::kPsi: numeric_options.tests.psi = true; break;
      case DriftMethod::kJensenShannon: numeric_options.tests.jensen_shannon = true; break;
      case DriftMethod::kWasserstein: numeric_options.tests.wasserstein = true; break;
      default: return Internal("unexpected numeric method");
    }
    ASSIGN_OR_RETURN(NumericDrift drift,
                     CompareNumeric(std::span<const double>(ref.numbers),
                                    std::span<const double>(cur.numbers), numeric_options));
    if (drift.ks) {
      out.statistic = drift.ks->statistic;
      out.p_value = drift.ks->p_value;
      AddDetail(&out, "effective_n", static_cast<double>(drift.ks->effective_n));
      if (drift.ks->effective_n == 0) {
        out.note = "one value in each sample: the asymptotic p-value is undefined; 1 is reported "
                   "(the exact p-value)";
      }
    } else if (drift.psi || drift.jensen_shannon) {
      out.statistic = drift.psi ? *drift.psi : *drift.jensen_shannon;
      AddDetail(&out, "bins", options.bins);
      std::vector<double> edges = drift.bin_edges;
      edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
      if (edges.size() < drift.bin_edges.size()) {
        out.note = "only " + std::to_string(edges.size()) + " of the reference's " +
                   std::to_string(drift.bin_edges.size()) +
                   " quantile edges are distinct (few distinct values), so bins merge; "
                   "chisquare compares such columns value by value";
      }
    } else if (drift.wasserstein) {
      out.statistic = drift.wasserstein->normed;
      AddDetail(&out, "wasserstein", drift.wasserstein->distance);
      AddDetail(&out, "reference_std", drift.reference.std);
      if (drift.reference.std < 1e-3) {
        out.note = "the reference's std is below 0.001: the distance is divided by 0.001";
      }
    }
  }
  out.drifted = UsesPValue(method) ? *out.p_value < out.threshold : out.statistic >= out.threshold;
  out.tested = true;
  return Status::Ok();
}

}  // namespace

const char* DriftMethodName(DriftMethod method) {
  switch (method) {
    case DriftMethod::kAuto: return "auto";
    case DriftMethod::kKs: return "ks";
    case DriftMethod::kPsi: return "psi";
    case DriftMethod::kJensenShannon: return "js";
    case DriftMethod::kWasserstein: return "wasserstein";
    case DriftMethod::kChiSquare: return "chisquare";
  }
  return "auto";
}

Result<DriftMethod> ParseDriftMethod(std::string_view name) {
  for (DriftMethod m : {DriftMethod::kAuto, DriftMethod::kKs, DriftMethod::kPsi,
                        DriftMethod::kJensenShannon, DriftMethod::kWasserstein,
                        DriftMethod::kChiSquare}) {
    if (name == DriftMethodName(m)) return m;
  }
  return InvalidArgument("unknown drift method '" + std::string(name) +
                         "': choose auto, ks, psi, js, wasserstein or chisquare");
}

bool UsesPValue(DriftMethod method) {
  return method == DriftMethod::kKs || method == DriftMethod::kChiSquare;
}

double DefaultThreshold(DriftMethod method) { return UsesPValue(method) ? 0.05 : 0.1; }

Result<DriftReport> DetectDrift(const Table& reference, const Table& current,
                                const DriftOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  ASSIGN_OR_RETURN(std::vector<std::string> names, SelectColumns(reference, current, options));

  DriftReport report;
  report.share_threshold = options.drift_share;
  report.columns.resize(names.size());
  std::vector<Plan> plans;
  for (size_t i = 0; i < names.size(); ++i) {
    const Column& ref = *reference.Find(names[i]);
    const Column& cur = *current.Find(names[i]);
    ColumnDrift& out = report.columns[i];
    Plan plan{&ref, &cur, PresenceOf(ref), PresenceOf(cur), &out};
    out.column = names[i];
    out.type = plan.ref_presence.count > 0 || plan.cur_presence.count == 0 ? ref.type : cur.type;
    out.reference_count = plan.ref_presence.count;
    out.reference_missing = plan.ref_presence.missing;
    out.current_count = plan.cur_presence.count;
    out.current_missing = plan.cur_presence.missing;
    if (plan.ref_presence.count > 0 && plan.cur_presence.count > 0 && ref.type != cur.type) {
      return InvalidArgument("column '" + names[i] + "' is " + ColumnTypeName(ref.type) +
                             " in the reference but " + ColumnTypeName(cur.type) +
                             " in the current data");
    }
    const bool ordered_method =
        options.method == DriftMethod::kKs || options.method == DriftMethod::kWasserstein;
    if (ordered_method && out.type == ColumnType::kCategorical) {
      return InvalidArgument(std::string(DriftMethodName(options.method)) +
                             " needs numeric columns; column '" + names[i] +
                             "' is categorical (use auto, psi, js or chisquare)");
    }
    if (plan.ref_presence.count == 0) {
      out.note = NoValuesNote("reference", ref, plan.ref_presence);
      continue;
    }
    if (plan.cur_presence.count == 0) {
      out.note = NoValuesNote("current", cur, plan.cur_presence);
      continue;
    }
    plans.push_back(plan);
  }

  std::vector<Status> statuses(plans.size());
  ParallelFor(plans.size(), options.threads,
              [&](size_t i) { statuses[i] = Evaluate(plans[i], options); });
  for (const Status& status : statuses) RETURN_IF_ERROR(status);

  for (const ColumnDrift& column : report.columns) {
    if (!column.tested) continue;
    ++report.tested_columns;
    if (column.drifted) ++report.drifted_columns;
  }
  if (report.tested_columns > 0) {
    report.drifted_share =
        static_cast<double>(report.drifted_columns) / static_cast<double>(report.tested_columns);
    report.dataset_drift = report.drifted_share >= report.share_threshold;
  }
  return report;
}

Json DriftReportToJson(const DriftReport& report) {
  Json columns = Json::array();
  for (const ColumnDrift& c : report.columns) {
    Json details = Json::object();
    for (const auto& [key, value] : c.details) details[key] = value;
    Json entry = {
        {"column", c.column},
        {"type", ColumnTypeName(c.type)},
        {"tested", c.tested},
        {"method", c.tested ? Json(DriftMethodName(c.method)) : Json()},
        {"statistic", c.tested ? Json(c.statistic) : Json()},
        {"p_value", c.p_value ? Json(*c.p_value) : Json()},
        {"threshold", c.tested ? Json(c.threshold) : Json()},
        {"drifted", c.tested ? Json(c.drifted) : Json()},
        {"note", c.note.empty() ? Json() : Json(c.note)},
        {"reference", {{"count", c.reference_count}, {"missing", c.reference_missing}}},
        {"current", {{"count", c.current_count}, {"missing", c.current_missing}}},
        {"details", details}};
    columns.push_back(std::move(entry));
  }
  Json dataset = {{"tested_columns", report.tested_columns},
                  {"drifted_columns", report.drifted_columns},
                  {"drifted_share", report.drifted_share},
                  {"share_threshold", report.share_threshold},
                  {"drift", report.dataset_drift}};
  return {{"columns", columns}, {"dataset", dataset}};
}

}  // namespace plinth::monitoring

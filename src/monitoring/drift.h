#pragma once
// Data drift between a reference table and a current table: one test per column, then a verdict
// for the dataset.
//
// Methods (DriftMethod) and what `drifted` means for each:
//   ks           two-sample Kolmogorov-Smirnov; statistic D, drifted when p-value < threshold
//                (default 0.05). Numeric columns only.
//   chisquare    Pearson's chi-square test of homogeneity over the values; drifted when
//                p-value < threshold (default 0.05). Numeric columns' values count as categories.
//   psi          population stability index; drifted when PSI >= threshold (default 0.1).
//   js           Jensen-Shannon distance, base 2; drifted when distance >= threshold (0.1).
//   wasserstein  Wasserstein-1 normed by the reference's std (Evidently's "Wasserstein distance
//                (normed)"); drifted when >= threshold (0.1); the raw distance is in details.
//                Numeric columns only.
// psi and js use quantile bins of the reference for numeric columns and the values themselves
// for categorical ones (and for the numeric columns that auto treats as categories).
// Definitions and SciPy equivalences: numeric_drift.h, divergences.h.
//
//   auto         chooses per column as Evidently does. With a reference of at most 1,000 rows:
//                ks for numeric columns with more than 5 distinct values (over both samples),
//                else chisquare; p < 0.05. With a larger reference: wasserstein for numeric
//                columns with more than 5 distinct values, else js; threshold 0.1. A threshold
//                given in the options replaces both defaults.
//
// The dataset drifts when drifted columns / tested columns >= drift_share (default 0.5).
//
// Defined results for bad input (never a crash, never an unexplained NaN):
//   - a column with no present value in either sample (an empty window, an all-NaN column) is
//     reported with tested = false and a note saying which sample and why; it is left out of the
//     share. If no column could be tested the dataset does not drift and the report says so;
//   - constant columns are tested normally (KS D = 0, p = 1 for equal constants; the Wasserstein
//     norm is floored at 0.001; PSI and JS are 0 for equal constants);
//   - single-row samples are tested; where SciPy's KS p-value is undefined (1 row against 1 row)
//     the p-value is 1, which is exact there, and a note says so;
// and these are errors (InvalidArgument, message naming the column):
//   - tables whose column names differ, when no columns are named;
//   - a named column missing from either table (unknown column);
//   - a column numeric in one table and categorical in the other, both with values;
//   - ks or wasserstein asked of a categorical column; thresholds or shares out of range.
//
// Thread-safe: DetectDrift only reads its inputs; columns are tested on `threads` threads.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "monitoring/table.h"

namespace plinth::monitoring {

enum class DriftMethod { kAuto, kKs, kPsi, kJensenShannon, kWasserstein, kChiSquare };

// "auto", "ks", "psi", "js", "wasserstein", "chisquare".
const char* DriftMethodName(DriftMethod method);
// The inverse of DriftMethodName; InvalidArgument listing the names otherwise.
Result<DriftMethod> ParseDriftMethod(std::string_view name);
// True for the methods whose verdict is a p-value below the threshold (ks, chisquare).
bool UsesPValue(DriftMethod method);
// 0.05 for ks and chisquare, 0.1 for psi, js and wasserstein.
double DefaultThreshold(DriftMethod method);

struct DriftOptions {
  DriftMethod method = DriftMethod::kAuto;
  std::optional<double> threshold;  // replaces the method's default; must be > 0 (and <= 1 for
                                    // p-values), finite
  std::vector<std::string> columns;  // empty: every column (the tables must then match)
  double drift_share = 0.5;          // in (0, 1]
  int bins = 10;                     // quantile bins for numeric psi and js
  double psi_epsilon = 1e-4;         // a bin's share when empty
  int threads = 0;                   // 0: one per core
};

struct ColumnDrift {
  std::string column;
  ColumnType type = ColumnType::kNumeric;
  bool tested = false;
  std::string note;  // why it was not tested, or what was special about the result
  DriftMethod method = DriftMethod::kAuto;  // the method used; kAuto when not tested
  double statistic = 0;
  std::optional<double> p_value;  // ks and chisquare
  double threshold = 0;
  bool drifted = false;
  uint64_t reference_count = 0, reference_missing = 0;
  uint64_t current_count = 0, current_missing = 0;
  // Method-specific figures, e.g. {"wasserstein", raw}, {"reference_std", s},
  // {"degrees_of_freedom", k}, {"effective_n", n}, {"bins", b}.
  std::vector<std::pair<std::string, double>> details;
};

struct DriftReport {
  std::vector<ColumnDrift> columns;  // in the order compared
  size_t tested_columns = 0;
  size_t drifted_columns = 0;
  double drifted_share = 0;  // drifted / tested; 0 when nothing was tested
  double share_threshold = 0.5;
  bool dataset_drift = false;
};

// Compares `current` with `reference`. Errors are listed above; data problems are per-column
// notes.
Result<DriftReport> DetectDrift(const Table& reference, const Table& current,
                                const DriftOptions& options = {});

// {"columns": [{"column", "type", "tested", "method", "statistic", "p_value", "threshold",
//   "drifted", "note", "reference": {"count", "missing"}, "current": {...}, "details": {...}}],
//  "dataset": {"tested_columns", "drifted_columns", "drifted_share", "share_threshold",
//  "drift"}}. Fields that do not apply are null.
nlohmann::json DriftReportToJson(const DriftReport& report);

}  // namespace plinth::monitoring

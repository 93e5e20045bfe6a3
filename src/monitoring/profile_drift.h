#pragma once
// Drift between two profiles (profile.h) instead of two tables: what a monitor compares, because
// a profile summarizes any number of rows in bounded memory (a baseline of 10M rows, a window of
// 10M captured predictions) while a Table holds every value.
//
// The tests and their verdicts are those of drift.h (ks, chisquare, psi, js, wasserstein, auto
// with Evidently's rules), computed over what the profiles keep:
//   - numeric columns: the KLL sketch's weighted values (KllSketch::WeightedValues). While a
//     sketch has not compacted (up to k values; monitors use k = 2048) it holds every value and the
//     statistics equal DetectDrift's (KS D exactly; Wasserstein exactly; PSI and JS up to the
//     choice of quantile edges: here the lower empirical quantile instead of numpy's linear
//     interpolation). Beyond that, ranks are within the sketch's error (about 1.3% of n at
//     k = 200, 0.14% at k = 2048), so D is within twice that and the areas within that share of
//     the range. KS p-values use the
//     true counts. "More than 5 distinct values" (auto) counts the distinct kept values.
//   - categorical columns: the CategoricalProfile counts, exact up to its capacity.
// The Wasserstein norm is the baseline's exact population std (Welford), floored at 0.001.
//
// Bad input has defined results, never a crash or a NaN:
//   - a column absent from the current profile, or with no present value in either (empty
//     window, all-NaN column): tested = false, with a note naming the side and the counts;
//   - a column numeric on one side and categorical on the other (mismatched schema), or a
//     method that needs numbers asked of a categorical column: tested = false with a note;
//   - constant columns and single-row samples are tested (notes as in drift.h);
//   - a column named in options.columns that the reference lacks: InvalidArgument naming it;
//   - thresholds, shares or bins out of range: InvalidArgument.
// The dataset verdict is drift.h's: drifted / tested >= drift_share; nothing tested, no drift.
//
// Pure functions; thread-safe.

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "monitoring/drift.h"
#include "monitoring/profile.h"

namespace plinth::monitoring {

// Compares `current` with `reference`, column by column over options.columns (empty: every
// column of the reference). options.threads is ignored (profiles are small).
Result<DriftReport> DetectProfileDrift(const TableProfile& reference, const TableProfile& current,
                                       const DriftOptions& options = {});

// One column; `current` may be null (absent). Never fails: problems are notes.
ColumnDrift CompareColumnProfiles(const ColumnProfile& reference, const ColumnProfile* current,
                                  const DriftOptions& options);

// What a plot of one column needs, for both sides:
//   {"baseline": STATS, "current": STATS | null, "histogram": H}
// STATS = {"count", "missing", "mean", "std", "min", "max", "quantiles": {"p05", ..., "p95"}}
// for numeric columns (statistics of an empty side are null), {"count", "missing", "distinct"}
// for categorical ones. H for numeric columns: {"edges": [bins + 1 values], "baseline": [...],
// "current": [...]} over equal-width bins spanning both sides (counts from the sketches); for
// categorical columns {"values": [...], "baseline": [...], "current": [...]} over the `bins`
// most frequent values of the baseline and the current data. Null when neither side has a
// value, or the two sides have different types.
nlohmann::json ColumnSummaryJson(const ColumnProfile& reference, const ColumnProfile* current,
                                 int bins = 20);

// The statistics of one profile column as above (no histogram).
nlohmann::json ColumnStatsJson(const ColumnProfile& column);

}  // namespace plinth::monitoring

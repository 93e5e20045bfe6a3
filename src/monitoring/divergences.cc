#include "monitoring/divergences.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "monitoring/distributions.h"

namespace plinth::monitoring {

namespace {

// scipy.special.rel_entr for x >= 0, y >= 0.
double RelEntr(double x, double y) {
  if (x == 0) return 0;
  if (y == 0) return 0;  // only reachable with x > 0, y = 0, which m = (p+q)/2 rules out
  return x * std::log(x / y);
}

}  // namespace

double JensenShannonDistance(std::span<const double> p, std::span<const double> q, double base) {
  if (p.size() != q.size() || p.empty()) return 0;
  double p_sum = 0, q_sum = 0;
  for (double v : p) p_sum += v;
  for (double v : q) q_sum += v;
  if (!(p_sum > 0) || !(q_sum > 0)) return 0;
  double left = 0, right = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double pi = p[i] / p_sum, qi = q[i] / q_sum;
    if (!(pi >= 0) || !(qi >= 0)) return 0;
    const double m = (pi + qi) / 2.0;
    left += RelEntr(pi, m);
    right += RelEntr(qi, m);
  }
  double js = left + right;
  if (base > 0 && base != 1) js /= std::log(base);
  // Rounding can leave a hair below zero for equal inputs, where SciPy would return NaN.
  return std::sqrt(std::max(js / 2.0, 0.0));
}

double JensenShannonDistanceOfCounts(std::span<const uint64_t> reference,
                                     std::span<const uint64_t> current, double base) {
  if (reference.size() != current.size()) return 0;
  uint64_t n1 = 0, n2 = 0;
  for (uint64_t c : reference) n1 += c;
  for (uint64_t c : current) n2 += c;
  if (n1 == 0 || n2 == 0) return 0;
  std::vector<double> p(reference.size()), q(current.size());
  for (size_t i = 0; i < p.size(); ++i) {
    p[i] = static_cast<double>(reference[i]) / static_cast<double>(n1);
    q[i] = static_cast<double>(current[i]) / static_cast<double>(n2);
  }
  return JensenShannonDistance(p, q, base);
}

double PopulationStabilityIndex(std::span<const uint64_t> reference,
                                std::span<const uint64_t> current, double epsilon) {
  if (reference.size() != current.size()) return 0;
  uint64_t n1 = 0, n2 = 0;
  for (uint64_t c : reference) n1 += c;
  for (uint64_t c : current) n2 += c;
  if (n1 == 0 || n2 == 0) return 0;
  double psi = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    double r = static_cast<double>(reference[i]) / static_cast<double>(n1);
    double c = static_cast<double>(current[i]) / static_cast<double>(n2);
    if (r == 0) r = epsilon;
    if (c == 0) c = epsilon;
    psi += (r - c) * std::log(r / c);
  }
  return psi;
}

ChiSquareResult ChiSquareHomogeneity(std::span<const uint64_t> reference,
                                     std::span<const uint64_t> current) {
  ChiSquareResult result;
  if (reference.size() != current.size()) return result;
  uint64_t n1 = 0, n2 = 0;
  int64_t bins = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    n1 += reference[i];
    n2 += current[i];
    if (reference[i] + current[i] > 0) ++bins;
  }
  if (n1 == 0 || n2 == 0 || bins < 2) return result;
  const double total = static_cast<double>(n1 + n2);
  double statistic = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const uint64_t column = reference[i] + current[i];
    if (column == 0) continue;
    const double e1 = static_cast<double>(n1) * static_cast<double>(column) / total;
    const double e2 = static_cast<double>(n2) * static_cast<double>(column) / total;
    const double d1 = static_cast<double>(reference[i]) - e1;
    const double d2 = static_cast<double>(current[i]) - e2;
    statistic += d1 * d1 / e1 + d2 * d2 / e2;
  }
  result.statistic = statistic;
  result.degrees_of_freedom = bins - 1;
  result.p_value = ChiSquareSf(statistic, static_cast<double>(result.degrees_of_freedom));
  return result;
}

}  // namespace plinth::monitoring

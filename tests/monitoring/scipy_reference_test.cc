// plinth's drift statistics against values Debian's python3-scipy computed on the same data
// (scipy_reference.txt, written by gen_scipy_reference.py): KS D exactly, p-values within 1e-6
// relative, the distances within 1e-9 relative.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "monitoring/distributions.h"
#include "monitoring/divergences.h"
#include "monitoring/numeric_drift.h"
#include "sample_spec.h"

namespace plinth::monitoring {
namespace {

std::vector<std::vector<std::string>> ReferenceLines(const std::string& kind) {
  std::ifstream in(PLINTH_SCIPY_REFERENCE);
  EXPECT_TRUE(in.good()) << "cannot open " << PLINTH_SCIPY_REFERENCE;
  std::vector<std::vector<std::string>> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::vector<std::string> parts;
    std::string field;
    while (fields >> field) parts.push_back(field);
    if (!parts.empty() && parts[0] == kind) lines.push_back(parts);
  }
  EXPECT_FALSE(lines.empty()) << "no '" << kind << "' lines";
  return lines;
}

// |a - b| <= rel * max(|a|, |b|), or both below `tiny` (values that underflow differently).
::testing::AssertionResult Near(double expected, double actual, double rel, double tiny = 1e-300) {
  if (std::isnan(actual)) return ::testing::AssertionFailure() << "got NaN";
  const double scale = std::max(std::abs(expected), std::abs(actual));
  if (std::abs(expected - actual) <= rel * scale) return ::testing::AssertionSuccess();
  if (std::abs(expected) <= tiny && std::abs(actual) <= tiny) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << expected << ", got " << actual << " (relative error "
         << std::abs(expected - actual) / scale << ")";
}

// strtod, which (unlike std::stod) accepts subnormal values such as 4.4e-317.
double Num(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

std::vector<uint64_t> Counts(const std::string& text) {
  std::vector<uint64_t> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) out.push_back(std::stoull(part));
  return out;
}

TEST(ScipyReference, KsStatisticIsExactAndPValueMatchesKs2sampAsymp) {
  for (const auto& f : ReferenceLines("ks2")) {
    SCOPED_TRACE(f[1]);
    const std::vector<double> ref = testing::ExpandSpec(f[2]);
    const std::vector<double> cur = testing::ExpandSpec(f[3]);
    NumericDriftOptions options;
    options.tests.ks = true;
    options.tests.psi = options.tests.jensen_shannon = options.tests.wasserstein = false;
    auto drift = CompareNumeric(std::span<const double>(ref), std::span<const double>(cur), options);
    ASSERT_TRUE(drift.ok()) << drift.status().message();
    EXPECT_EQ(drift->ks->statistic, Num(f[4]));  // bit for bit
    EXPECT_TRUE(Near(Num(f[5]), drift->ks->p_value, 1e-6));
  }
}

TEST(ScipyReference, WassersteinPsiAndJensenShannonMatch) {
  for (const auto& f : ReferenceLines("ks2")) {
    SCOPED_TRACE(f[1]);
    const std::vector<double> ref = testing::ExpandSpec(f[2]);
    const std::vector<double> cur = testing::ExpandSpec(f[3]);
    auto drift = CompareNumeric(std::span<const double>(ref), std::span<const double>(cur));
    ASSERT_TRUE(drift.ok()) << drift.status().message();
    EXPECT_TRUE(Near(Num(f[6]), drift->wasserstein->distance, 1e-9, 1e-12));
    EXPECT_TRUE(Near(Num(f[7]), drift->reference.std, 1e-9, 1e-12));
    const double norm = std::max(Num(f[7]), 1e-3);
    EXPECT_TRUE(Near(Num(f[6]) / norm, drift->wasserstein->normed, 1e-9, 1e-12));
    EXPECT_TRUE(Near(Num(f[8]), *drift->psi, 1e-9, 1e-12));
    EXPECT_TRUE(Near(Num(f[9]), *drift->jensen_shannon, 1e-9, 1e-12));
    // The float path computes the same on data that is exact in float.
    std::vector<float> ref_f(ref.begin(), ref.end()), cur_f(cur.begin(), cur.end());
    bool exact_in_float = true;
    for (size_t i = 0; i < ref.size() && exact_in_float; ++i) exact_in_float = ref_f[i] == ref[i];
    for (size_t i = 0; i < cur.size() && exact_in_float; ++i) exact_in_float = cur_f[i] == cur[i];
    if (exact_in_float) {
      auto as_float = CompareNumeric(std::span<const float>(ref_f), std::span<const float>(cur_f));
      ASSERT_TRUE(as_float.ok());
      EXPECT_EQ(as_float->ks->statistic, drift->ks->statistic);
      EXPECT_EQ(as_float->psi, drift->psi);
    }
  }
}

TEST(ScipyReference, KolmogorovSmirnovSfMatchesKstwoInEveryRegion) {
  for (const auto& f : ReferenceLines("kstwo")) {
    SCOPED_TRACE("n=" + f[1] + " d=" + f[2]);
    EXPECT_TRUE(Near(Num(f[3]), KolmogorovSmirnovSf(std::stoll(f[1]), Num(f[2])), 1e-6));
  }
}

TEST(ScipyReference, SmirnovSfMatchesScipySpecialSmirnov) {
  for (const auto& f : ReferenceLines("smirnov")) {
    SCOPED_TRACE("n=" + f[1] + " d=" + f[2]);
    EXPECT_TRUE(Near(Num(f[3]), SmirnovSf(std::stoll(f[1]), Num(f[2])), 1e-6));
  }
}

TEST(ScipyReference, ChiSquareSfMatchesChi2Sf) {
  for (const auto& f : ReferenceLines("chi2")) {
    SCOPED_TRACE("x=" + f[1] + " df=" + f[2]);
    EXPECT_TRUE(Near(Num(f[3]), ChiSquareSf(Num(f[1]), Num(f[2])), 1e-9));
  }
}

TEST(ScipyReference, ChiSquareHomogeneityMatchesChi2Contingency) {
  for (const auto& f : ReferenceLines("chi2c")) {
    SCOPED_TRACE(f[4] + " vs " + f[5]);
    const ChiSquareResult result = ChiSquareHomogeneity(Counts(f[4]), Counts(f[5]));
    EXPECT_TRUE(Near(Num(f[1]), result.statistic, 1e-9));
    EXPECT_TRUE(Near(Num(f[2]), result.p_value, 1e-6));
    EXPECT_EQ(result.degrees_of_freedom, std::stoll(f[3]));
  }
}

}  // namespace
}  // namespace plinth::monitoring

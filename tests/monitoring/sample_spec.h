#pragma once
// Expands the sample specs of gen_scipy_reference.py ("kind:n:seed:scale:shift[:k]") into the
// very same doubles the script fed to SciPy: splitmix64 and only +, -, * on doubles, evaluated
// in the script's order, so both languages produce identical values.

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace plinth::monitoring::testing {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t state_;
};

inline std::vector<double> ExpandSpec(const std::string& spec) {
  std::vector<std::string> parts;
  std::stringstream in(spec);
  std::string part;
  while (std::getline(in, part, ':')) parts.push_back(part);
  if (parts.size() < 5) throw std::invalid_argument("bad spec " + spec);
  const std::string kind = parts[0];
  const size_t n = std::stoull(parts[1]);
  SplitMix64 rng(std::stoull(parts[2]));
  const double scale = std::stod(parts[3]);
  const double shift = std::stod(parts[4]);
  const uint64_t k = parts.size() > 5 ? std::stoull(parts[5]) : 0;
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) {
    double x = 0;
    if (kind == "uniform") {
      x = rng.Uniform();
    } else if (kind == "normalish") {
      const double a = rng.Uniform();
      const double b = rng.Uniform();
      x = a + b;
      x = x + rng.Uniform();
      x = x + rng.Uniform();
      x = x - 2.0;
    } else if (kind == "skewed") {
      const double u = rng.Uniform();
      x = u * u;
      x = x * u;
    } else if (kind == "discrete") {
      x = static_cast<double>(rng.Next() % k);
    } else if (kind != "constant") {
      throw std::invalid_argument("bad kind " + kind);
    }
    out[i] = x * scale + shift;
  }
  return out;
}

}  // namespace plinth::monitoring::testing

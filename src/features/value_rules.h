#pragma once
// A feature's validation rules (batch.h: "type", "not_null", "min", "max", "allowed_values"),
// compiled once per batch for the feature's type, and the reading of one CSV cell against them.
// Internal to ingest: both batch readers (batch.cc, csv_text_batch.cc) check cells through this,
// so a cell passes or fails the same way whichever reads it.
//
// Thread-safe once built (read-only).

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/utf8.h"
#include "features/types.h"
#include "features/value_text.h"

namespace plinth::features {

// Strings longer than this are a "type" failure (their length must fit 24 bits: a cell stores a
// string as offset << 24 | length).
inline constexpr size_t kMaxStringValue = (1u << 24) - 1;

namespace internal {

// A double's bits with -0.0 read as 0.0 (they compare equal, so allowed_values treats them alike).
inline uint64_t CanonicalDoubleBits(double d) {
  if (d == 0) d = 0;
  uint64_t u;
  std::memcpy(&u, &d, sizeof(u));
  return u;
}

class ValueRules {
 public:
  explicit ValueRules(const Feature& feature);

  ValueType type() const { return type_; }
  bool not_null() const { return not_null_; }
  // Whether any of min, max, allowed_values is set (the Check* calls can fail).
  bool has_value_rules() const { return min_ || max_ || has_allowed_; }

  // Each calls fail(rule) for every rule the value breaks, in the order min, max, allowed_values.
  template <typename Fail>
  void CheckFloat(double v, const Fail& fail) const {
    if (min_ && v < *min_) fail("min");
    if (max_ && v > *max_) fail("max");
    if (has_allowed_ && !allowed_bits_.count(CanonicalDoubleBits(v))) fail("allowed_values");
  }
  template <typename Fail>
  void CheckInt(int64_t v, const Fail& fail) const {
    const double d = static_cast<double>(v);
    if (min_ && d < *min_) fail("min");
    if (max_ && d > *max_) fail("max");
    if (has_allowed_ && !allowed_bits_.count(static_cast<uint64_t>(v))) fail("allowed_values");
  }
  template <typename Fail>
  void CheckBool(bool v, const Fail& fail) const {
    if (has_allowed_ && !allowed_bits_.count(v ? 1 : 0)) fail("allowed_values");
  }
  // Strings must be UTF-8 text of at most kMaxStringValue bytes ("type"; nothing else is checked
  // then): JSON answers carry them. Returns false on a "type" failure.
  template <typename Fail>
  bool CheckString(std::string_view v, const Fail& fail) const {
    if (v.size() > kMaxStringValue || !IsValidUtf8(v)) {
      fail("type");
      return false;
    }
    if (has_allowed_ && !allowed_strings_.count(std::string(v))) fail("allowed_values");
    return true;
  }

  // Reads the text of a non-null CSV cell of a float, int or bool feature as its 8-byte cell
  // value (a double's bits, an int64, 0/1) and checks the rules. When the text is not a value of
  // the type, calls fail("type") only and returns false.
  template <typename Fail>
  bool ReadNumberCell(std::string_view text, uint64_t* cell, const Fail& fail) const {
    switch (type_) {
      case ValueType::kFloat: {
        double v;
        if (!ParseFloatText(text, &v)) break;
        CheckFloat(v, fail);
        std::memcpy(cell, &v, sizeof(v));
        return true;
      }
      case ValueType::kInt: {
        int64_t v;
        if (!ParseIntText(text, &v)) break;
        CheckInt(v, fail);
        *cell = static_cast<uint64_t>(v);
        return true;
      }
      case ValueType::kBool: {
        bool v;
        if (!ParseBoolText(text, &v)) break;
        CheckBool(v, fail);
        *cell = v ? 1 : 0;
        return true;
      }
      case ValueType::kString:
        break;
    }
    fail("type");
    return false;
  }

 private:
  ValueType type_ = ValueType::kFloat;
  bool not_null_ = false;
  std::optional<double> min_, max_;
  bool has_allowed_ = false;
  std::unordered_set<uint64_t> allowed_bits_;  // float (canonical bits), int, bool
  std::unordered_set<std::string> allowed_strings_;
};

}  // namespace internal
}  // namespace plinth::features

#pragma once
// Values as text: how the feature store reads a cell of a CSV batch and writes a cell of a CSV
// training set. These run once per cell on the ingest and join hot paths, so they are written for
// speed and never allocate.
//
// Reading (docs/feature-store.md, "Values"):
//   float  decimal or scientific ("3", "-0.25", "1e-05"); finite values only. Correctly rounded.
//   int    a decimal 64-bit integer ("-12"); no sign "+", no fraction, no exponent.
//   bool   true/false in any case, or 1/0.
//   string any text.
// Writing: floats exactly as Python's repr() and pandas' to_csv write float64 (the shortest text
// that reads back to the same double; fixed notation for decimal exponents -4 < e <= 16, else
// "1e-05" / "1.5e+16" form; a trailing ".0" on integral values), ints in decimal, bools as
// "true"/"false".
//
// Thread-safe (no state).

#include <cstdint>
#include <string_view>

namespace plinth::features {

bool ParseFloatText(std::string_view text, double* out);
// Reads the float that starts at `begin` (the syntax above, up to the first byte that cannot
// continue it, or `end`) and returns where it stops; nullptr when no float starts there. A cell
// is a float when the returned pointer is its end: ParseFloatText is exactly that.
// When `places` is given and the text is a decimal m * 10^-k (with m <= 2^53 and k <= 22, the
// common case; not -0), *places is set to the fewest decimal places that write the same number (k less
// the trailing zeros of m); it is left alone otherwise. The double is then m / 10^places
// correctly rounded, which the segment encoder can use without searching (segment.h).
const char* ParseFloatPrefix(const char* begin, const char* end, double* out,
                             int* places = nullptr);
bool ParseIntText(std::string_view text, int64_t* out);
bool ParseBoolText(std::string_view text, bool* out);

// Writes at most kMaxNumberText bytes at `out` and returns the end of the text (bytes after it,
// within those kMaxNumberText, may have been written too).
inline constexpr int kMaxNumberText = 32;
char* FormatFloatText(double value, char* out);
// The same text, always through the general shortest round-trip algorithm (std::to_chars);
// FormatFloatText first tries a faster exact path for short decimals. Exposed for tests.
char* FormatFloatTextShortest(double value, char* out);
char* FormatIntText(int64_t value, char* out);
// The text FormatFloatText writes for the double nearest to m / 10^d (0 <= d <= 9; that double
// is static_cast<double>(m) / 10^d for |m| <= 2^53), written from the decimal itself when that
// text is its plain decimal form: when 0 < |m| <= 2^53 and m has at most
// 15 significant digits once trailing zeros are dropped (then no shorter decimal reads back to the
// same double, so it is the shortest round-trip text) and the value is at least 1e-4 (fixed
// notation). Returns the end, or nullptr (nothing written) otherwise. For the join's output,
// whose stored floats are decimals (segment.h).
char* FormatDecimalText(int64_t m, int d, char* out);

}  // namespace plinth::features

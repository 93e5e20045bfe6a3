#include "features/csv.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstring>

namespace plinth::features {

bool CsvReader::Next(std::vector<CsvField>* fields) {
  fields->clear();
  unescaped_.clear();
  const char* data = text_.data();
  const size_t n = text_.size();
  // Skip blank lines.
  while (pos_ < n && (data[pos_] == '\n' || data[pos_] == '\r')) {
    if (data[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= n) return false;
  record_line_ = line_;
  while (true) {
    if (pos_ < n && data[pos_] == '"') {
      // Quoted field.
      size_t start = ++pos_;
      bool doubled = false;
      size_t end;
      while (true) {
        const void* q = std::memchr(data + pos_, '"', n - pos_);
        if (q == nullptr) {
          error_ = "line " + std::to_string(record_line_) + " has an unterminated quoted field";
          pos_ = n;
          return false;
        }
        size_t at = static_cast<const char*>(q) - data;
        for (size_t i = pos_; i < at; ++i) line_ += data[i] == '\n';
        if (at + 1 < n && data[at + 1] == '"') {
          doubled = true;
          pos_ = at + 2;
          continue;
        }
        end = at;
        pos_ = at + 1;
        break;
      }
      std::string_view raw(data + start, end - start);
      if (doubled) {
        std::string& s = unescaped_.emplace_back();
        s.reserve(raw.size());
        for (size_t i = 0; i < raw.size(); ++i) {
          s.push_back(raw[i]);
          if (raw[i] == '"') ++i;  // skip the second quote of a pair
        }
        raw = s;
      }
      fields->push_back({raw, true});
      if (pos_ < n && data[pos_] != ',' && data[pos_] != '\n' && data[pos_] != '\r') {
        error_ = "line " + std::to_string(record_line_) +
                 " has text after the closing quote of a field";
        return false;
      }
    } else {
      size_t start = pos_;
      while (pos_ < n) {
        char c = data[pos_];
        if (c == ',' || c == '\n' || c == '\r') break;
        ++pos_;
      }
      fields->push_back({std::string_view(data + start, pos_ - start), false});
    }
    if (pos_ >= n) return true;
    char c = data[pos_];
    if (c == ',') {
      ++pos_;
      if (pos_ >= n) {  // a trailing comma at the very end: one more, empty field
        fields->push_back({std::string_view(), false});
        return true;
      }
      continue;
    }
    // End of record.
    if (c == '\r') {
      ++pos_;
      if (pos_ < n && data[pos_] == '\n') ++pos_;
    } else {
      ++pos_;
    }
    ++line_;
    return true;
  }
}

namespace {

// Bit i set when p[i] is ',', '\n' or '\r', for the 64 bytes at p (SSE2, which every x86-64
// has; byte by byte elsewhere).
inline uint64_t DelimiterMask(const char* p) {
  uint64_t mask = 0;
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)),
                                     _mm_cmpeq_epi8(v, cr));
    mask |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(hit))) << (16 * k);
  }
#else
  for (int i = 0; i < 64; ++i) {
    mask |= static_cast<uint64_t>(p[i] == ',' || p[i] == '\n' || p[i] == '\r') << i;
  }
#endif
  return mask;
}

}  // namespace

size_t SplitPlainRecord(std::string_view text, size_t* pos, std::vector<std::string_view>* cells) {
  const char* data = text.data();
  const char* end = data + text.size();
  const char* p = data + *pos;
  while (p < end && (*p == '\n' || *p == '\r')) ++p;  // blank lines
  if (p >= end) {
    *pos = text.size();
    return 0;
  }
  const size_t capacity = cells->size();
  std::string_view* out = cells->data();
  size_t n = 0;
  const char* start = p;  // of the current field
  bool ended = false;     // p is at the record's line end
  // 64 bytes at a time while they lie inside the text: every delimiter of the window at once.
  while (!ended && end - p >= 64) {
    uint64_t mask = DelimiterMask(p);
    while (mask != 0) {
      const char* d = p + __builtin_ctzll(mask);
      if (n < capacity) out[n] = std::string_view(start, static_cast<size_t>(d - start));
      ++n;
      if (*d != ',') {
        p = d;
        ended = true;
        break;
      }
      start = d + 1;
      mask &= mask - 1;
    }
    if (!ended) p += 64;
  }
  // The rest of the text (under 64 bytes), eight bytes at a time.
  while (!ended) {
    p = FindCsvDelimiter(p, end);
    if (n < capacity) out[n] = std::string_view(start, static_cast<size_t>(p - start));
    ++n;
    if (p < end && *p == ',') {
      start = ++p;
      continue;
    }
    ended = true;
  }
  if (p < end && *p == '\r') ++p;
  if (p < end && *p == '\n') ++p;
  *pos = static_cast<size_t>(p - data);
  return n;
}

LineScan ScanLines(std::string_view text) {
  LineScan scan;
  const char* p = text.data();
  const char* end = p + text.size();
  size_t lines = 0;
  bool quotes = false;
#if defined(__SSE2__)
  // 16 bytes at a time, looking one byte ahead for the "\n" after a "\r" (so stop 17 short).
  // Line ends are counted per byte lane (a match is -1, subtracted) and summed every 255 steps,
  // before a lane can overflow; quotes are only OR-ed. (No popcount: without -mpopcnt it is a
  // library call.)
  const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), quote = _mm_set1_epi8('"');
  const __m128i zero = _mm_setzero_si128();
  __m128i any_quote = zero, counts = zero;
  int steps = 0;
  auto drain = [&] {
    const __m128i sums = _mm_sad_epu8(counts, zero);  // two 64-bit lane sums
    lines += static_cast<size_t>(_mm_cvtsi128_si64(sums)) +
             static_cast<size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
    counts = zero;
    steps = 0;
  };
  while (end - p >= 17) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
    const __m128i is_lf = _mm_cmpeq_epi8(v, lf);
    const __m128i lone_cr = _mm_andnot_si128(_mm_cmpeq_epi8(next, lf), _mm_cmpeq_epi8(v, cr));
    counts = _mm_sub_epi8(counts, _mm_or_si128(is_lf, lone_cr));
    any_quote = _mm_or_si128(any_quote, _mm_cmpeq_epi8(v, quote));
    if (++steps == 255) drain();
    p += 16;
  }
  drain();
  quotes = _mm_movemask_epi8(any_quote) != 0;
#endif
  for (; p < end; ++p) {
    lines += *p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n'));
    quotes |= *p == '"';
  }
  if (!text.empty() && text.back() != '\n') ++lines;  // a last line without a line end
  scan.lines = lines;
  scan.quotes = quotes;
  return scan;
}

bool CsvNeedsQuotes(std::string_view text) {
  for (char c : text) {
    if (c == ',' || c == '"' || c == '\n' || c == '\r') return true;
  }
  return false;
}

void AppendCsvField(std::string_view text, std::string* out) {
  if (!CsvNeedsQuotes(text)) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

std::vector<std::string_view> SplitAtLineEnds(std::string_view text, int n) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (int i = 1; i < n && start < text.size(); ++i) {
    size_t target = text.size() * i / n;
    if (target <= start) continue;
    size_t nl = text.find('\n', target);
    if (nl == std::string_view::npos) break;
    out.push_back(text.substr(start, nl + 1 - start));
    start = nl + 1;
  }
  if (start < text.size()) out.push_back(text.substr(start));
  return out;
}

}  // namespace plinth::features

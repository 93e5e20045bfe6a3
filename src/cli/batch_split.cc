#include "cli/batch_split.h"

namespace plinth::cli {

namespace {

// The end (one past the newline, or text.size()) of the record starting at `pos`.
size_t RecordEnd(std::string_view text, size_t pos, bool csv) {
  if (!csv) {
    size_t nl = text.find('\n', pos);
    return nl == std::string_view::npos ? text.size() : nl + 1;
  }
  bool quoted = false;
  for (size_t i = pos; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      quoted = !quoted;  // "" inside quotes toggles twice: no change
    } else if (c == '\n' && !quoted) {
      return i + 1;
    }
  }
  return text.size();
}

}  // namespace

TextBatches SplitTextBatches(std::string_view text, bool csv, size_t max_bytes) {
  TextBatches out;
  size_t pos = 0;
  if (csv) {
    pos = RecordEnd(text, 0, true);
    out.header = text.substr(0, pos);
  }
  size_t budget = max_bytes > out.header.size() ? max_bytes - out.header.size() : 1;
  size_t record = 1;
  while (pos < text.size()) {
    size_t start = pos, first = record;
    while (pos < text.size()) {
      size_t end = RecordEnd(text, pos, csv);
      if (pos > start && end - start > budget) break;
      pos = end;
      ++record;
    }
    out.bodies.push_back(text.substr(start, pos - start));
    out.first_record.push_back(first);
  }
  return out;
}

}  // namespace plinth::cli

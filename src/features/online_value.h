#pragma once
// The online store's records: the key of one entity of one feature view, and the value, the
// entity's latest feature values with their event time and the view version that wrote them.
// Internal to the feature store; docs/feature-store.md ("The online store") gives the layout.
//
// Key:   view name, 0x00, entity key (entity_key.h's encoding of the join key values). View names
//        hold no 0x00, so one view's keys are exactly those with the prefix "view\0".
// Value: u8 format (1), varint view version, i64 event time (ms, little-endian), varint feature
//        count, then per feature of that version, in its order, a tag byte and a payload:
//        0 null; 1 float, 8 bytes (the double's bits, little-endian); 2 int, zigzag varint;
//        3 false; 4 true; 5 string, varint length + bytes.
// Ten floats take 101 bytes; ten small ints 33.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "features/types.h"

namespace plinth::features {

inline constexpr uint8_t kOnlineFormat = 1;

// "view\0" + entity_key, appended to *out.
void AppendOnlineKey(std::string_view view, std::string_view entity_key, std::string* out);

// Builds one value. Add exactly `features` cells after the constructor.
class OnlineValueWriter {
 public:
  OnlineValueWriter(std::string* out, int version, int64_t event_ms, size_t features);
  void AddNull() { out_->push_back(0); }
  void AddFloat(double v);
  void AddInt(int64_t v);
  void AddBool(bool v) { out_->push_back(v ? 4 : 3); }
  void AddString(std::string_view v);
  // A cell of `type` from the 8-byte raw form used by batches and segments (a double's bits, an
  // int64, 0/1); strings go through AddString.
  void AddRaw(ValueType type, uint64_t raw);

 private:
  std::string* out_;
};

// One decoded cell; `str` points into the value's bytes.
struct OnlineCell {
  uint8_t tag = 0;  // as above; 0 is null
  uint64_t raw = 0;  // float bits, int64, or 0/1
  std::string_view str;
  bool null() const { return tag == 0; }
};

// The value's header. False when the bytes are not a value of this format.
bool DecodeOnlineHeader(std::string_view value, int* version, int64_t* event_ms);

// Decodes up to `max_cells` cells into cells[0..n) and sets *n (the value's feature count may be
// larger; the rest are skipped). False on malformed bytes.
bool DecodeOnlineCells(std::string_view value, OnlineCell* cells, size_t max_cells, size_t* n);

}  // namespace plinth::features

#pragma once
// event_timestamp: how the feature store reads the time of a feature row or an entity row.
//
// Internally every event time is an int64 count of milliseconds since the Unix epoch (UTC). A
// cell is accepted in any of these forms (docs/feature-store.md, "Timestamps"):
//   - RFC 3339: "2024-05-01T12:30:00Z", "2024-05-01T14:30:00.250+02:00". Also accepted: a space
//     or lowercase "t" for the "T", lowercase "z", no offset at all (read as UTC, as pandas
//     writes naive times), and a date alone ("2024-05-01", midnight UTC). Years 0001-9999.
//     Fractions finer than a millisecond are truncated toward the past (floor).
//   - Epoch seconds or epoch milliseconds, as a decimal integer or decimal fraction ("1714566600",
//     "1714566600.25", "1714566600250"). The unit is told by magnitude: a number whose absolute
//     value is below 100,000,000,000 (1e11) is seconds, anything else milliseconds. 1e11 seconds
//     is the year 5138 and 1e11 milliseconds is 1973-03-03, so the rule is exact for every
//     timestamp from 1973-03-03 until 5138 in either unit; earlier times given in milliseconds
//     would be read as seconds, so write those in RFC 3339.
//
// Thread-safe (no state).

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace plinth::features {

// Numbers at or above this magnitude are epoch milliseconds; below it, epoch seconds.
inline constexpr int64_t kEpochMillisThreshold = 100'000'000'000;

// The hot-path form: false when `text` is none of the accepted forms.
bool ParseEventTimeMs(std::string_view text, int64_t* ms);

// InvalidArgument "'<text>' is not an RFC 3339 time, epoch seconds or epoch milliseconds".
Result<int64_t> ParseEventTime(std::string_view text);

// "2024-05-01T12:30:00Z", or with ".250" when the milliseconds are not zero.
std::string FormatRfc3339(int64_t ms);

}  // namespace plinth::features

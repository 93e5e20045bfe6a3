#pragma once
// Writing JSON text straight into a string, without building a DOM: for the hot routes (predict,
// online features) whose answers have a fixed shape.

#include <cstdint>
#include <string>
#include <string_view>

namespace plinth::http {

// A JSON string: quotes, backslashes and control characters escaped; other bytes as they are.
void AppendJsonString(std::string_view s, std::string* out);
void AppendJsonInt(int64_t v, std::string* out);
// The shortest text that reads back as `v`; integral values keep a ".0" so that they stay
// floats; NaN and infinities, which JSON cannot hold, are null.
void AppendJsonDouble(double v, std::string* out);

}  // namespace plinth::http

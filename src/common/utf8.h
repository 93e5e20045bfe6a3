#pragma once
// UTF-8 validity. Text that reaches JSON (answers, audit events, stored definitions) must be
// UTF-8; bytes from outside JSON bodies (percent-decoded path segments, CSV cells) are checked
// with this before they are used.

#include <string_view>

namespace plinth {

// True when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
// (U+D800-U+DFFF), nothing above U+10FFFF, no truncated sequence. The empty string is valid.
bool IsValidUtf8(std::string_view text);

}  // namespace plinth

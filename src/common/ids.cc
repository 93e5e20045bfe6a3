#include "common/ids.h"

#include <openssl/rand.h>

#include <stdexcept>

namespace plinth {

namespace {
std::string RandomHex(int bytes) {
  unsigned char buf[64];
  if (RAND_bytes(buf, bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char kDigits[] = "0123456789abcdef";
  std::string out(bytes * 2, '0');
  for (int i = 0; i < bytes; ++i) {
    out[2 * i] = kDigits[buf[i] >> 4];
    out[2 * i + 1] = kDigits[buf[i] & 0xf];
  }
  return out;
}
}  // namespace

std::string NewId() { return RandomHex(16); }
std::string NewTokenSecret() { return "plt_" + RandomHex(32); }

}  // namespace plinth

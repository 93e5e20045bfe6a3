#pragma once
// SHA-256 (OpenSSL) as lowercase hex, whole-buffer and incremental.

#include <memory>
#include <string>
#include <string_view>

namespace plinth {

std::string Sha256Hex(std::string_view data);

class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  std::string FinishHex();  // the hasher may not be used afterwards

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace plinth

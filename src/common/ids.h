#pragma once
// Generated identifiers and secrets, from the OS's cryptographic random source.

#include <string>

namespace plinth {

// 32 lowercase hex characters (128 random bits): ids of runs, experiments, tokens.
std::string NewId();

// A bearer token secret: "plt_" followed by 64 hex characters (256 random bits).
std::string NewTokenSecret();

}  // namespace plinth

#pragma once
// Where a client command sends its requests and which token it presents.
//
// Each setting comes from the first source that has it:
//   URL:      --url, env PLINTH_URL, else http://127.0.0.1:PORT with PORT read from
//             DATA_DIR/server.port (written by `plinth server` once it listens);
//   token:    --token, env PLINTH_TOKEN, else the contents of DATA_DIR/admin.token (written by
//             the server's first start), else none (the server will answer 401);
//   DATA_DIR: --data-dir, env PLINTH_DATA_DIR, else "plinth-data".
// Empty values count as absent.

#include <functional>
#include <optional>
#include <string>

#include "common/status.h"

namespace plinth::cli {

// What the command line gave (absent: the option was not used).
struct ConnectionFlags {
  std::optional<std::string> url;
  std::optional<std::string> token;
  std::optional<std::string> data_dir;
};

struct ConnectionSettings {
  std::string url;
  std::string token;  // empty: send no Authorization header
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The real process environment.
EnvLookup ProcessEnv();

inline constexpr char kDefaultDataDir[] = "plinth-data";

std::string ResolveDataDir(const std::optional<std::string>& flag, const EnvLookup& env);

// Errors: FailedPrecondition when no URL is given and DATA_DIR/server.port is missing or does
// not hold a port; FailedPrecondition when DATA_DIR/admin.token exists but cannot be read.
Result<ConnectionSettings> ResolveConnection(const ConnectionFlags& flags, const EnvLookup& env);

}  // namespace plinth::cli

#pragma once
// The plinth command line: `plinth server ...` and every client command.
//
// Client commands talk HTTP to a server like any other client. `server` is parsed here but run by
// the ServerMain that main.cc passes in, because only main may name concrete backends.

#include <cstddef>
#include <functional>
#include <string>

namespace plinth::cli {

struct ServerOptions {
  std::string data_dir = "plinth-data";
  std::string host = "127.0.0.1";
  int port = 8080;                              // 0: the OS picks; written to DATA_DIR/server.port
  std::size_t max_body_bytes = 64u << 20;       // larger bodies get 413
  int threads = 64;                             // request threads (durable writes block one each)
  int request_timeout_seconds = 30;             // to read one whole request
  int idle_timeout_seconds = 60;                // keep-alive connection with no request
  bool metrics_open = false;                    // reserved: /metrics without a token
};

// Runs the server with the parsed options; returns the process exit code.
using ServerMain = std::function<int(const ServerOptions&)>;

// Parses argv and runs the command. Returns the process exit code: 0 on success; on failure the
// command has printed one readable line to stderr.
int Run(int argc, char** argv, const ServerMain& server_main);

}  // namespace plinth::cli

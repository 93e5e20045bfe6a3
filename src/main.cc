// plinth: the one binary. The only place that names concrete storage backends.
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "cli/cli.h"
#include "http/api.h"
#include "http/http_server.h"
#include "service/plinth_service.h"
#include "storage/localfs/local_blob_store.h"
#include "storage/rocksdb/rocksdb_kv_store.h"
#include "storage/sqlite/sqlite_metadata_store.h"

namespace {

using plinth::Status;

// Writes `text` to `path` with `mode`, atomically (temporary file + rename).
Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return plinth::Internal("cannot write " + tmp);
    out << text << "\n";
  }
  if (::chmod(tmp.c_str(), mode) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return plinth::Internal("cannot write " + path);
  }
  return Status::Ok();
}

int Fail(const Status& st) {
  std::fprintf(stderr, "plinth: %s\n", st.ToString().c_str());
  return 1;
}

int RunServer(const plinth::cli::ServerOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) return Fail(plinth::Internal("cannot create " + options.data_dir + ": " + ec.message()));

  // SIGINT and SIGTERM are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto metadata = plinth::storage::SqliteMetadataStore::Open({options.data_dir + "/plinth.db"});
  if (!metadata.ok()) return Fail(metadata.status());
  auto blobs = plinth::storage::LocalBlobStore::Open(options.data_dir + "/blobs");
  if (!blobs.ok()) return Fail(blobs.status());
  auto online = plinth::storage::RocksDbKvStore::Open({.dir = options.data_dir + "/online"});
  if (!online.ok()) return Fail(online.status());
  auto service = plinth::service::PlinthService::Open(
      **metadata, **blobs,
      {.features_dir = options.data_dir + "/features", .online_kv = online->get()});
  if (!service.ok()) return Fail(service.status());

  auto admin = (*service)->tokens().CreateInitialAdmin();
  if (!admin.ok()) return Fail(admin.status());
  std::string token_path = options.data_dir + "/admin.token";
  if (admin->has_value()) {
    Status st = WriteFileAtomically(token_path, (*admin)->secret, 0600);
    if (!st.ok()) return Fail(st);
    spdlog::info("created the admin token; its secret is in {}", token_path);
  }

  auto router = plinth::http::BuildApiRouter(**service, {options.metrics_open});
  plinth::http::ServerOptions http_options;
  http_options.host = options.host;
  http_options.port = options.port;
  http_options.threads = options.threads;
  http_options.max_body_bytes = options.max_body_bytes;
  http_options.request_timeout_seconds = options.request_timeout_seconds;
  http_options.idle_timeout_seconds = options.idle_timeout_seconds;
  auto server = plinth::http::HttpServer::Bind(http_options, *router);
  if (!server.ok()) return Fail(server.status());
  int port = (*server)->port();
  (*server)->Start();
  Status st = WriteFileAtomically(options.data_dir + "/server.port", std::to_string(port), 0644);
  if (!st.ok()) return Fail(st);
  std::printf("plinth listening on http://%s:%d (data dir %s)\n", options.host.c_str(), port,
              options.data_dir.c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("received {}, shutting down", received == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->Stop();
  std::filesystem::remove(options.data_dir + "/server.port", ec);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return plinth::cli::Run(argc, argv, RunServer); }

// plinth_feature_seed: writes feature definitions and offline data into a data dir through the
// library, for integration tests that need feature views before a server starts (the feature
// store's definition API is served by other routes; the online tests need only data).
//
//   plinth_feature_seed DATA_DIR [--entity JSON]... [--view JSON]... [--ingest VIEW=FILE.csv]...
//
// Run it while no server uses DATA_DIR. Exits 1 with a message on any error.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "auth/audit_log.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "storage/sqlite/sqlite_metadata_store.h"

namespace {

int Fail(const std::string& what) {
  std::fprintf(stderr, "plinth_feature_seed: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace plinth;
  if (argc < 2) return Fail("usage: plinth_feature_seed DATA_DIR [--entity JSON] [--view JSON] [--ingest VIEW=FILE]");
  std::string dir = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto meta = storage::SqliteMetadataStore::Open({dir + "/plinth.db"});
  if (!meta.ok()) return Fail(meta.status().ToString());
  if (Status st = auth::AuditLog(**meta).InitSchema(); !st.ok()) return Fail(st.ToString());
  features::FeatureStoreOptions options;
  options.metadata = meta->get();
  options.offline_dir = dir + "/features";
  auto store = features::FeatureStore::Open(options);
  if (!store.ok()) return Fail(store.status().ToString());
  auth::Principal actor{"seed", "seed", auth::Role::kAdmin};
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    Status st;
    if (flag == "--entity") {
      auto e = features::EntityFromJson(value);
      st = e.ok() ? (*store)->registry().ApplyEntity(actor, *e).status() : e.status();
    } else if (flag == "--view") {
      auto v = features::FeatureViewFromJson(value);
      st = v.ok() ? (*store)->registry().ApplyFeatureView(actor, *v).status() : v.status();
    } else if (flag == "--ingest") {
      size_t eq = value.find('=');
      if (eq == std::string::npos) return Fail("--ingest takes VIEW=FILE");
      std::ifstream in(value.substr(eq + 1), std::ios::binary);
      if (!in) return Fail("cannot read " + value.substr(eq + 1));
      std::stringstream text;
      text << in.rdbuf();
      st = (*store)->Ingest(actor, value.substr(0, eq), features::BatchFormat::kCsv, text.str()).status();
    } else {
      return Fail("unknown flag " + flag);
    }
    if (!st.ok()) return Fail(flag + ": " + st.ToString() + " " + st.details_json());
  }
  return 0;
}

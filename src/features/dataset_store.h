#pragma once
// DatasetStore: named, versioned training sets, the feature store's answer to "which data was
// this model trained on".
//
// A dataset version is a training set as it was produced: its CSV bytes, kept in the BlobStore
// under their SHA-256 (content-addressed, checked on every read), and a row in the MetadataStore
// with the name, the version number (1, 2, ...), the SHA-256, size, row count and columns, the
// feature refs it asked for, the feature view versions the join read, who made it and when.
// Saving the same bytes under a name whose latest version already holds them makes no new
// version (it answers the latest one, `created` false), so retrying a save is harmless.
//
// The blob is written first and the row (with its audit event "dataset.create", in the same
// transaction) second: a crash in between leaves at most an unreferenced blob. Durable on return.
// Thread-safe: concurrent saves of one name are serialized by the store's writer and get
// consecutive versions.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/roles.h"
#include "common/paging.h"
#include "common/status.h"
#include "storage/blob_store.h"
#include "storage/metadata_store.h"

namespace plinth::features {

// A feature view version a dataset read.
struct ViewVersionRef {
  std::string name;
  int version = 0;

  bool operator==(const ViewVersionRef&) const = default;
};

struct Dataset {
  std::string name;
  int64_t version = 0;
  std::string sha256;  // of the CSV bytes
  int64_t size = 0;    // bytes
  int64_t rows = 0;
  std::vector<std::string> columns;
  std::vector<std::string> feature_refs;      // "view:feature", as asked for
  std::vector<ViewVersionRef> feature_views;  // by name
  std::string description;
  std::string created_by;
  int64_t created_ms = 0;
};

struct NewDataset {
  std::string name;
  std::string description;
  int64_t rows = 0;
  std::vector<std::string> columns;
  std::vector<std::string> feature_refs;
  std::vector<ViewVersionRef> feature_views;
};

struct DatasetSaveResult {
  Dataset dataset;
  bool created = true;  // false: the latest version already held these bytes
};

class DatasetStore {
 public:
  // Both stores must outlive this object.
  DatasetStore(storage::MetadataStore& metadata, storage::BlobStore& blobs)
      : metadata_(metadata), blobs_(blobs) {}

  Status InitSchema();

  // InvalidArgument for a bad name or empty CSV; Internal for I/O errors.
  Result<DatasetSaveResult> Save(const auth::Principal& actor, const NewDataset& spec,
                                 std::string_view csv);

  // The latest version, or `version`. NotFound names what is missing.
  Result<Dataset> Get(const std::string& name, std::optional<int64_t> version = std::nullopt);
  // The latest version of each dataset, by name; limit + 1 fetched.
  Result<std::vector<Dataset>> List(const PageRequest& page);
  // Every version of one dataset, oldest first. NotFound.
  Result<std::vector<Dataset>> ListVersions(const std::string& name);
  // The CSV bytes of a version, checked against its SHA-256.
  Result<std::string> ReadCsv(const std::string& name, int64_t version);

 private:
  storage::MetadataStore& metadata_;
  storage::BlobStore& blobs_;
};

}  // namespace plinth::features

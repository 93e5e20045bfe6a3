#pragma once
// OnlineStore: the latest feature values of every entity of every feature view, for serving.
//
// One record per (view, entity) in a KvStore (online_value.h gives the bytes): the values of the
// newest event the store has seen for that entity, the event time, and the view version that
// wrote them. Writers (materialization from the offline store, and push) keep the newer event:
// a row whose event time is older than the stored one is skipped; on an equal time the later
// write wins, which is the offline store's rule for duplicates (docs/feature-store.md), so the
// online value of an entity is always the offline store's latest row for it that has been
// materialized or pushed. Writes of one view are serialized (read, compare, write under a
// per-view stripe lock); reads never wait for them.
//
// Reads resolve "view:feature" refs against the latest view versions, cached in memory per
// thread and dropped when the registry's generation moves (feature_registry.h): the read path
// touches no SQL, only one KvStore MultiGet for every (view, entity) of the request. A value
// older than the view's TTL (at the time of the read) is returned as null with status
// OUTSIDE_MAX_AGE; an entity never written is NOT_FOUND; a stored null is NULL_VALUE. Values
// written by an older version are read by feature name; a feature whose type changed since, or
// a record written under other join keys, reads as null (NOT_FOUND for the join key case).
//
// Thread-safe. Borrows the KvStore and the registry, which must outlive it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "features/batch.h"
#include "features/feature_registry.h"
#include "features/online_value.h"
#include "features/types.h"
#include "storage/kv_store.h"

namespace plinth::features {

enum class FeatureStatus : uint8_t { kPresent, kNullValue, kNotFound, kOutsideMaxAge };
const char* FeatureStatusName(FeatureStatus status);  // "PRESENT", "NULL_VALUE", ...

// Entity rows of an online request: named join key columns of text cells (an int key's decimal
// text or a string key's bytes), nullopt for null. Every column has `rows` cells.
struct OnlineEntities {
  std::vector<std::string_view> names;
  std::vector<std::vector<std::optional<std::string_view>>> columns;
  size_t rows = 0;
};

struct OnlineFeatureInfo {
  std::string_view view;
  std::string_view name;
  ValueType type = ValueType::kFloat;
};

// A cell of the answer. For strings, `str` points into OnlineResult's buffers.
struct OnlineResultCell {
  FeatureStatus status = FeatureStatus::kNotFound;
  int64_t event_ms = 0;  // 0 when NOT_FOUND
  uint64_t raw = 0;      // float bits, int64, 0/1 (when PRESENT)
  std::string_view str;
};

// Reusable between requests (keeps its buffers); cells are feature-major: Cell(f, row).
struct OnlineResult {
  size_t rows = 0;
  std::vector<OnlineFeatureInfo> features;  // one per ref, in ref order
  std::vector<OnlineResultCell> cells;
  const OnlineResultCell& Cell(size_t f, size_t row) const { return cells[f * rows + row]; }
  double Float(size_t f, size_t row) const;

  // Scratch space of the read, kept for reuse.
  std::vector<std::string> keys, values;
  std::vector<std::string_view> key_views;
  std::vector<uint8_t> found;
};

// One record to write: the entity key (entity_key.h) and an encoded value (online_value.h).
struct OnlineRecord {
  std::string entity_key;
  int64_t event_ms = 0;
  std::string value;
};

struct OnlineWriteStats {
  size_t written = 0;  // records stored
  size_t skipped = 0;  // records older than the stored value
};

class OnlineStore {
 public:
  OnlineStore(storage::KvStore& kv, FeatureRegistry& registry);
  ~OnlineStore();

  // Reads `refs` ("view:feature") for every entity row. The entities must name every join key
  // of every view asked for. InvalidArgument for a malformed or repeated ref, a missing join key
  // column, or an int join key that is not an integer (naming the row); NotFound for an unknown
  // view or feature; Internal for storage errors. A null join key reads as NOT_FOUND.
  // `now_ms` is the time the TTL is measured from.
  Status Read(const std::vector<std::string_view>& refs, const OnlineEntities& entities,
              int64_t now_ms, OnlineResult* result);

  // Writes records of `view`, keeping newer stored values (see above). sync: durable on return,
  // with everything written before (kv_store.h).
  // The records' entity keys must be distinct.
  Result<OnlineWriteStats> Write(std::string_view view, std::span<const OnlineRecord> records,
                                 bool sync);

  // The latest row of each entity in `batch` (the greatest event time; on ties the later row),
  // encoded for `view` (the version the batch was parsed for).
  static std::vector<OnlineRecord> LatestRecords(const FeatureView& view, const FeatureBatch& batch);

  // Every record of `view`, in key order: fn(entity_key, value). For tests and operators.
  Status Scan(std::string_view view,
              const std::function<bool(std::string_view entity_key, std::string_view value)>& fn);

  // Internal (named here so that the per-thread caches can hold them).
  struct CachedView;
  struct VersionMap;

 private:
  // The latest version of `view`, from this thread's cache or the registry.
  Result<std::shared_ptr<const CachedView>> Resolve(std::string_view view);
  // How the cells of a record written by `version` map onto the latest version's features (by
  // name and type). Cached per view.
  Result<std::shared_ptr<const VersionMap>> MapVersion(const CachedView& latest, int version);

  storage::KvStore& kv_;
  FeatureRegistry& registry_;
  const uint64_t id_;  // tells this store's entries in the per-thread caches apart
  static constexpr size_t kStripes = 64;
  std::mutex write_mu_[kStripes];  // per view (hashed): serializes read-compare-write
};

}  // namespace plinth::features

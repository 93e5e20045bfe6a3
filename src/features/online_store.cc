#include "features/online_store.h"

#include <charconv>
#include <cstring>
#include <functional>
#include <algorithm>
#include <map>
#include <unordered_map>

#include "features/entity_key.h"

namespace plinth::features {

const char* FeatureStatusName(FeatureStatus status) {
  switch (status) {
    case FeatureStatus::kPresent: return "PRESENT";
    case FeatureStatus::kNullValue: return "NULL_VALUE";
    case FeatureStatus::kNotFound: return "NOT_FOUND";
    case FeatureStatus::kOutsideMaxAge: return "OUTSIDE_MAX_AGE";
  }
  return "NOT_FOUND";
}

double OnlineResult::Float(size_t f, size_t row) const {
  const OnlineResultCell& c = Cell(f, row);
  switch (features[f].type) {
    case ValueType::kFloat: {
      double d;
      std::memcpy(&d, &c.raw, 8);
      return d;
    }
    case ValueType::kInt: return static_cast<double>(static_cast<int64_t>(c.raw));
    case ValueType::kBool: return c.raw != 0 ? 1.0 : 0.0;
    case ValueType::kString: break;
  }
  return 0;
}

// For a record written by some version: index[f] is the cell of the latest version's feature f
// in that record, or -1 (absent, or retyped). same_keys is false when the record was written
// under other join keys (it then belongs to no entity of the latest version).
struct OnlineStore::VersionMap {
  bool same_keys = true;
  std::vector<int> index;
};

struct OnlineStore::CachedView {
  FeatureView view;        // the latest version
  std::string key_prefix;  // "view\0"
  std::shared_ptr<const VersionMap> identity;
  mutable std::mutex mu;
  mutable std::map<int, std::shared_ptr<const VersionMap>> older;  // GUARDED_BY(mu)
};

namespace {

std::atomic<uint64_t> next_store_id{1};

// Each thread's resolved views, for the store it last served.
struct ThreadViews {
  uint64_t store_id = 0;
  uint64_t generation = 0;
  std::unordered_map<std::string, std::shared_ptr<const OnlineStore::CachedView>> views;
};
thread_local ThreadViews thread_views;

}  // namespace

OnlineStore::OnlineStore(storage::KvStore& kv, FeatureRegistry& registry)
    : kv_(kv), registry_(registry), id_(next_store_id.fetch_add(1)) {}

OnlineStore::~OnlineStore() = default;

Result<std::shared_ptr<const OnlineStore::CachedView>> OnlineStore::Resolve(std::string_view view) {
  ThreadViews& tv = thread_views;
  uint64_t generation = registry_.generation();
  if (tv.store_id != id_ || tv.generation != generation) {
    tv.views.clear();
    tv.store_id = id_;
    tv.generation = generation;
  }
  // Heterogeneous lookup needs C++20's transparent hashing; the key is short, so build it.
  thread_local std::string name;
  name.assign(view);
  auto it = tv.views.find(name);
  if (it != tv.views.end()) return it->second;
  ASSIGN_OR_RETURN(FeatureView latest, registry_.GetFeatureView(name));
  auto cached = std::make_shared<CachedView>();
  cached->key_prefix = latest.name;
  cached->key_prefix.push_back('\0');
  auto identity = std::make_shared<VersionMap>();
  for (size_t f = 0; f < latest.features.size(); ++f) identity->index.push_back(static_cast<int>(f));
  cached->identity = std::move(identity);
  cached->view = std::move(latest);
  tv.views.emplace(name, cached);
  return std::shared_ptr<const CachedView>(std::move(cached));
}

Result<std::shared_ptr<const OnlineStore::VersionMap>> OnlineStore::MapVersion(
    const CachedView& latest, int version) {
  if (version == latest.view.version) return latest.identity;
  {
    std::lock_guard<std::mutex> lock(latest.mu);
    auto it = latest.older.find(version);
    if (it != latest.older.end()) return it->second;
  }
  auto map = std::make_shared<VersionMap>();
  auto old = registry_.GetFeatureView(latest.view.name, version);
  if (!old.ok()) {
    if (old.status().code() != StatusCode::kNotFound) return old.status();
    map->same_keys = false;  // a version the registry does not know: nobody's record
  } else {
    map->same_keys = old->join_keys == latest.view.join_keys;
    for (const Feature& f : latest.view.features) {
      int index = -1;
      for (size_t i = 0; i < old->features.size(); ++i) {
        if (old->features[i].name == f.name && old->features[i].type == f.type) {
          index = static_cast<int>(i);
          break;
        }
      }
      map->index.push_back(index);
    }
  }
  std::lock_guard<std::mutex> lock(latest.mu);
  latest.older[version] = map;
  return std::shared_ptr<const VersionMap>(std::move(map));
}

Status OnlineStore::Read(const std::vector<std::string_view>& refs, const OnlineEntities& entities,
                         int64_t now_ms, OnlineResult* result) {
  if (refs.empty()) return InvalidArgument("ask for at least one feature ref 'view:feature'");
  if (entities.names.size() != entities.columns.size()) {
    return InvalidArgument("entities: every join key needs a column of values");
  }
  const size_t rows = entities.rows;
  for (size_t c = 0; c < entities.columns.size(); ++c) {
    if (entities.columns[c].size() != rows) {
      return InvalidArgument("entities." + std::string(entities.names[c]) + " has " +
                             std::to_string(entities.columns[c].size()) + " values; " +
                             std::string(entities.names[0]) + " has " + std::to_string(rows));
    }
  }
  struct Group {
    std::shared_ptr<const CachedView> cached;
    int join_cols[16];
  };
  // Requests name a few views: small fixed arrays, no allocation.
  constexpr size_t kMaxGroups = 32;
  Group groups[kMaxGroups];
  size_t ngroups = 0;
  thread_local std::vector<std::pair<int, int>> ref_at;  // (group, feature index in latest)
  ref_at.clear();
  result->rows = rows;
  result->features.clear();
  for (size_t i = 0; i < refs.size(); ++i) {
    std::string_view ref = refs[i];
    size_t colon = ref.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == ref.size() ||
        ref.find(':', colon + 1) != std::string_view::npos) {
      return InvalidArgument("feature ref '" + std::string(ref) + "' must be 'view:feature'");
    }
    for (size_t j = 0; j < i; ++j) {
      if (refs[j] == ref) return InvalidArgument("feature ref '" + std::string(ref) + "' is listed twice");
    }
    std::string_view view = ref.substr(0, colon), feature = ref.substr(colon + 1);
    size_t g = 0;
    while (g < ngroups && groups[g].cached->view.name != view) ++g;
    if (g == ngroups) {
      if (ngroups == kMaxGroups) return InvalidArgument("at most 32 feature views per request");
      ASSIGN_OR_RETURN(groups[g].cached, Resolve(view));
      const FeatureView& v = groups[g].cached->view;
      for (size_t k = 0; k < v.join_keys.size(); ++k) {
        int col = -1;
        for (size_t c = 0; c < entities.names.size(); ++c) {
          if (entities.names[c] == v.join_keys[k].name) col = static_cast<int>(c);
        }
        if (col < 0) {
          return InvalidArgument("feature view '" + v.name + "' needs join key '" +
                                 v.join_keys[k].name + "' in entities");
        }
        groups[g].join_cols[k] = col;
      }
      ++ngroups;
    }
    const FeatureView& v = groups[g].cached->view;
    int index = -1;
    for (size_t f = 0; f < v.features.size(); ++f) {
      if (v.features[f].name == feature) index = static_cast<int>(f);
    }
    if (index < 0) {
      return NotFound("feature view '" + v.name + "' has no feature '" + std::string(feature) + "'");
    }
    ref_at.push_back({static_cast<int>(g), index});
    result->features.push_back({std::string_view(v.name), std::string_view(v.features[index].name),
                                v.features[index].type});
  }

  // Keys: one per (group, row), in that order.
  const size_t nkeys = ngroups * rows;
  if (result->keys.size() < nkeys) result->keys.resize(nkeys);
  result->key_views.resize(nkeys);
  for (size_t g = 0; g < ngroups; ++g) {
    const CachedView& cv = *groups[g].cached;
    const std::vector<JoinKey>& jk = cv.view.join_keys;
    for (size_t r = 0; r < rows; ++r) {
      std::string& key = result->keys[g * rows + r];
      key.assign(cv.key_prefix);
      bool null = false;
      for (size_t k = 0; k < jk.size() && !null; ++k) {
        const std::optional<std::string_view>& cell = entities.columns[groups[g].join_cols[k]][r];
        if (!cell) {
          null = true;
          break;
        }
        if (jk[k].type == ValueType::kInt) {
          int64_t v = 0;
          auto [end, ec] = std::from_chars(cell->data(), cell->data() + cell->size(), v);
          if (ec != std::errc() || end != cell->data() + cell->size()) {
            return InvalidArgument("entities." + jk[k].name + "[" + std::to_string(r) + "] '" +
                                   std::string(cell->substr(0, 50)) + "' is not an integer");
          }
          AppendIntKeyPart(v, &key);
        } else {
          AppendStringKeyPart(*cell, k + 1 == jk.size(), &key);
        }
      }
      if (null) key.clear();  // no stored key is empty: reads as NOT_FOUND
      result->key_views[g * rows + r] = key;
    }
  }
  RETURN_IF_ERROR(kv_.MultiGet(std::span<const std::string_view>(result->key_views.data(), nkeys),
                               &result->values, &result->found));

  result->cells.assign(refs.size() * rows, OnlineResultCell{});
  thread_local std::vector<OnlineCell> decoded;
  for (size_t g = 0; g < ngroups; ++g) {
    const CachedView& cv = *groups[g].cached;
    const int64_t ttl_ms = cv.view.ttl_seconds * 1000;
    if (decoded.size() < 1024) decoded.resize(1024);
    for (size_t r = 0; r < rows; ++r) {
      size_t k = g * rows + r;
      if (!result->found[k] || result->key_views[k].empty()) continue;  // NOT_FOUND
      std::string_view value = result->values[k];
      int version = 0;
      int64_t event_ms = 0;
      size_t ncells = 0;
      if (!DecodeOnlineHeader(value, &version, &event_ms) ||
          !DecodeOnlineCells(value, decoded.data(), decoded.size(), &ncells)) {
        return Internal("the online record of feature view '" + cv.view.name + "' is corrupt");
      }
      ASSIGN_OR_RETURN(std::shared_ptr<const VersionMap> map, MapVersion(cv, version));
      if (!map->same_keys) continue;
      const bool expired = ttl_ms > 0 && now_ms - event_ms > ttl_ms;
      for (size_t f = 0; f < ref_at.size(); ++f) {
        if (ref_at[f].first != static_cast<int>(g)) continue;
        OnlineResultCell& out = result->cells[f * rows + r];
        out.event_ms = event_ms;
        if (expired) {
          out.status = FeatureStatus::kOutsideMaxAge;
          continue;
        }
        int index = map->index[ref_at[f].second];
        if (index < 0 || static_cast<size_t>(index) >= ncells || decoded[index].null()) {
          out.status = FeatureStatus::kNullValue;
          continue;
        }
        out.status = FeatureStatus::kPresent;
        out.raw = decoded[index].raw;
        out.str = decoded[index].str;
      }
    }
  }
  return Status::Ok();
}

Result<OnlineWriteStats> OnlineStore::Write(std::string_view view,
                                            std::span<const OnlineRecord> records, bool sync) {
  OnlineWriteStats stats;
  std::vector<std::string> keys(records.size());
  std::vector<std::string_view> views(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    AppendOnlineKey(view, records[i].entity_key, &keys[i]);
    views[i] = keys[i];
  }
  std::lock_guard<std::mutex> lock(write_mu_[std::hash<std::string_view>()(view) % kStripes]);
  std::vector<std::string> stored;
  std::vector<uint8_t> found;
  RETURN_IF_ERROR(kv_.MultiGet(views, &stored, &found));
  storage::WriteBatch batch;
  for (size_t i = 0; i < records.size(); ++i) {
    int version = 0;
    int64_t stored_ms = 0;
    if (found[i] && DecodeOnlineHeader(stored[i], &version, &stored_ms) &&
        stored_ms > records[i].event_ms) {
      ++stats.skipped;
      continue;
    }
    batch.Put(keys[i], records[i].value);
    ++stats.written;
  }
  if (batch.empty()) {
    // Nothing new; a caller that asked for durability still gets everything before it synced.
    if (sync) RETURN_IF_ERROR(kv_.Sync());
    return stats;
  }
  RETURN_IF_ERROR(kv_.Write(batch, {.sync = sync}));
  return stats;
}

std::vector<OnlineRecord> OnlineStore::LatestRecords(const FeatureView& view,
                                                     const FeatureBatch& batch) {
  std::unordered_map<std::string_view, size_t> best;
  best.reserve(batch.rows);
  for (size_t i = 0; i < batch.rows; ++i) {
    auto [it, inserted] = best.emplace(batch.Key(i), i);
    if (!inserted && batch.event_ms[i] >= batch.event_ms[it->second]) it->second = i;
  }
  std::vector<size_t> rows;
  rows.reserve(best.size());
  for (const auto& [key, row] : best) rows.push_back(row);
  std::sort(rows.begin(), rows.end());
  std::vector<OnlineRecord> out;
  out.reserve(rows.size());
  for (size_t r : rows) {
    OnlineRecord& rec = out.emplace_back();
    rec.entity_key = std::string(batch.Key(r));
    rec.event_ms = batch.event_ms[r];
    OnlineValueWriter w(&rec.value, view.version, rec.event_ms, batch.features.size());
    for (size_t f = 0; f < batch.features.size(); ++f) {
      if (!batch.Valid(r, f)) {
        w.AddNull();
      } else if (batch.features[f].type == ValueType::kString) {
        w.AddString(batch.String(r, f));
      } else {
        w.AddRaw(batch.features[f].type, batch.Raw(r, f));
      }
    }
  }
  return out;
}

Status OnlineStore::Scan(
    std::string_view view,
    const std::function<bool(std::string_view entity_key, std::string_view value)>& fn) {
  std::string prefix(view);
  prefix.push_back('\0');
  return kv_.ScanPrefix(prefix, [&](std::string_view key, std::string_view value) {
    return fn(key.substr(prefix.size()), value);
  });
}

}  // namespace plinth::features

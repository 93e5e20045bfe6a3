#pragma once
// FeedbackStore: ground-truth labels for captured predictions, keyed by the request id that the
// predict response and the capture record carry.
//
// A label is stored whether or not its request was captured yet: capture is written off the
// request path (and sampled), so a label may arrive first. Record() says which ids matched a
// stored capture of the endpoint at that moment; unmatched labels are kept and join later
// captures of the same id. A label sent again for the same (endpoint, request id) replaces the
// old one. Monitors join labels to captures per chunk (LabelsFor). Thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "auth/roles.h"
#include "common/status.h"
#include "serving/capture_log.h"
#include "storage/metadata_store.h"

namespace plinth::monitoring {

struct FeedbackItem {
  std::string request_id;
  std::string label_json;  // a number, or a list of numbers (one per row of the request)
};

struct FeedbackResult {
  int64_t accepted = 0;
  int64_t matched = 0;
  std::vector<std::string> unmatched;  // ids with no stored capture on the endpoint (yet)
};

class FeedbackStore {
 public:
  FeedbackStore(storage::MetadataStore& store, serving::CaptureLog& captures)
      : store_(store), captures_(captures) {}

  Status InitSchema();

  // Stores the labels (audited as feedback.create, one event per call).
  Result<FeedbackResult> Record(const auth::Principal& actor, const std::string& endpoint,
                                const std::vector<FeedbackItem>& items);

  // The labels of those request ids on `endpoint` (id -> label JSON).
  Result<std::map<std::string, std::string>> LabelsFor(const std::string& endpoint,
                                                       const std::vector<std::string>& request_ids);

 private:
  storage::MetadataStore& store_;
  serving::CaptureLog& captures_;
};

}  // namespace plinth::monitoring

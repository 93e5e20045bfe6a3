#include "monitoring/capture_scan.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace plinth::monitoring {

Status ScanCaptures(serving::CaptureLog& captures, FeedbackStore* labels,
                    const std::string& endpoint, int64_t since_ms, int64_t until_ms,
                    WindowProfiler& profiler, int chunk_records) {
  int64_t after_time = since_ms - 1, after_seq = 0;
  for (;;) {
    ASSIGN_OR_RETURN(
        std::vector<serving::CaptureRecord> chunk,
        captures.Chunk(endpoint, since_ms, until_ms, after_time, after_seq, chunk_records));
    if (chunk.empty()) return Status::Ok();
    std::map<std::string, std::string> joined;
    if (labels != nullptr) {
      std::vector<std::string> ids;
      ids.reserve(chunk.size());
      for (const auto& r : chunk) ids.push_back(r.request_id);
      ASSIGN_OR_RETURN(joined, labels->LabelsFor(endpoint, ids));
    }
    for (const auto& r : chunk) {
      auto it = joined.find(r.request_id);
      profiler.Add(r.variant, r.inputs_json, r.outputs_json,
                   it == joined.end() ? std::string_view() : std::string_view(it->second));
    }
    after_time = chunk.back().time_ms;
    after_seq = chunk.back().seq;
    if (chunk.size() < static_cast<size_t>(chunk_records)) return Status::Ok();
  }
}

Result<std::vector<std::string>> DiscoverColumns(serving::CaptureLog& captures,
                                                 const std::string& endpoint, int64_t since_ms,
                                                 int64_t until_ms) {
  ASSIGN_OR_RETURN(std::vector<serving::CaptureRecord> chunk,
                   captures.Chunk(endpoint, since_ms, until_ms, since_ms - 1, 0, 1000));
  std::vector<std::string> names;
  auto add = [&](const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  };
  for (const auto& r : chunk) {
    // ordered_json keeps the features in the order the client sent them.
    nlohmann::ordered_json body = nlohmann::ordered_json::parse(r.inputs_json, nullptr, false);
    if (!body.is_object()) continue;
    if (auto it = body.find("instances"); it != body.end() && it->is_array()) {
      for (const auto& row : *it) {
        if (row.is_object()) {
          for (const auto& item : row.items()) add(item.key());
        }
      }
    } else if (auto in = body.find("inputs"); in != body.end() && in->is_array() && !in->empty()) {
      const auto& first = (*in)[0];
      if (first.is_array()) {
        for (size_t i = 0; i < first.size(); ++i) add("input-" + std::to_string(i));
      } else if (first.is_object() && in->size() > 1) {
        for (const auto& t : *in) {
          if (t.is_object() && t.contains("name") && t["name"].is_string()) add(t["name"]);
        }
      } else if (first.is_object()) {
        const auto& shape = first.value("shape", nlohmann::ordered_json::array());
        if (shape.size() == 2 && shape[1].is_number_integer()) {
          for (int64_t i = 0; i < shape[1].get<int64_t>(); ++i) add("input-" + std::to_string(i));
        } else if (first.contains("name") && first["name"].is_string()) {
          add(first["name"]);
        }
      }
    }
  }
  return names;
}

}  // namespace plinth::monitoring

#include "http/metric_batch_parser.h"

#include <string>

#include "http/json_body.h"
#include "tracking/tracking_store.h"

namespace plinth::http {

namespace dom = simdjson::dom;

namespace {

// Reads an optional integer field; null keeps the default.
Status ReadOptionalInt(dom::element value, const std::string& where, int64_t& out) {
  if (value.is_null()) return Status::Ok();
  int64_t v = 0;
  if (value.get_int64().get(v)) return InvalidArgument(where + " must be an integer");
  out = v;
  return Status::Ok();
}

Status ReadPoint(dom::element element, size_t index, int64_t now_ms, tracking::MetricPoint& p) {
  dom::object obj;
  if (element.get_object().get(obj)) {
    return InvalidArgument("metrics[" + std::to_string(index) + "] must be an object");
  }
  auto where = [index] { return "metrics[" + std::to_string(index) + "]"; };
  bool has_key = false, has_value = false;
  p.timestamp = now_ms;
  for (dom::key_value_pair field : obj) {
    if (field.key == "key") {
      std::string_view key;
      if (field.value.get_string().get(key)) return InvalidArgument(where() + ".key must be a string");
      p.key.assign(key);
      has_key = true;
    } else if (field.key == "value") {
      if (field.value.get_double().get(p.value)) {
        return InvalidArgument(where() + ".value must be a number");
      }
      has_value = true;
    } else if (field.key == "step") {
      RETURN_IF_ERROR(ReadOptionalInt(field.value, where() + ".step", p.step));
    } else if (field.key == "timestamp") {
      RETURN_IF_ERROR(ReadOptionalInt(field.value, where() + ".timestamp", p.timestamp));
    }
  }
  if (!has_key) return InvalidArgument(where() + ".key must be a string");
  if (!has_value) return InvalidArgument(where() + ".value must be a number");
  return tracking::ValidateMetric(p, where());
}

}  // namespace

Result<std::vector<tracking::MetricPoint>> ParseMetricBatch(std::string_view body, int64_t now_ms) {
  ASSIGN_OR_RETURN(dom::object root, ParseBodyObject(body));
  dom::array array;
  if (root["metrics"].get_array().get(array)) return InvalidArgument("'metrics' must be an array");
  if (array.size() > kMaxMetricsPerRequest) {
    return InvalidArgument("'metrics' has " + std::to_string(array.size()) +
                           " entries; the limit is " + std::to_string(kMaxMetricsPerRequest));
  }
  std::vector<tracking::MetricPoint> points(array.size());
  size_t index = 0;
  for (dom::element element : array) {
    RETURN_IF_ERROR(ReadPoint(element, index, now_ms, points[index]));
    ++index;
  }
  return points;
}

}  // namespace plinth::http

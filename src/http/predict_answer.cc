#include "http/predict_answer.h"

#include "http/json_text.h"

namespace plinth::http {

void AppendPredictionsJson(const serving::Prediction& p, std::string* out) {
  size_t per_row = p.outputs_per_row == 0 ? 1 : p.outputs_per_row;
  out->push_back('[');
  for (size_t i = 0; i < p.values.size(); ++i) {
    bool row_start = i % per_row == 0;
    if (i > 0) out->append(per_row > 1 && row_start ? "]," : ",");
    if (per_row > 1 && row_start) out->push_back('[');
    AppendJsonDouble(p.values[i], out);
  }
  if (per_row > 1 && !p.values.empty()) out->push_back(']');
  out->push_back(']');
}

namespace {

void AppendFallback(const serving::Prediction& p, const serving::LiveEndpoint& live,
                    std::string* out) {
  out->append(",\"fallback\":{\"reason\":");
  AppendJsonString(p.fallback_reason, out);
  if (p.fallback_constant) {
    const std::vector<double>& c = *live.spec.fallback->constant;
    out->append(",\"constant\":");
    if (c.size() == 1) {
      AppendJsonDouble(c[0], out);
    } else {
      out->push_back('[');
      for (size_t i = 0; i < c.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonDouble(c[i], out);
      }
      out->push_back(']');
    }
  } else {
    out->append(",\"variant\":");
    AppendJsonString(p.variant, out);
  }
  out->push_back('}');
}

}  // namespace

std::string PredictAnswerJson(const serving::Prediction& p, const serving::LiveEndpoint& live,
                              std::string_view request_id, std::string_view extra_members) {
  std::string out;
  out.reserve(160 + 24 * p.values.size() + extra_members.size());
  out.append("{\"predictions\":");
  AppendPredictionsJson(p, &out);
  if (p.fallback_constant) {
    out.append(",\"variant\":null,\"model\":null,\"version\":null");
  } else {
    out.append(",\"variant\":");
    AppendJsonString(p.variant, &out);
    out.append(",\"model\":");
    AppendJsonString(p.model, &out);
    out.append(",\"version\":");
    AppendJsonInt(p.version, &out);
  }
  out.append(",\"runtime\":");
  AppendJsonString(p.runtime, &out);
  out.append(",\"served_by\":");
  AppendJsonString(p.served_by, &out);
  out.append(",\"request_id\":");
  AppendJsonString(request_id, &out);
  if (p.served_by == "fallback") AppendFallback(p, live, &out);
  if (!extra_members.empty()) {
    out.push_back(',');
    out.append(extra_members);
  }
  out.push_back('}');
  return out;
}

}  // namespace plinth::http

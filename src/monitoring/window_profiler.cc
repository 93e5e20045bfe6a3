#include "monitoring/window_profiler.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace plinth::monitoring {

namespace {

using Json = nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool ToNumber(const Json& v, double* out) {
  if (v.is_null()) {
    *out = kNaN;
    return true;
  }
  if (v.is_number()) {
    *out = v.get<double>();
    return true;
  }
  if (v.is_boolean()) {
    *out = v.get<bool>() ? 1 : 0;
    return true;
  }
  return false;
}

// The rows of one request: named values per row.
struct Rows {
  size_t n = 0;
  std::vector<std::vector<std::pair<std::string, double>>> values;
};

Result<Rows> ReadInputs(const Json& body, const std::vector<std::string>& positional) {
  Rows rows;
  auto name_of = [&](size_t i) {
    return i < positional.size() ? positional[i] : "input-" + std::to_string(i);
  };
  if (!body.is_object()) return InvalidArgument("the request is not a JSON object");
  if (auto it = body.find("instances"); it != body.end() && it->is_array()) {
    for (const Json& row : *it) {
      if (!row.is_object()) return InvalidArgument("an instance is not an object");
      auto& out = rows.values.emplace_back();
      for (const auto& [name, value] : row.items()) {
        double v;
        if (!ToNumber(value, &v)) return InvalidArgument("'" + name + "' is not a number");
        out.emplace_back(name, v);
      }
    }
    rows.n = rows.values.size();
    return rows;
  }
  auto it = body.find("inputs");
  if (it == body.end() || !it->is_array()) {
    return InvalidArgument("the request has neither 'instances' nor 'inputs'");
  }
  if (!it->empty() && (*it)[0].is_object()) {  // Open Inference Protocol tensors
    const Json& tensors = *it;
    if (tensors.size() == 1) {
      const Json& t = tensors[0];
      const Json& shape = t.value("shape", Json::array());
      const Json& data = t.value("data", Json::array());
      if (shape.size() == 2 && shape[1].is_number_integer() && shape[1].get<int64_t>() != 1) {
        size_t width = shape[1].get<size_t>();
        std::vector<double> flat;
        for (const Json& v : data) {
          if (v.is_array()) {
            for (const Json& x : v) {
              double d;
              if (!ToNumber(x, &d)) return InvalidArgument("a tensor value is not a number");
              flat.push_back(d);
            }
          } else {
            double d;
            if (!ToNumber(v, &d)) return InvalidArgument("a tensor value is not a number");
            flat.push_back(d);
          }
        }
        if (width == 0 || flat.size() % width != 0)
          return InvalidArgument("a tensor's shape is wrong");
        for (size_t r = 0; r < flat.size() / width; ++r) {
          auto& out = rows.values.emplace_back();
          for (size_t c = 0; c < width; ++c) out.emplace_back(name_of(c), flat[r * width + c]);
        }
        rows.n = rows.values.size();
        return rows;
      }
    }
    for (const Json& t : tensors) {
      std::string name = t.value("name", "");
      const Json& data = t.value("data", Json::array());
      std::vector<double> column;
      for (const Json& v : data) {
        const Json& x = v.is_array() && v.size() == 1 ? v[0] : v;
        double d;
        if (!ToNumber(x, &d)) return InvalidArgument("a tensor value is not a number");
        column.push_back(d);
      }
      if (rows.values.empty()) rows.values.resize(column.size());
      if (column.size() != rows.values.size()) return InvalidArgument("tensors differ in rows");
      for (size_t r = 0; r < column.size(); ++r) rows.values[r].emplace_back(name, column[r]);
    }
    rows.n = rows.values.size();
    return rows;
  }
  for (const Json& row : *it) {
    if (!row.is_array()) return InvalidArgument("an input row is not a list");
    auto& out = rows.values.emplace_back();
    for (size_t c = 0; c < row.size(); ++c) {
      double v;
      if (!ToNumber(row[c], &v)) return InvalidArgument("an input value is not a number");
      out.emplace_back(name_of(c), v);
    }
  }
  rows.n = rows.values.size();
  return rows;
}

}  // namespace

WindowProfiler::WindowProfiler(WindowProfilerOptions options) : options_(std::move(options)) {
  for (size_t i = 0; i < options_.feature_columns.size(); ++i) {
    index_.emplace(options_.feature_columns[i], i);
  }
  buffer_.resize(options_.feature_columns.size() + 1);
  if (options_.quality) quality_.emplace(*options_.quality);
  if (options_.chunk_rows == 0) options_.chunk_rows = 1;
}

void WindowProfiler::Add(std::string_view variant, std::string_view inputs_json,
                         std::string_view outputs_json, std::string_view label_json) {
  ++requests_;
  auto skip = [&](const std::string& why) {
    ++bad_records_;
    if (first_bad_.empty()) first_bad_ = why;
  };
  Json inputs = Json::parse(inputs_json, nullptr, false);
  Json outputs = Json::parse(outputs_json, nullptr, false);
  if (inputs.is_discarded() || outputs.is_discarded()) return skip("a record is not valid JSON");
  Result<Rows> rows = ReadInputs(inputs, options_.feature_columns);
  if (!rows.ok()) return skip(rows.status().message());
  if (!outputs.is_array() || outputs.size() != rows->n) {
    return skip("a record's predictions do not match its rows");
  }
  // Outputs per row.
  std::vector<std::vector<double>> predictions(rows->n);
  for (size_t r = 0; r < rows->n; ++r) {
    const Json& o = outputs[r];
    if (o.is_array()) {
      for (const Json& x : o) {
        double d;
        if (!ToNumber(x, &d)) return skip("a prediction is not a number");
        predictions[r].push_back(d);
      }
    } else {
      double d;
      if (!ToNumber(o, &d)) return skip("a prediction is not a number");
      predictions[r].push_back(d);
    }
  }
  // Labels.
  std::vector<double> labels;
  if (!label_json.empty()) {
    Json label = Json::parse(label_json, nullptr, false);
    double d;
    if (!label.is_discarded() && label.is_array() && label.size() == rows->n) {
      for (const Json& x : label) labels.push_back(ToNumber(x, &d) ? d : kNaN);
    } else if (!label.is_discarded() && rows->n == 1 && ToNumber(label, &d)) {
      labels.push_back(d);
    } else {
      ++label_mismatches_;
    }
  }

  const size_t width = options_.feature_columns.size();
  for (size_t r = 0; r < rows->n; ++r) {
    for (size_t c = 0; c <= width; ++c) buffer_[c].push_back(kNaN);
    for (const auto& [name, value] : rows->values[r]) {
      auto it = index_.find(name);
      if (it == index_.end()) {
        ++unknown_[name];
        continue;
      }
      buffer_[it->second].back() = value;
    }
    const std::vector<double>& p = predictions[r];
    double prediction = kNaN;
    if (p.size() == 1) {
      prediction = p[0];
    } else if (!p.empty()) {
      prediction = static_cast<double>(std::max_element(p.begin(), p.end()) - p.begin());
    }
    buffer_[width].back() = prediction;
    if (!labels.empty() && quality_) {
      ++labelled_rows_;
      quality_->Add(p, labels[r]);
      auto [it, added] = by_variant_.try_emplace(std::string(variant), *options_.quality);
      it->second.Add(p, labels[r]);
    } else if (!labels.empty()) {
      ++labelled_rows_;
    }
    ++rows_;
  }
  if (buffer_[0].size() >= options_.chunk_rows) Flush();
}

void WindowProfiler::Flush() {
  Table table;
  for (size_t c = 0; c < buffer_.size(); ++c) {
    const std::string& name = c < options_.feature_columns.size() ? options_.feature_columns[c]
                                                                  : options_.prediction_column;
    // Names are distinct by construction (the caller's feature list is de-duplicated).
    (void)table.AddColumn(Column::Numeric(name, std::move(buffer_[c])));
    buffer_[c] = {};
  }
  TableProfile chunk = TableProfile::FromTable(table, options_.profile);
  if (!profile_) {
    profile_ = std::move(chunk);
  } else {
    (void)profile_->Merge(chunk);  // same columns and options: cannot fail
  }
}

TableProfile WindowProfiler::Finish() {
  if (!buffer_[0].empty() || !profile_) Flush();
  TableProfile out = std::move(*profile_);
  profile_.reset();
  return out;
}

std::optional<QualityResult> WindowProfiler::Quality() const {
  if (!quality_) return std::nullopt;
  return quality_->Result();
}

std::map<std::string, QualityResult> WindowProfiler::QualityByVariant() const {
  std::map<std::string, QualityResult> out;
  for (const auto& [variant, acc] : by_variant_) out.emplace(variant, acc.Result());
  return out;
}

}  // namespace plinth::monitoring

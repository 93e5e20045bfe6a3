#include "http/predict_body.h"

#include <algorithm>
#include <cmath>

#include "http/json_body.h"

namespace plinth::http {

namespace dom = simdjson::dom;
using serving::FeatureRows;

namespace {

// The smallest magnitude that rounds to infinity as a float (2^128 - 2^103): beyond float's range.
constexpr double kFloatOverflow = 3.4028235677973366e38;

// A feature value: a number within float's range (models read float32), a boolean (1 or 0) or
// null (missing: NaN).
template <typename Where>
Result<float> FeatureValue(dom::element v, const Where& where) {
  switch (v.type()) {
    case dom::element_type::DOUBLE:
    case dom::element_type::INT64:
    case dom::element_type::UINT64: {
      const double d = v.get_double().value_unsafe();
      if (std::fabs(d) >= kFloatOverflow) {  // (JSON has no infinities: d is finite)
        return InvalidArgument(where() + " is beyond the float32 range models read (about " +
                               "+-3.4e38)");
      }
      return static_cast<float>(d);
    }
    case dom::element_type::NULL_VALUE:
      return std::nanf("");
    case dom::element_type::BOOL:
      return v.get_bool().value_unsafe() ? 1.0f : 0.0f;
    default:
      return InvalidArgument(where() + " must be a number or null");
  }
}

bool Has(dom::object obj, std::string_view key, dom::element& out) {
  return obj.at_key(key).get(out) == simdjson::SUCCESS;
}

Result<FeatureRows> ParseInstances(dom::element instances) {
  dom::array rows_in;
  if (instances.get_array().get(rows_in)) {
    return InvalidArgument("'instances' must be a list of objects");
  }
  FeatureRows rows;
  rows.named = true;
  rows.instances.reserve(rows_in.size());
  size_t r = 0;
  for (dom::element row : rows_in) {
    dom::object fields;
    if (row.get_object().get(fields)) {
      return InvalidArgument("instances[" + std::to_string(r) + "] must be an object");
    }
    auto& out = rows.instances.emplace_back();
    out.reserve(fields.size());
    for (dom::key_value_pair field : fields) {
      ASSIGN_OR_RETURN(float f, FeatureValue(field.value, [&] {
                         return "instances[" + std::to_string(r) + "]." + std::string(field.key);
                       }));
      out.emplace_back(std::string(field.key), f);
    }
    ++r;
  }
  rows.n_rows = rows.instances.size();
  return rows;
}

// 64 MiB of floats: more than a body within the default limit can hold (two bytes a value).
constexpr size_t kMaxReservedValues = size_t{1} << 24;

Result<FeatureRows> ParseInputs(dom::element inputs) {
  dom::array rows_in;
  if (inputs.get_array().get(rows_in)) return InvalidArgument("'inputs' must be a list of rows");
  FeatureRows rows;
  size_t r = 0;
  for (dom::element row : rows_in) {
    dom::array values;
    if (row.get_array().get(values)) {
      return InvalidArgument("inputs[" + std::to_string(r) + "] must be a list of numbers");
    }
    size_t width = values.size();
    if (r == 0) {
      rows.width = width;
      // Bounded: rows after the first may be shorter (then 400), and the product of two
      // counts a body can claim cheaply ("[]" rows) must not decide an allocation.
      rows.values.reserve(std::min(rows_in.size() * width, kMaxReservedValues));
    }
    if (width != rows.width) {
      return InvalidArgument("inputs[" + std::to_string(r) + "] has " + std::to_string(width) +
                             " values, inputs[0] has " + std::to_string(rows.width));
    }
    size_t c = 0;
    for (dom::element v : values) {
      ASSIGN_OR_RETURN(float f, FeatureValue(v, [&] {
                         return "inputs[" + std::to_string(r) + "][" + std::to_string(c) + "]";
                       }));
      rows.values.push_back(f);
      ++c;
    }
    ++r;
  }
  rows.n_rows = r;
  return rows;
}

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

Result<Tensor> ParseTensor(dom::element element, size_t index) {
  std::string where = "inputs[" + std::to_string(index) + "]";
  dom::object t;
  if (element.get_object().get(t)) return InvalidArgument(where + " must be an object");
  Tensor tensor;
  dom::element name;
  if (!Has(t, "name", name) || name.is_null()) return InvalidArgument("'name' is required");
  std::string_view name_text;
  if (name.get_string().get(name_text)) return InvalidArgument("'name' must be a string");
  tensor.name.assign(name_text);
  dom::element shape_element;
  dom::array shape;
  if (!Has(t, "shape", shape_element) || shape_element.get_array().get(shape) || shape.size() == 0 ||
      shape.size() > 2) {
    return InvalidArgument(where + ".shape must be [n] or [n, features]");
  }
  for (dom::element d : shape) {
    int64_t v = 0;
    if (d.get_int64().get(v) || v < 0) {
      return InvalidArgument(where + ".shape must hold non-negative integers");
    }
    tensor.shape.push_back(v);
  }
  dom::element data_element;
  dom::array data;
  if (!Has(t, "data", data_element) || data_element.get_array().get(data)) {
    return InvalidArgument(where + ".data must be a list");
  }
  auto data_where = [&] { return where + ".data"; };
  bool nested = data.size() > 0 && data.at(0).value_unsafe().is_array();
  for (dom::element item : data) {
    if (!nested) {
      ASSIGN_OR_RETURN(float f, FeatureValue(item, data_where));
      tensor.data.push_back(f);
      continue;
    }
    dom::array row;
    if (item.get_array().get(row)) return InvalidArgument(where + ".data mixes rows and values");
    for (dom::element v : row) {
      ASSIGN_OR_RETURN(float f, FeatureValue(v, data_where));
      tensor.data.push_back(f);
    }
  }
  int64_t expected = 0;
  if (__builtin_mul_overflow(tensor.shape[0], tensor.shape.size() == 2 ? tensor.shape[1] : 1,
                             &expected)) {
    return InvalidArgument(where + ".shape holds more values than a request can");
  }
  if (static_cast<int64_t>(tensor.data.size()) != expected) {
    return InvalidArgument(where + " has " + std::to_string(tensor.data.size()) +
                           " values; its shape needs " + std::to_string(expected));
  }
  return tensor;
}

}  // namespace

Result<FeatureRows> ParsePredictBody(std::string_view body) {
  ASSIGN_OR_RETURN(dom::object root, ParseBodyObject(body));
  dom::element instances, inputs;
  bool has_instances = Has(root, "instances", instances);
  bool has_inputs = Has(root, "inputs", inputs);
  if (has_instances == has_inputs) {
    return InvalidArgument("send exactly one of 'instances' (named features) and 'inputs' (rows)");
  }
  return has_instances ? ParseInstances(instances) : ParseInputs(inputs);
}

Result<InferRequest> ParseInferBody(std::string_view body) {
  ASSIGN_OR_RETURN(dom::object root, ParseBodyObject(body));
  InferRequest request;
  dom::element id;
  std::string_view id_text;
  if (Has(root, "id", id) && id.get_string().get(id_text) == simdjson::SUCCESS) {
    request.id.assign(id_text);
  }
  dom::element inputs_element;
  dom::array inputs;
  if (!Has(root, "inputs", inputs_element) || inputs_element.get_array().get(inputs) ||
      inputs.size() == 0) {
    return InvalidArgument("'inputs' must be a non-empty list of tensors");
  }
  std::vector<Tensor> tensors;
  size_t index = 0;
  for (dom::element element : inputs) {
    ASSIGN_OR_RETURN(Tensor tensor, ParseTensor(element, index++));
    tensors.push_back(std::move(tensor));
  }
  FeatureRows& rows = request.rows;
  if (tensors.size() == 1 && tensors[0].shape.size() == 2 && tensors[0].shape[1] != 1) {
    rows.n_rows = static_cast<size_t>(tensors[0].shape[0]);
    rows.width = static_cast<size_t>(tensors[0].shape[1]);
    rows.values = std::move(tensors[0].data);
    return request;
  }
  rows.named = true;
  rows.n_rows = static_cast<size_t>(tensors[0].shape[0]);
  rows.instances.resize(rows.n_rows);
  for (const Tensor& t : tensors) {
    // One value per row: row r's value is data[r].
    if (t.shape.size() == 2 && t.shape[1] != 1) {
      return InvalidArgument("input '" + t.name + "' has shape [" + std::to_string(t.shape[0]) +
                             ", " + std::to_string(t.shape[1]) +
                             "]; with several inputs each must be [n] or [n, 1]");
    }
    if (static_cast<size_t>(t.shape[0]) != rows.n_rows) {
      return InvalidArgument("input '" + t.name + "' has " + std::to_string(t.shape[0]) +
                             " rows; the first input has " + std::to_string(rows.n_rows));
    }
    for (size_t r = 0; r < rows.n_rows; ++r) rows.instances[r].emplace_back(t.name, t.data[r]);
  }
  return request;
}

}  // namespace plinth::http

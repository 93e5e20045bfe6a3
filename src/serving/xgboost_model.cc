#include "serving/xgboost_model.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace plinth::serving {
namespace {

using nlohmann::json;

// Deeper than any XGBoost document (which nests about 8 levels); bounds the recursion of
// nlohmann's UBJSON reader on hostile input.
constexpr int kMaxNestingDepth = 64;

// Bounds on sizes that make XGBoost (and the runtimes) allocate per row or per thread, so that a
// crafted header cannot ask for gigabytes. Far above any real model.
constexpr size_t kMaxFeatures = size_t{1} << 24;
constexpr size_t kMaxOutputGroups = size_t{1} << 16;
// XGBoost sizes a bitset by the largest category of a split.
constexpr int64_t kMaxCategory = int64_t{1} << 24;

// XGBoost's JSON writer emits NaN, Infinity and -Infinity as bare literals (categorical split
// nodes keep NaN as their split condition), which standard JSON and nlohmann do not accept. They
// are rewritten, outside strings only, into finite double literals that ModelDomBuilder maps
// back. XGBoost writes only float32 values and integers, so no real number looks like these.
constexpr std::string_view kNanLiteral = "1.25E-300";
constexpr std::string_view kInfinityLiteral = "1.25E300";

// Returns the text with the literals replaced, or nothing when there are none (the common case,
// which then parses the caller's bytes without a copy).
std::optional<std::string> RewriteNonFiniteLiterals(std::string_view text) {
  std::optional<std::string> out;
  bool in_string = false;
  size_t copied = 0;  // text[0, copied) is already in *out
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // skip the escaped character
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    std::string_view replacement;
    size_t length = 0;
    if (c == 'N' && text.substr(i, 3) == "NaN") {
      replacement = kNanLiteral;
      length = 3;
    } else if (c == 'I' && text.substr(i, 8) == "Infinity") {
      replacement = kInfinityLiteral;
      length = 8;
    } else {
      continue;
    }
    if (!out) out.emplace().reserve(text.size() + 64);
    out->append(text.substr(copied, i - copied));
    out->append(replacement);
    i += length - 1;
    copied = i + 1;
  }
  if (out) out->append(text.substr(copied));
  return out;
}

// Builds the DOM like nlohmann's own parser, with two changes: nesting depth is bounded, and
// JSON floats are parsed from their text straight to float32 (correctly rounded), as XGBoost
// does, rather than to double and then rounded again to float.
class ModelDomBuilder : public nlohmann::detail::json_sax_dom_parser<json> {
 public:
  using Base = nlohmann::detail::json_sax_dom_parser<json>;
  explicit ModelDomBuilder(json& root) : Base(root, /*allow_exceptions_=*/true) {}

  bool start_object(std::size_t len) { return Enter() && Base::start_object(len); }
  bool start_array(std::size_t len) { return Enter() && Base::start_array(len); }
  bool end_object() {
    --depth_;
    return Base::end_object();
  }
  bool end_array() {
    --depth_;
    return Base::end_array();
  }
  bool number_float(json::number_float_t value, const std::string& text) {
    if (!text.empty()) {  // JSON; UBJSON passes no text and float32 values already
      const bool negative = text.front() == '-';
      const std::string_view digits = std::string_view(text).substr(negative ? 1 : 0);
      if (digits == kNanLiteral) {
        return Base::number_float(std::numeric_limits<double>::quiet_NaN(), text);
      }
      if (digits == kInfinityLiteral) {
        const double inf = std::numeric_limits<double>::infinity();
        return Base::number_float(negative ? -inf : inf, text);
      }
      float f = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), f);
      if (ec == std::errc() && ptr == text.data() + text.size()) value = f;
    }
    return Base::number_float(value, text);
  }

  bool too_deep() const { return too_deep_; }

 private:
  bool Enter() {
    if (++depth_ > kMaxNestingDepth) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  int depth_ = 0;
  bool too_deep_ = false;
};

// Thrown only inside this file and turned into InvalidArgument by ReadXgboostModel.
class Malformed : public std::runtime_error {
 public:
  explicit Malformed(const std::string& what) : std::runtime_error(what) {}
};

const json& Member(const json& object, const char* key, const std::string& where) {
  if (!object.is_object()) throw Malformed(where + " is not an object");
  auto it = object.find(key);
  if (it == object.end()) throw Malformed("missing " + where + "." + key);
  return *it;
}

const json* OptionalMember(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const json& ArrayMember(const json& object, const char* key, const std::string& where) {
  const json& value = Member(object, key, where);
  if (!value.is_array()) throw Malformed(where + "." + key + " is not an array");
  return value;
}

std::string StringMember(const json& object, const char* key, const std::string& where) {
  const json& value = Member(object, key, where);
  if (!value.is_string()) throw Malformed(where + "." + key + " is not a string");
  return value.get<std::string>();
}

// XGBoost keeps most scalar parameters as strings ("num_feature": "20"); accept numbers too.
int64_t IntegerParam(const json& object, const char* key, const std::string& where) {
  const json& value = Member(object, key, where);
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    int64_t out = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc() && ptr == text.data() + text.size()) return out;
  }
  throw Malformed(where + "." + key + " is not an integer");
}

float FloatParam(const json& object, const char* key, const std::string& where) {
  const json& value = Member(object, key, where);
  if (value.is_number()) return static_cast<float>(value.get<double>());
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    float out = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc() && ptr == text.data() + text.size()) return out;
  }
  throw Malformed(where + "." + key + " is not a number");
}

size_t CountParam(const json& object, const char* key, const std::string& where) {
  int64_t value = IntegerParam(object, key, where);
  if (value < 0 || value > std::numeric_limits<int32_t>::max()) {
    throw Malformed(where + "." + key + " is out of range");
  }
  return static_cast<size_t>(value);
}

template <typename T>
std::vector<T> IntArray(const json& object, const char* key, const std::string& where,
                        size_t expected_size) {
  const json& array = ArrayMember(object, key, where);
  if (array.size() != expected_size) {
    throw Malformed(where + "." + key + " has " + std::to_string(array.size()) +
                    " entries, expected " + std::to_string(expected_size));
  }
  std::vector<T> out;
  out.reserve(array.size());
  for (const json& v : array) {
    int64_t x = 0;
    if (v.is_number_integer()) {
      x = v.get<int64_t>();
    } else if (v.is_boolean()) {
      x = v.get<bool>() ? 1 : 0;
    } else {
      throw Malformed(where + "." + key + " holds a non-integer");
    }
    if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max()) {
      throw Malformed(where + "." + key + " holds an out-of-range value");
    }
    out.push_back(static_cast<T>(x));
  }
  return out;
}

std::vector<float> FloatArray(const json& object, const char* key, const std::string& where,
                              size_t expected_size) {
  const json& array = ArrayMember(object, key, where);
  if (array.size() != expected_size) {
    throw Malformed(where + "." + key + " has " + std::to_string(array.size()) +
                    " entries, expected " + std::to_string(expected_size));
  }
  std::vector<float> out;
  out.reserve(array.size());
  for (const json& v : array) {
    if (!v.is_number()) throw Malformed(where + "." + key + " holds a non-number");
    out.push_back(static_cast<float>(v.get<double>()));
  }
  return out;
}

std::vector<std::string> StringArray(const json& object, const char* key,
                                     const std::string& where) {
  std::vector<std::string> out;
  const json* array = OptionalMember(object, key);
  if (array == nullptr || array->is_null()) return out;
  if (!array->is_array()) throw Malformed(where + "." + key + " is not an array");
  for (const json& v : *array) {
    if (!v.is_string()) throw Malformed(where + "." + key + " holds a non-string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// Categorical splits: node ids (increasing), and for each the [segment, segment + size) range of
// `categories` holding its categories. XGBoost indexes these without bounds checks.
void CheckCategories(const json& t, const std::string& where, size_t n) {
  const json* nodes_json = OptionalMember(t, "categories_nodes");
  if (nodes_json == nullptr || (nodes_json->is_array() && nodes_json->empty())) return;
  const json& categories = ArrayMember(t, "categories", where);
  const size_t m = ArrayMember(t, "categories_nodes", where).size();
  const auto nodes = IntArray<int64_t>(t, "categories_nodes", where, m);
  const auto segments = IntArray<int64_t>(t, "categories_segments", where, m);
  const auto sizes = IntArray<int64_t>(t, "categories_sizes", where, m);
  for (size_t j = 0; j < m; ++j) {
    if (nodes[j] < 0 || static_cast<size_t>(nodes[j]) >= n || (j > 0 && nodes[j] <= nodes[j - 1])) {
      throw Malformed(where + ".categories_nodes is not an increasing list of node ids");
    }
    if (segments[j] < 0 || sizes[j] <= 0 ||
        static_cast<size_t>(segments[j] + sizes[j]) > categories.size()) {
      throw Malformed(where + " has a categorical split outside its category list");
    }
  }
  for (const json& c : categories) {
    if (!c.is_number_integer() || c.get<int64_t>() < 0 || c.get<int64_t>() >= kMaxCategory) {
      throw Malformed(where + ".categories holds an invalid category");
    }
  }
}

// Reads one tree. XGBoost's loader walks every node slot (parents included) and its predictor
// every node reachable from the root, neither with bounds checks, so both are checked here.
// Unreachable slots (XGBoost can keep deleted nodes) are never evaluated.
XgboostTree ReadTree(const json& t, const std::string& where, size_t num_feature) {
  const json& tree_param = Member(t, "tree_param", where);
  const size_t n = CountParam(tree_param, "num_nodes", where + ".tree_param");
  if (n == 0) throw Malformed(where + " has no nodes");

  XgboostTree tree;
  tree.left_children = IntArray<int32_t>(t, "left_children", where, n);
  tree.right_children = IntArray<int32_t>(t, "right_children", where, n);
  tree.split_indices = IntArray<int32_t>(t, "split_indices", where, n);
  tree.split_conditions = FloatArray(t, "split_conditions", where, n);
  tree.default_left = IntArray<uint8_t>(t, "default_left", where, n);
  const auto parents = IntArray<int32_t>(t, "parents", where, n);
  for (const char* stat : {"loss_changes", "sum_hessian", "base_weights"}) {
    FloatArray(t, stat, where, n);
  }
  if (const json* st = OptionalMember(t, "split_type"); st != nullptr && !st->empty()) {
    tree.split_type = IntArray<uint8_t>(t, "split_type", where, n);
  }
  CheckCategories(t, where, n);
  if (const json* cn = OptionalMember(t, "categories_nodes");
      cn != nullptr && cn->is_array() && !cn->empty()) {
    tree.has_categorical_splits = true;
  }
  for (size_t i = 0; i < n; ++i) {
    const int32_t left = tree.left_children[i];
    const int32_t right = tree.right_children[i];
    if (left < -1 || left >= static_cast<int64_t>(n) || right < -1 ||
        right >= static_cast<int64_t>(n)) {
      throw Malformed(where + " node " + std::to_string(i) + " has a child index out of range");
    }
    if (i > 0 && (parents[i] < 0 || static_cast<size_t>(parents[i]) >= n)) {
      throw Malformed(where + " node " + std::to_string(i) + " has a parent index out of range");
    }
  }

  // Walk from the root; a node seen twice means a cycle or a shared child: not a tree.
  std::vector<uint8_t> seen(n, 0);
  std::deque<int32_t> queue{0};
  seen[0] = 1;
  while (!queue.empty()) {
    const int32_t i = queue.front();
    queue.pop_front();
    const int32_t left = tree.left_children[i];
    const int32_t right = tree.right_children[i];
    if (left == -1 && right == -1) continue;  // leaf
    const std::string node = where + " node " + std::to_string(i);
    if (left == -1 || right == -1) throw Malformed(node + " has exactly one child");
    for (int32_t child : {left, right}) {
      if (child <= 0) {
        throw Malformed(node + " has child index " + std::to_string(child) + " out of range");
      }
      if (seen[child]) throw Malformed(node + " reaches node " + std::to_string(child) + " twice");
      if (parents[child] != i) {
        throw Malformed(node + " is not the recorded parent of node " + std::to_string(child));
      }
      seen[child] = 1;
      queue.push_back(child);
    }
    const int32_t feature = tree.split_indices[i];
    if (feature < 0 || static_cast<size_t>(feature) >= num_feature) {
      throw Malformed(node + " splits on feature " + std::to_string(feature) +
                      " but the model has " + std::to_string(num_feature) + " features");
    }
    if (!tree.split_type.empty() && tree.split_type[i] != 0) tree.has_categorical_splits = true;
  }
  return tree;
}

XgboostModel ReadDocument(const json& doc, XgboostModelFormat format) {
  XgboostModel model;
  model.format = format;
  if (const json* version = OptionalMember(doc, "version");
      version != nullptr && version->is_array() && version->size() == 3) {
    for (size_t i = 0; i < 3; ++i) {
      if ((*version)[i].is_number_integer()) model.version[i] = (*version)[i].get<int>();
    }
  }

  const json& learner = Member(doc, "learner", "model");
  const json& mparam = Member(learner, "learner_model_param", "learner");
  const std::string mwhere = "learner.learner_model_param";
  model.base_score = FloatParam(mparam, "base_score", mwhere);
  model.num_feature = CountParam(mparam, "num_feature", mwhere);
  model.num_class = CountParam(mparam, "num_class", mwhere);
  if (OptionalMember(mparam, "num_target") != nullptr) {
    model.num_target = CountParam(mparam, "num_target", mwhere);
  }
  if (model.num_feature == 0) throw Malformed("the model has no features");
  if (model.num_feature > kMaxFeatures) {
    throw Malformed("the model declares " + std::to_string(model.num_feature) +
                    " features, more than the supported " + std::to_string(kMaxFeatures));
  }
  if (model.num_class > kMaxOutputGroups || model.num_target > kMaxOutputGroups ||
      model.num_target == 0) {
    throw Malformed("the model declares an unsupported number of classes or targets");
  }

  model.objective =
      StringMember(Member(learner, "objective", "learner"), "name", "learner.objective");
  model.feature_names = StringArray(learner, "feature_names", "learner");
  model.feature_types = StringArray(learner, "feature_types", "learner");
  for (const auto* list : {&model.feature_names, &model.feature_types}) {
    if (!list->empty() && list->size() != model.num_feature) {
      throw Malformed("the model lists " + std::to_string(list->size()) +
                      " feature names or types but has " + std::to_string(model.num_feature) +
                      " features");
    }
  }

  const json& booster = Member(learner, "gradient_booster", "learner");
  model.booster = StringMember(booster, "name", "learner.gradient_booster");
  if (model.booster == "gblinear") {
    // One weight per feature and output group, plus one bias per group.
    const json& m = Member(booster, "model", "learner.gradient_booster");
    const size_t expected = (model.num_feature + 1) * model.num_groups();
    FloatArray(m, "weights", "learner.gradient_booster.model", expected);
    return model;
  }
  if (model.booster != "gbtree" && model.booster != "dart") {
    throw Malformed("unknown booster '" + model.booster + "'");
  }

  const json& gbtree =
      model.booster == "dart" ? Member(booster, "gbtree", "learner.gradient_booster") : booster;
  const std::string where = "learner.gradient_booster.model";
  const json& gmodel = Member(gbtree, "model", "learner.gradient_booster");
  const json& gparam = Member(gmodel, "gbtree_model_param", where);
  const size_t num_trees = CountParam(gparam, "num_trees", where + ".gbtree_model_param");
  if (const json* slv = OptionalMember(gparam, "size_leaf_vector"); slv != nullptr) {
    model.size_leaf_vector = CountParam(gparam, "size_leaf_vector", where + ".gbtree_model_param");
  }
  if (CountParam(gparam, "num_parallel_tree", where + ".gbtree_model_param") == 0) {
    throw Malformed("num_parallel_tree is 0");
  }
  if (model.booster == "dart") {
    FloatArray(booster, "weight_drop", "learner.gradient_booster", num_trees);
  }
  const json& trees = ArrayMember(gmodel, "trees", where);
  if (trees.size() != num_trees) {
    throw Malformed("the model declares " + std::to_string(num_trees) + " trees but holds " +
                    std::to_string(trees.size()));
  }
  std::vector<int32_t> tree_info = IntArray<int32_t>(gmodel, "tree_info", where, num_trees);
  const size_t groups = std::max(model.num_groups(), model.num_target);

  model.trees.reserve(num_trees);
  for (size_t i = 0; i < num_trees; ++i) {
    const std::string twhere = "tree " + std::to_string(i);
    // XGBoost places each tree by its id; ids other than the position would reorder the sum.
    if (IntegerParam(trees[i], "id", twhere) != static_cast<int64_t>(i)) {
      throw Malformed(twhere + " has id " + std::to_string(IntegerParam(trees[i], "id", twhere)));
    }
    XgboostTree tree = ReadTree(trees[i], twhere, model.num_feature);
    if (const json* tp = OptionalMember(trees[i], "tree_param"); tp != nullptr) {
      if (OptionalMember(*tp, "size_leaf_vector") != nullptr &&
          CountParam(*tp, "size_leaf_vector", twhere + ".tree_param") > 0) {
        model.size_leaf_vector = std::max<size_t>(model.size_leaf_vector, 1);
      }
    }
    if (tree_info[i] < 0 || static_cast<size_t>(tree_info[i]) >= groups) {
      throw Malformed(twhere + " belongs to output group " + std::to_string(tree_info[i]) +
                      " but the model has " + std::to_string(groups));
    }
    tree.group = tree_info[i];
    model.has_categorical_splits = model.has_categorical_splits || tree.has_categorical_splits;
    model.trees.push_back(std::move(tree));
  }
  return model;
}

}  // namespace

Result<XgboostModelFormat> DetectXgboostModelFormat(std::string_view bytes) {
  if (bytes.size() < 2 || bytes[0] != '{') {
    return InvalidArgument(
        "not an XGBoost JSON or UBJSON model (save it with save_model(\"model.json\") or "
        "save_model(\"model.ubj\"); the legacy binary format is not accepted)");
  }
  if (bytes[1] == '"') return XgboostModelFormat::kJson;
  if (std::isalpha(static_cast<unsigned char>(bytes[1]))) return XgboostModelFormat::kUbjson;
  return InvalidArgument(
      "not an XGBoost model: JSON models must be compact as XGBoost writes them (a document "
      "that starts with '{\"')");
}

Result<XgboostModel> ReadXgboostModel(std::string_view bytes) {
  ASSIGN_OR_RETURN(XgboostModelFormat format, DetectXgboostModelFormat(bytes));
  const char* what = format == XgboostModelFormat::kJson ? "JSON" : "UBJSON";
  json doc;
  try {
    std::optional<std::string> rewritten;
    std::string_view text = bytes;
    if (format == XgboostModelFormat::kJson) {
      rewritten = RewriteNonFiniteLiterals(bytes);
      if (rewritten) text = *rewritten;
    }
    ModelDomBuilder builder(doc);
    const bool ok =
        json::sax_parse(text.begin(), text.end(), &builder,
                        format == XgboostModelFormat::kJson ? json::input_format_t::json
                                                            : json::input_format_t::ubjson);
    if (builder.too_deep()) {
      return InvalidArgument(std::string("not an XGBoost model: ") + what + " nested deeper than " +
                             std::to_string(kMaxNestingDepth) + " levels");
    }
    if (!ok) return InvalidArgument(std::string("the model is not valid ") + what);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("the model is not valid ") + what + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return InvalidArgument(std::string("the model is not valid ") + what + ": too large");
  }

  try {
    return ReadDocument(doc, format);
  } catch (const Malformed& e) {
    return InvalidArgument(std::string("not a valid XGBoost model: ") + e.what());
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("not a valid XGBoost model: ") + e.what());
  }
}

}  // namespace plinth::serving

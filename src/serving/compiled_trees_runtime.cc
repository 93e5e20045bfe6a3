#include "serving/compiled_trees_runtime.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <utility>

namespace plinth::serving {
namespace {

constexpr uint32_t kFeatureMask = 0x7fffffffu;
constexpr uint32_t kDefaultLeft = 0x80000000u;

// Rows per block: a block's accumulators and the current tree's nodes stay in L1.
constexpr size_t kBlockRows = 64;
// Independent walks interleaved: trees for a single row, rows for a block.
constexpr size_t kLanes = CompiledTreesRuntime::kLanes;

// XGBoost 1.7's common::Sigmoid, operation for operation (the 1e-16f term never changes a float
// sum that is >= 1, but is kept so the expression is literally the same).
inline float XgbSigmoid(float x) {
  constexpr float kEps = 1e-16f;
  x = std::min(-x, 88.7f);
  const float denom = expf(x) + 1.0f + kEps;
  return 1.0f / denom;
}

// XGBoost 1.7's common::Softmax: float max, double sum of float exps, float division.
inline void XgbSoftmax(float* begin, float* end) {
  float wmax = *begin;
  for (float* p = begin + 1; p != end; ++p) wmax = fmaxf(*p, wmax);
  double wsum = 0.0f;
  for (float* p = begin; p != end; ++p) {
    *p = expf(*p - wmax);
    wsum += *p;
  }
  for (float* p = begin; p != end; ++p) *p /= static_cast<float>(wsum);
}

Status Unsupported(const std::string& what) {
  return FailedPrecondition("compiled-trees does not support " + what);
}

}  // namespace

Result<std::unique_ptr<CompiledTreesRuntime>> CompiledTreesRuntime::Compile(
    const XgboostModel& model) {
  if (model.booster != "gbtree") {
    return Unsupported(model.booster == "dart" ? "dart boosters (weighted trees)"
                                               : "'" + model.booster + "' boosters");
  }
  if (model.has_categorical_splits ||
      std::find(model.feature_types.begin(), model.feature_types.end(), "c") !=
          model.feature_types.end()) {
    return Unsupported("categorical features or splits");
  }
  if (model.num_target > 1 || model.size_leaf_vector > 0) {
    return Unsupported("multi-target (vector-leaf) trees");
  }
  if (model.num_feature > kFeatureMask) return Unsupported("more than 2^31 features");

  std::unique_ptr<CompiledTreesRuntime> rt(new CompiledTreesRuntime());
  rt->objective_ = model.objective;
  rt->groups_ = model.num_groups();
  if (model.objective == "reg:squarederror") {
    rt->link_ = Link::kIdentity;
    rt->base_margin_ = model.base_score;
  } else if (model.objective == "reg:logistic" || model.objective == "binary:logistic") {
    const float b = model.base_score;
    if (!(b > 0.0f && b < 1.0f)) {
      return InvalidArgument("base_score must be in (0, 1) for " + model.objective + ", got " +
                             std::to_string(b));
    }
    rt->link_ = Link::kSigmoid;
    rt->base_margin_ = -logf(1.0f / b - 1.0f);  // XGBoost's ProbToMargin, in float
  } else if (model.objective == "multi:softprob") {
    rt->link_ = Link::kSoftmax;
    rt->base_margin_ = model.base_score;
  } else {
    return Unsupported("the objective '" + model.objective + "'");
  }
  if (rt->link_ != Link::kSoftmax && rt->groups_ != 1) {
    return Unsupported(std::to_string(rt->groups_) + " output groups with " + model.objective);
  }

  rt->signature_.num_features = model.num_feature;
  rt->signature_.feature_names = model.feature_names;
  rt->signature_.feature_types = model.feature_types;

  size_t total_nodes = 0;
  for (const XgboostTree& t : model.trees) total_nodes += t.left_children.size();
  if (total_nodes >= std::numeric_limits<uint32_t>::max() / 2) {
    return Unsupported("ensembles of more than 2^31 nodes");
  }
  rt->nodes_.reserve(total_nodes);
  rt->trees_.reserve(model.trees.size());

  struct Pending {
    int32_t source;  // node id in the saved tree
    uint32_t index;  // slot in nodes_
    uint32_t depth;
  };
  std::deque<Pending> queue;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const XgboostTree& t : model.trees) {
    Tree tree{static_cast<uint32_t>(rt->nodes_.size()), 0, static_cast<uint32_t>(t.group)};
    rt->nodes_.push_back(Node{});
    queue.push_back(Pending{0, tree.root, 0});
    // Breadth first: children of a node get two adjacent fresh slots. ReadXgboostModel has
    // checked that the saved nodes form a tree, so this visits each reachable node once.
    while (!queue.empty()) {
      const Pending p = queue.front();
      queue.pop_front();
      Node& node = rt->nodes_[p.index];
      const int32_t left = t.left_children[p.source];
      if (left == -1) {
        node = Node{nan, 0u, p.index - 1u, t.split_conditions[p.source]};
        tree.depth = std::max(tree.depth, p.depth);
        continue;
      }
      const auto slot = static_cast<uint32_t>(rt->nodes_.size());
      const uint32_t feature = static_cast<uint32_t>(t.split_indices[p.source]);
      rt->nodes_[p.index] =
          Node{t.split_conditions[p.source],
               feature | (t.default_left[p.source] ? kDefaultLeft : 0u), slot, 0.0f};
      rt->nodes_.push_back(Node{});
      rt->nodes_.push_back(Node{});
      queue.push_back(Pending{left, slot, p.depth + 1});
      queue.push_back(Pending{t.right_children[p.source], slot + 1, p.depth + 1});
    }
    rt->max_depth_ = std::max(rt->max_depth_, tree.depth);
    rt->trees_.push_back(tree);
  }
  for (size_t t = 0; t + kLanes <= rt->trees_.size(); t += kLanes) {
    uint32_t depth = 0;
    for (size_t k = 0; k < kLanes; ++k) depth = std::max(depth, rt->trees_[t + k].depth);
    rt->lane_group_depth_.push_back(depth);
  }
  rt->nodes_.shrink_to_fit();
  if (rt->max_depth_ <= kDenseMaxDepth) rt->BuildDense(model);  // may decline (dense_ false)
  return rt;
}

void CompiledTreesRuntime::BuildDense(const XgboostModel& model) {
  const uint32_t depth = max_depth_;
  const size_t internal = (size_t{1} << depth) - 1;
  const size_t leaves = size_t{1} << depth;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto num_features = static_cast<uint32_t>(model.num_feature);
  dense_nodes_.assign(model.trees.size() * internal, DenseNode{nan, 0u});
  dense_leaves_.assign(model.trees.size() * leaves, 0.0f);
  for (size_t t = 0; t < model.trees.size(); ++t) {
    const XgboostTree& tree = model.trees[t];
    DenseNode* nodes = dense_nodes_.data() + t * internal;
    float* leaf_values = dense_leaves_.data() + t * leaves;
    // (saved node, heap index, level); a leaf above the last level is pushed down both sides
    // through pass-through nodes (the default {NaN, 0}: every value goes right).
    struct Item {
      int32_t source;
      size_t index;
      uint32_t level;
    };
    std::vector<Item> stack{{0, 0, 0}};
    while (!stack.empty()) {
      const Item item = stack.back();
      stack.pop_back();
      const int32_t left = tree.left_children[item.source];
      if (item.level == depth) {
        leaf_values[item.index - internal] = tree.split_conditions[item.source];
        continue;
      }
      if (left != -1) {
        const float threshold = tree.split_conditions[item.source];
        if (!std::isfinite(threshold)) {  // -inf/+inf would not stand in for missing values
          dense_nodes_.clear();
          dense_leaves_.clear();
          return;
        }
        const auto feature = static_cast<uint32_t>(tree.split_indices[item.source]);
        nodes[item.index] = DenseNode{
            threshold, tree.default_left[item.source] ? feature : num_features + feature};
        stack.push_back(Item{left, 2 * item.index + 1, item.level + 1});
        stack.push_back(Item{tree.right_children[item.source], 2 * item.index + 2, item.level + 1});
      } else {
        stack.push_back(Item{item.source, 2 * item.index + 1, item.level + 1});
        stack.push_back(Item{item.source, 2 * item.index + 2, item.level + 1});
      }
    }
  }
  dense_ = true;
}

Result<std::unique_ptr<CompiledTreesRuntime>> CompiledTreesRuntime::Load(std::string_view bytes) {
  ASSIGN_OR_RETURN(XgboostModel model, ReadXgboostModel(bytes));
  return Compile(model);
}

Status CompiledTreesRuntime::Predict(const float* rows, size_t n_rows, size_t n_features,
                                     float* out) const {
  RETURN_IF_ERROR(CheckPredictArgs(rows, n_rows, n_features, out));
  for (size_t begin = 0; begin < n_rows; begin += kBlockRows) {
    const size_t count = std::min(kBlockRows, n_rows - begin);
    if (dense_) {
      PredictDenseBlock(rows + begin * n_features, count, n_features, out + begin * groups_);
    } else {
      PredictBlock(rows + begin * n_features, count, n_features, out + begin * groups_);
    }
  }
  return Status::Ok();
}

// One step down a tree for one row: the left child when value < threshold, else the right
// child (left + 1); NaN takes the node's default. Branch-free: `value < threshold` is false for
// NaN, which already means "right", so only NaN at a default-left node subtracts the step back.
// A leaf (threshold NaN, default right, left = own index - 1) steps onto itself.
inline uint32_t CompiledTreesRuntime::Step(const Node* nodes, uint32_t index, const float* row) {
  const Node& node = nodes[index];
  const float value = row[node.feature_and_default & kFeatureMask];
  const uint32_t less = value < node.threshold;
  const uint32_t missing_left = (value != value) & (node.feature_and_default >> 31);
  return node.left + 1u - less - missing_left;
}

// The complete-tree step over a widened row: children of i are 2i+1 (left) and 2i+2 (right).
inline uint32_t CompiledTreesRuntime::DenseStep(const DenseNode* nodes, uint32_t index,
                                                const float* widened) {
  const DenseNode& node = nodes[index];
  return 2 * index + 2 - static_cast<uint32_t>(widened[node.column] < node.threshold);
}

namespace {
// Row r of `rows` (n values) as 2n values: NaN -> -inf, then NaN -> +inf (see the header).
inline void Widen(const float* row, size_t n, float* out) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (size_t f = 0; f < n; ++f) {
    const float v = row[f];
    const bool missing = v != v;
    out[f] = missing ? -kInf : v;
    out[n + f] = missing ? kInf : v;
  }
}
}  // namespace

void CompiledTreesRuntime::PredictDenseBlock(const float* rows, size_t n_rows, size_t n_features,
                                             float* out) const {
  const size_t groups = groups_;
  std::fill(out, out + n_rows * groups, base_margin_);
  const uint32_t depth = max_depth_;
  const size_t internal = (size_t{1} << depth) - 1;
  const size_t leaves = size_t{1} << depth;
  const size_t n_trees = trees_.size();
  const DenseNode* all_nodes = dense_nodes_.data();
  const float* all_leaves = dense_leaves_.data();

  // Widened rows; grown once per thread, so the predict path does not allocate afterwards.
  thread_local std::vector<float> widened;
  const size_t wide = 2 * n_features;
  if (widened.size() < n_rows * wide) widened.resize(n_rows * wide);
  for (size_t r = 0; r < n_rows; ++r) Widen(rows + r * n_features, n_features, widened.data() + r * wide);

  if (n_rows < kLanes) {
    // Few rows: kLanes trees side by side per row, leaves added in tree order.
    for (size_t r = 0; r < n_rows; ++r) {
      const float* row = widened.data() + r * wide;
      float* acc = out + r * groups;
      size_t t = 0;
      for (; t + kLanes <= n_trees; t += kLanes) {
        uint32_t index[kLanes];
#pragma GCC unroll 8
        for (size_t k = 0; k < kLanes; ++k) index[k] = 0;
        const DenseNode* nodes = all_nodes + t * internal;
        for (uint32_t step = 0; step < depth; ++step) {
#pragma GCC unroll 8
          for (size_t k = 0; k < kLanes; ++k) {
            index[k] = DenseStep(nodes + k * internal, index[k], row);
          }
        }
        const float* leaf = all_leaves + t * leaves - internal;
        for (size_t k = 0; k < kLanes; ++k) {
          acc[trees_[t + k].group] += leaf[k * leaves + index[k]];
        }
      }
      for (; t < n_trees; ++t) {
        const DenseNode* nodes = all_nodes + t * internal;
        uint32_t index = 0;
        for (uint32_t step = 0; step < depth; ++step) index = DenseStep(nodes, index, row);
        acc[trees_[t].group] += all_leaves[t * leaves + index - internal];
      }
    }
  } else {
    // A block: tree by tree, kLanes rows side by side.
    for (size_t t = 0; t < n_trees; ++t) {
      const DenseNode* nodes = all_nodes + t * internal;
      const float* leaf = all_leaves + t * leaves - internal;
      float* acc = out + trees_[t].group;
      size_t r = 0;
      for (; r + kLanes <= n_rows; r += kLanes) {
        uint32_t index[kLanes];
#pragma GCC unroll 8
        for (size_t k = 0; k < kLanes; ++k) index[k] = 0;
        const float* base = widened.data() + r * wide;
        for (uint32_t step = 0; step < depth; ++step) {
#pragma GCC unroll 8
          for (size_t k = 0; k < kLanes; ++k) {
            index[k] = DenseStep(nodes, index[k], base + k * wide);
          }
        }
        for (size_t k = 0; k < kLanes; ++k) acc[(r + k) * groups] += leaf[index[k]];
      }
      for (; r < n_rows; ++r) {
        uint32_t index = 0;
        for (uint32_t step = 0; step < depth; ++step) {
          index = DenseStep(nodes, index, widened.data() + r * wide);
        }
        acc[r * groups] += leaf[index];
      }
    }
  }
  ApplyLink(out, n_rows);
}

void CompiledTreesRuntime::ApplyLink(float* out, size_t n_rows) const {
  const size_t groups = groups_;
  switch (link_) {
    case Link::kIdentity:
      break;
    case Link::kSigmoid:
      for (size_t i = 0; i < n_rows; ++i) out[i] = XgbSigmoid(out[i]);
      break;
    case Link::kSoftmax:
      for (size_t r = 0; r < n_rows; ++r) XgbSoftmax(out + r * groups, out + (r + 1) * groups);
      break;
  }
}

void CompiledTreesRuntime::PredictBlock(const float* rows, size_t n_rows, size_t n_features,
                                        float* out) const {
  const size_t groups = groups_;
  std::fill(out, out + n_rows * groups, base_margin_);
  const Node* nodes = nodes_.data();

  if (n_rows < kLanes) {
    // Few rows: walk kLanes trees side by side for each row (independent chains of loads keep
    // the core busy), then add their leaves in tree order.
    for (size_t r = 0; r < n_rows; ++r) {
      const float* row = rows + r * n_features;
      float* acc = out + r * groups;
      size_t t = 0;
      for (; t + kLanes <= trees_.size(); t += kLanes) {
        uint32_t index[kLanes];
#pragma GCC unroll 8
        for (size_t k = 0; k < kLanes; ++k) index[k] = trees_[t + k].root;
        const uint32_t depth = lane_group_depth_[t / kLanes];
        for (uint32_t step = 0; step < depth; ++step) {
#pragma GCC unroll 8
          for (size_t k = 0; k < kLanes; ++k) index[k] = Step(nodes, index[k], row);
        }
        for (size_t k = 0; k < kLanes; ++k) acc[trees_[t + k].group] += nodes[index[k]].leaf_value;
      }
      for (; t < trees_.size(); ++t) {
        uint32_t index = trees_[t].root;
        for (uint32_t step = 0; step < trees_[t].depth; ++step) index = Step(nodes, index, row);
        acc[trees_[t].group] += nodes[index].leaf_value;
      }
    }
  } else {
    // A block: tree by tree (its nodes stay in L1), kLanes rows side by side.
    for (const Tree& tree : trees_) {
      const uint32_t depth = tree.depth;
      float* acc = out + tree.group;
      size_t r = 0;
      for (; r + kLanes <= n_rows; r += kLanes) {
        uint32_t index[kLanes];
#pragma GCC unroll 8
        for (size_t k = 0; k < kLanes; ++k) index[k] = tree.root;
        const float* base = rows + r * n_features;
        for (uint32_t step = 0; step < depth; ++step) {
#pragma GCC unroll 8
          for (size_t k = 0; k < kLanes; ++k) {
            index[k] = Step(nodes, index[k], base + k * n_features);
          }
        }
        for (size_t k = 0; k < kLanes; ++k) acc[(r + k) * groups] += nodes[index[k]].leaf_value;
      }
      for (; r < n_rows; ++r) {
        uint32_t index = tree.root;
        for (uint32_t step = 0; step < depth; ++step) {
          index = Step(nodes, index, rows + r * n_features);
        }
        acc[r * groups] += nodes[index].leaf_value;
      }
    }
  }
  ApplyLink(out, n_rows);
}

}  // namespace plinth::serving

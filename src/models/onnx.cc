// SPDX-License-Identifier: Apache-2.0
// ONNX import over Debian's libonnx (protobuf API): parse, check, infer
// shapes, then map the nodes to layers with stats from the inferred shapes.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "mlcarbon/core/text.h"

#include "onnx_read.h"

namespace mlcarbon::models {
namespace {

constexpr double kBytesPerValue = 4.0;  // float32, as the models module
constexpr int kMaxInferenceRounds = 8;

/// Ops that only move or reinterpret data on activations: no parameters,
/// no arithmetic, no layer of their own.
const std::unordered_set<std::string>& layout_ops() {
  static const std::unordered_set<std::string> ops = {
      "Identity",  "Cast",  "Transpose", "Reshape", "Squeeze",
      "Unsqueeze", "Slice", "Split",     "Concat",  "Gather",
      "Expand",    "Shape", "Size"};
  return ops;
}

/// Ops whose outputs never depend on the values of an activation.
bool is_source_op(const std::string& op) {
  return op == "Constant" || op == "Shape" || op == "Size" ||
         op == "ConstantOfShape";
}

double elements(const Shape& shape) {
  double n = 1.0;
  for (std::int64_t d : shape) {
    // Dimensions shape inference left unknown (-1) count as one.
    n *= d > 0 ? static_cast<double>(d) : 1.0;
  }
  return n;
}

/// The graph's first input that is not an initializer (old exporters list
/// initializers as inputs too); null when there is none.
const onnx::ValueInfoProto* activation_input(const onnx::GraphProto& graph) {
  std::unordered_set<std::string> initializers;
  for (const auto& init : graph.initializer())
    initializers.insert(init.name());
  for (const auto& info : graph.input()) {
    if (initializers.count(info.name()) == 0)
      return &info;
  }
  return nullptr;
}

/// A batch size no layer dimension is likely to equal, so that the batch
/// dimension can be told apart in every inferred shape.
constexpr std::int64_t kProbeBatch = 1009;

/// Gives the inputs a concrete batch size before shape inference: with a
/// symbolic one, the Shape -> Gather -> Concat -> Reshape chains exporters
/// write leave every later shape unknown. The batch dimension is the first
/// input's first symbolic dimension (dimension 1 of a sequence-first
/// model), else its first. Returns the batch size used: the file's own
/// where it fixes every dimension, else kProbeBatch. Drops the exporter's
/// intermediate shapes so that inference recomputes them with it.
// libonnx 1.12's data propagators (Shape's among them) read their first
// input's type unchecked; a node whose inference failed leaves its output
// untyped, and a malformed file then crashed the import. This registry
// hands out each schema with its propagator skipped for such an input
// (propagation only adds known values; inference proper still runs).
class GuardedSchemas final : public onnx::ISchemaRegistry {
 public:
  const onnx::OpSchema* GetSchema(const std::string& key, int max_version,
                                  const std::string& domain) const override {
    const onnx::OpSchema* schema =
        onnx::OpSchemaRegistry::Instance()->GetSchema(key, max_version, domain);
    if (schema == nullptr || !schema->has_data_propagation_function())
      return schema;
    auto [it, fresh] = guarded_.try_emplace(schema, *schema);
    if (fresh) {
      it->second.PartialDataPropagationFunction(
          [propagate = schema->GetDataPropagationFunction()](
              onnx::DataPropagationContext& ctx) {
            if (ctx.getNumInputs() > 0 && ctx.getInputType(0) == nullptr)
              return;
            propagate(ctx);
          });
    }
    return &it->second;
  }

 private:
  mutable std::unordered_map<const onnx::OpSchema*, onnx::OpSchema> guarded_;
};

std::int64_t pin_batch(onnx::GraphProto& graph) {
  const onnx::ValueInfoProto* first = activation_input(graph);
  if (first == nullptr || !first->type().has_tensor_type() ||
      first->type().tensor_type().shape().dim_size() == 0)
    return 1;
  const auto& dims = first->type().tensor_type().shape().dim();
  int batch = 0;
  while (batch < dims.size() && dims[batch].has_dim_value())
    ++batch;
  if (batch == dims.size())
    return dims[0].dim_value() > 0 ? dims[0].dim_value() : 1;
  const std::string symbol = dims[batch].dim_param();
  const std::string first_name = first->name();
  graph.clear_value_info();
  for (auto& info : *graph.mutable_input()) {
    if (!info.type().has_tensor_type())
      continue;
    auto* shape = info.mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int i = 0; i < shape->dim_size(); ++i) {
      auto* dim = shape->mutable_dim(i);
      const bool same = !dim->has_dim_value() && !symbol.empty() &&
                        dim->dim_param() == symbol;
      if (same || (info.name() == first_name && i == batch))
        dim->set_dim_value(kProbeBatch);
    }
  }
  for (auto& info : *graph.mutable_output()) {
    // Declared outputs would otherwise keep the symbol against the probe.
    if (info.type().has_tensor_type())
      info.mutable_type()->mutable_tensor_type()->clear_shape();
  }
  return kProbeBatch;
}

std::vector<std::int64_t> ints_attribute(const onnx::NodeProto& node,
                                         const std::string& name) {
  for (const auto& attr : node.attribute()) {
    if (attr.name() == name)
      return {attr.ints().begin(), attr.ints().end()};
  }
  return {};
}

std::optional<std::int64_t> int_attribute(const onnx::NodeProto& node,
                                          const std::string& name) {
  for (const auto& attr : node.attribute()) {
    if (attr.name() == name && attr.has_i())
      return attr.i();
  }
  return std::nullopt;
}

/// A small integer tensor: the shape arithmetic exporters write.
struct IntTensor {
  std::vector<std::int64_t> dims;
  std::vector<std::int64_t> data;
};

/// Shape arithmetic is a few dozen numbers; anything larger is not it.
constexpr int kMaxFoldedElements = 64;

std::optional<IntTensor> int_tensor(const onnx::TensorProto& t) {
  IntTensor out;
  out.dims.assign(t.dims().begin(), t.dims().end());
  std::int64_t n = 1;
  for (std::int64_t d : out.dims) {
    if (d < 0 || d > kMaxFoldedElements)
      return std::nullopt;
    n *= d;
  }
  if (n > kMaxFoldedElements)
    return std::nullopt;
  const auto count = static_cast<std::size_t>(n);
  if (t.data_type() == onnx::TensorProto::INT64) {
    if (t.has_raw_data()) {
      if (t.raw_data().size() != count * 8)
        return std::nullopt;
      out.data.resize(count);
      std::memcpy(out.data.data(), t.raw_data().data(), count * 8);
    } else {
      out.data.assign(t.int64_data().begin(), t.int64_data().end());
    }
  } else if (t.data_type() == onnx::TensorProto::INT32) {
    if (t.has_raw_data()) {
      if (t.raw_data().size() != count * 4)
        return std::nullopt;
      std::vector<std::int32_t> raw(count);
      std::memcpy(raw.data(), t.raw_data().data(), count * 4);
      out.data.assign(raw.begin(), raw.end());
    } else {
      out.data.assign(t.int32_data().begin(), t.int32_data().end());
    }
  } else {
    return std::nullopt;
  }
  if (out.data.size() != count)
    return std::nullopt;
  return out;
}

/// Folds the integer shape arithmetic of a graph (Shape, Gather, Concat,
/// Slice, +-*/ ...) into Constant nodes, so that ONNX shape inference, run
/// again, can follow the Reshapes and Slices that depend on it.
class ShapeFolder {
 public:
  explicit ShapeFolder(onnx::GraphProto& graph) : graph_(graph) {}

  /// One pass in node order; true when it folded a node.
  bool fold() {
    values_.clear();
    shapes_.clear();
    for (const auto& init : graph_.initializer()) {
      if (auto t = int_tensor(init))
        values_[init.name()] = std::move(*t);
    }
    for (const auto* list : {&graph_.input(), &graph_.value_info()}) {
      for (const auto& info : *list)
        add_shape(info);
    }
    bool folded = false;
    for (auto& node : *graph_.mutable_node()) {
      if (node.op_type() == "Constant") {
        for (const auto& attr : node.attribute()) {
          if (attr.name() == "value" && attr.has_t() &&
              node.output_size() == 1) {
            if (auto t = int_tensor(attr.t()))
              values_[node.output(0)] = std::move(*t);
          }
        }
        continue;
      }
      if (node.output_size() != 1)
        continue;
      auto value = evaluate(node);
      if (!value)
        continue;
      values_[node.output(0)] = *value;
      to_constant(node, *value);
      folded = true;
    }
    return folded;
  }

 private:
  void add_shape(const onnx::ValueInfoProto& info) {
    const auto& type = info.type();
    if (!type.has_tensor_type() || !type.tensor_type().has_shape())
      return;
    std::vector<std::int64_t> dims;
    for (const auto& dim : type.tensor_type().shape().dim()) {
      if (!dim.has_dim_value())
        return;
      dims.push_back(dim.dim_value());
    }
    shapes_[info.name()] = std::move(dims);
  }

  const IntTensor* value(const onnx::NodeProto& node, int index) const {
    if (index >= node.input_size())
      return nullptr;
    auto it = values_.find(node.input(index));
    return it == values_.end() ? nullptr : &it->second;
  }

  std::optional<IntTensor> evaluate(const onnx::NodeProto& node) const {
    const std::string& op = node.op_type();
    if (op == "Shape") {
      auto it =
          node.input_size() == 1 ? shapes_.find(node.input(0)) : shapes_.end();
      if (it == shapes_.end() || it->second.size() > kMaxFoldedElements)
        return std::nullopt;
      auto rank = static_cast<std::int64_t>(it->second.size());
      std::int64_t start =
          clamp(int_attribute(node, "start").value_or(0), rank);
      std::int64_t end = clamp(int_attribute(node, "end").value_or(rank), rank);
      IntTensor out;
      for (std::int64_t i = start; i < end; ++i)
        out.data.push_back(it->second[static_cast<std::size_t>(i)]);
      out.dims = {static_cast<std::int64_t>(out.data.size())};
      return out;
    }
    const IntTensor* a = value(node, 0);
    if (a == nullptr)
      return std::nullopt;
    if (op == "Identity" || op == "Cast")
      return *a;
    if (op == "Unsqueeze" || op == "Squeeze") {
      // Only 0-d <-> 1-d: what shape arithmetic does.
      IntTensor out = *a;
      if (op == "Unsqueeze" && a->dims.empty())
        out.dims = {1};
      else if (op == "Squeeze" && a->dims == std::vector<std::int64_t>{1})
        out.dims.clear();
      else
        return std::nullopt;
      return out;
    }
    if (op == "Concat") {
      IntTensor out;
      for (int i = 0; i < node.input_size(); ++i) {
        const IntTensor* part = value(node, i);
        if (part == nullptr || part->dims.size() != 1)
          return std::nullopt;
        out.data.insert(out.data.end(), part->data.begin(), part->data.end());
      }
      if (out.data.size() > kMaxFoldedElements)
        return std::nullopt;
      out.dims = {static_cast<std::int64_t>(out.data.size())};
      return out;
    }
    if (a->dims.size() > 1)
      return std::nullopt;
    const IntTensor* b = value(node, 1);
    if (op == "Gather" && b != nullptr &&
        int_attribute(node, "axis").value_or(0) == 0) {
      IntTensor out;
      out.dims = b->dims;
      const auto size = static_cast<std::int64_t>(a->data.size());
      for (std::int64_t i : b->data) {
        if (i < -size || i >= size)
          return std::nullopt;
        out.data.push_back(
            a->data[static_cast<std::size_t>(i < 0 ? i + size : i)]);
      }
      return out;
    }
    if (op == "Slice" && a->dims.size() == 1 && b != nullptr) {
      const IntTensor* e = value(node, 2);
      if (e == nullptr || b->data.size() != 1 || e->data.size() != 1 ||
          node.input_size() > 4)
        return std::nullopt;
      if (node.input_size() == 4) {
        const IntTensor* axes = value(node, 3);
        if (axes == nullptr || axes->data != std::vector<std::int64_t>{0})
          return std::nullopt;
      }
      const auto size = static_cast<std::int64_t>(a->data.size());
      std::int64_t start = clamp(b->data[0], size);
      std::int64_t end = clamp(e->data[0], size);
      IntTensor out;
      for (std::int64_t i = start; i < end; ++i)
        out.data.push_back(a->data[static_cast<std::size_t>(i)]);
      out.dims = {static_cast<std::int64_t>(out.data.size())};
      return out;
    }
    if ((op == "Add" || op == "Sub" || op == "Mul" || op == "Div") &&
        b != nullptr && b->dims.size() <= 1) {
      const std::size_t n = std::max(a->data.size(), b->data.size());
      if ((a->data.size() != n && a->data.size() != 1) ||
          (b->data.size() != n && b->data.size() != 1))
        return std::nullopt;
      IntTensor out;
      out.dims = a->data.size() == n ? a->dims : b->dims;
      for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t x = a->data[a->data.size() == 1 ? 0 : i];
        const std::int64_t y = b->data[b->data.size() == 1 ? 0 : i];
        std::int64_t r = 0;
        if (op == "Div") {
          if (y == 0 || (x == INT64_MIN && y == -1))
            return std::nullopt;
          r = x / y;
        } else if (op == "Add"   ? __builtin_add_overflow(x, y, &r)
                   : op == "Sub" ? __builtin_sub_overflow(x, y, &r)
                                 : __builtin_mul_overflow(x, y, &r)) {
          return std::nullopt;
        }
        out.data.push_back(r);
      }
      return out;
    }
    return std::nullopt;
  }

  /// ONNX index semantics: negative counts from the end; clamped to [0, n].
  static std::int64_t clamp(std::int64_t i, std::int64_t n) {
    if (i < 0)
      i = i < -n ? 0 : i + n;
    return i > n ? n : i;
  }

  static void to_constant(onnx::NodeProto& node, const IntTensor& value) {
    const std::string output = node.output(0);
    const std::string name = node.name();
    node.Clear();
    node.set_op_type("Constant");
    node.set_name(name);
    node.add_output(output);
    auto* attr = node.add_attribute();
    attr->set_name("value");
    attr->set_type(onnx::AttributeProto::TENSOR);
    auto* t = attr->mutable_t();
    t->set_data_type(onnx::TensorProto::INT64);
    for (std::int64_t d : value.dims)
      t->add_dims(d);
    for (std::int64_t v : value.data)
      t->add_int64_data(v);
  }

  onnx::GraphProto& graph_;
  std::unordered_map<std::string, IntTensor> values_;
  std::unordered_map<std::string, std::vector<std::int64_t>> shapes_;
};

/// Reads one graph after shape inference: static tensors (initializers,
/// constants and what is computed from them alone), inferred shapes, and
/// which nodes read each tensor.
class GraphView {
 public:
  /// `batch`: the batch size the shapes were inferred with.
  GraphView(const onnx::GraphProto& graph, std::int64_t batch) : batch_(batch) {
    for (const auto& init : graph.initializer())
      initializers_.emplace(init.name(), &init);
    for (const auto& info : graph.input())
      add_shape(info);
    for (const auto& info : graph.value_info())
      add_shape(info);
    for (const auto& info : graph.output())
      add_shape(info);
    for (int i = 0; i < graph.node_size(); ++i) {
      for (const auto& input : graph.node(i).input())
        consumers_[input].push_back(i);
    }
    if (const auto* input = activation_input(graph))
      input_name_ = input->name();
  }

  [[nodiscard]] const std::string& input_name() const { return input_name_; }

  /// The initializer behind `name`, through Identity aliases.
  [[nodiscard]] const onnx::TensorProto* initializer(
      const std::string& name) const {
    auto alias = aliases_.find(name);
    const std::string& real = alias == aliases_.end() ? name : alias->second;
    auto it = initializers_.find(real);
    return it == initializers_.end() ? nullptr : it->second;
  }

  [[nodiscard]] bool is_static(const std::string& name) const {
    return initializers_.count(name) != 0 || static_.count(name) != 0;
  }

  void mark_static(const onnx::NodeProto& node) {
    for (const auto& out : node.output())
      static_.insert(out);
    if (node.op_type() == "Identity" && node.input_size() == 1 &&
        node.output_size() == 1) {
      auto alias = aliases_.find(node.input(0));
      aliases_[node.output(0)] =
          alias == aliases_.end() ? node.input(0) : alias->second;
    }
    // A Constant node's tensor reads like an initializer (exporters write
    // small constants such as a dropout ratio this way).
    if (node.op_type() == "Constant" && node.output_size() == 1) {
      for (const auto& attr : node.attribute()) {
        if (attr.name() == "value" && attr.has_t())
          initializers_.emplace(node.output(0), &attr.t());
      }
    }
  }

  [[nodiscard]] const std::vector<int>& consumers(
      const std::string& name) const {
    static const std::vector<int> none;
    auto it = consumers_.find(name);
    return it == consumers_.end() ? none : it->second;
  }

  /// The per-sample shape of a tensor: the first dimension equal to the
  /// batch size removed or, where an exporter merged the batch into another
  /// dimension ([sequence * batch, features]), divided by it; -1 where ONNX
  /// could not infer a dimension. Empty when the shape is unknown.
  [[nodiscard]] Shape per_sample(const std::string& name) const {
    auto it = shapes_.find(name);
    if (it == shapes_.end())
      return {};
    Shape shape;
    for (const auto& dim : it->second->dim()) {
      shape.push_back(
          dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value() : -1);
    }
    for (auto d = shape.begin(); d != shape.end(); ++d) {
      if (*d == batch_) {
        shape.erase(d);
        return shape;
      }
    }
    for (std::int64_t& d : shape) {
      if (d > batch_ && d % batch_ == 0) {
        d /= batch_;
        break;
      }
    }
    return shape;
  }

  [[nodiscard]] bool has_shape(const std::string& name) const {
    return shapes_.count(name) != 0;
  }

 private:
  void add_shape(const onnx::ValueInfoProto& info) {
    const auto& type = info.type();
    if (type.has_tensor_type() && type.tensor_type().has_shape())
      shapes_[info.name()] = &type.tensor_type().shape();
  }

  std::unordered_map<std::string, const onnx::TensorProto*> initializers_;
  std::unordered_map<std::string, const onnx::TensorShapeProto*> shapes_;
  std::unordered_map<std::string, std::vector<int>> consumers_;
  std::unordered_map<std::string, std::string> aliases_;
  std::unordered_set<std::string> static_;
  std::string input_name_;
  std::int64_t batch_;
};

/// Walks a model's layers for an encoder block, stepping over dropouts
/// (the identity at inference).
class BlockCursor {
 public:
  BlockCursor(const Model& model, std::size_t at) : model_(model), at_(at) {}

  /// The next layer if it has `type`; nullptr otherwise.
  const Layer* take(LayerType type) {
    skip_dropout();
    if (at_ >= model_.layers.size() || model_.layers[at_].type != type)
      return nullptr;
    last_ = at_;
    return &model_.layers[at_++];
  }

  /// The next layer if it is the unsupported operator `op`.
  bool take_other(std::string_view op) {
    skip_dropout();
    if (at_ >= model_.layers.size() ||
        model_.layers[at_].type != LayerType::kOther ||
        model_.layers[at_].op != op)
      return false;
    others_.push_back(model_.layers[at_].op);
    last_ = at_++;
    return true;
  }

  [[nodiscard]] const LayerStats& stats() const { return model_.stats[last_]; }
  [[nodiscard]] std::size_t end() const { return at_; }
  [[nodiscard]] const std::vector<std::string>& others() const {
    return others_;
  }

 private:
  void skip_dropout() {
    while (at_ < model_.layers.size() &&
           model_.layers[at_].type == LayerType::kDropout)
      ++at_;
  }

  const Model& model_;
  std::size_t at_;
  std::size_t last_ = 0;
  std::vector<std::string> others_;
};

/// The common "/"-separated prefix of the block's layer names
/// ("/layers.0" for nn.TransformerEncoder), or "" when there is none.
std::string block_name(const Model& model, std::size_t begin, std::size_t end) {
  std::string prefix = model.layers[begin].name;
  for (std::size_t i = begin + 1; i < end; ++i) {
    const std::string& name = model.layers[i].name;
    std::size_t n = 0;
    while (n < prefix.size() && n < name.size() && prefix[n] == name[n])
      ++n;
    prefix.resize(n);
  }
  const auto slash = prefix.rfind('/');
  prefix.resize(slash == std::string::npos ? 0 : slash);
  return prefix.find_first_not_of('/') == std::string::npos ? "" : prefix;
}

/// A post-norm encoder block as torch.onnx.export writes
/// nn.TransformerEncoderLayer, in the layers this importer made of it:
///   dense(3d) [Div|Mul scale] dense(scores) softmax dense(mix) dense(d)
///   Add layernorm dense(m) relu dense(d) Add layernorm
/// with each parameter count what the block's shapes imply. Replaces it by
/// one transformer_encoder layer whose stats follow the models module's
/// formula (the scale and the residual adds counted too); true if it did.
bool fuse_encoder_at(Model& model, std::size_t begin,
                     std::map<std::string, int>& unsupported) {
  BlockCursor at(model, begin);
  const Layer* in_proj = at.take(LayerType::kDense);
  if (in_proj == nullptr || at.stats().input.size() != 2)
    return false;
  const std::int64_t s = at.stats().input[0];
  const std::int64_t d = at.stats().input[1];
  if (s <= 0 || d <= 0 || in_proj->units != 3 * d ||
      at.stats().params != 3 * d * d + 3 * d)
    return false;
  const Shape input = at.stats().input;
  if (!at.take_other("Div"))
    at.take_other("Mul");
  if (at.take(LayerType::kDense) == nullptr || at.stats().params != 0)
    return false;
  if (at.take(LayerType::kSoftmax) == nullptr)
    return false;
  const Shape& scores = at.stats().output;
  const std::int64_t heads = scores.size() == 3 ? scores[0] : 1;
  if (heads <= 0 || d % heads != 0)
    return false;
  if (at.take(LayerType::kDense) == nullptr || at.stats().params != 0)
    return false;
  const Layer* out_proj = at.take(LayerType::kDense);
  if (out_proj == nullptr || out_proj->units != d ||
      at.stats().params != d * d + d || !at.take_other("Add") ||
      at.take(LayerType::kLayerNorm) == nullptr || at.stats().params != 2 * d)
    return false;
  const Layer* up = at.take(LayerType::kDense);
  if (up == nullptr || up->units <= 0)
    return false;
  const std::int64_t m = up->units;
  if (at.stats().params != d * m + m || at.take(LayerType::kRelu) == nullptr)
    return false;
  const Layer* down = at.take(LayerType::kDense);
  if (down == nullptr || down->units != d || at.stats().params != m * d + d ||
      !at.take_other("Add") || at.take(LayerType::kLayerNorm) == nullptr ||
      at.stats().params != 2 * d || at.stats().output != input)
    return false;

  const std::size_t end = at.end();
  Layer block;
  block.type = LayerType::kTransformerEncoder;
  block.name = block_name(model, begin, end);
  if (block.name.empty())
    block.name = fmt::format("transformer_encoder_{}", begin);
  block.heads = heads;
  block.mlp_dim = m;
  LayerStats stats;
  stats.input = input;
  stats.output = input;
  const auto sd = static_cast<double>(s * d);
  // The scale of q and the two residual adds: one per element each.
  stats.forward_flops = 3.0 * sd;
  for (std::size_t i = begin; i < end; ++i) {
    stats.params += model.stats[i].params;
    stats.forward_flops += model.stats[i].forward_flops;
  }
  stats.weight_bytes = static_cast<double>(stats.params) * kBytesPerValue;
  stats.activation_bytes = sd * kBytesPerValue;
  for (const auto& op : at.others())
    --unsupported[op];
  const auto first = static_cast<std::ptrdiff_t>(begin);
  const auto last = static_cast<std::ptrdiff_t>(end);
  model.layers.erase(model.layers.begin() + first + 1,
                     model.layers.begin() + last);
  model.stats.erase(model.stats.begin() + first + 1,
                    model.stats.begin() + last);
  model.layers[begin] = std::move(block);
  model.stats[begin] = std::move(stats);
  return true;
}

void fuse_encoder_blocks(Model& model,
                         std::map<std::string, int>& unsupported) {
  for (std::size_t i = 0; i < model.layers.size(); ++i)
    fuse_encoder_at(model, i, unsupported);
}

/// Builds the layers of one graph. Every method that can meet bad input
/// returns an Error naming the origin and the node.
class Importer {
 public:
  Importer(const onnx::GraphProto& graph, std::int64_t batch,
           std::string_view origin)
      : graph_(graph), view_(graph, batch), origin_(origin) {}

  Status run(Model& model) {
    model.input = view_.per_sample(view_.input_name());
    for (int i = 0; i < graph_.node_size(); ++i) {
      if (consumed_.count(i) != 0)
        continue;
      const onnx::NodeProto& node = graph_.node(i);
      if (is_static_node(node)) {
        view_.mark_static(node);
        continue;
      }
      node_index_ = i;
      MLCARBON_RETURN_IF_ERROR(map_node(i, node, model));
    }
    // Shared initializers count once per user: the sum can outgrow what
    // every layer holds on its own.
    std::int64_t total = 0;
    for (const auto& stats : model.stats) {
      if (__builtin_add_overflow(total, stats.params, &total) ||
          total > kMaxCount) {
        return make_error(Errc::kParse,
                          "{}: the model has over 2^53 parameters", origin_);
      }
    }
    fuse_encoder_blocks(model, unsupported_);
    for (const auto& [op, count] : unsupported_) {
      if (count > 0)
        model.unsupported.push_back({op, count});
    }
    return {};
  }

 private:
  [[nodiscard]] bool is_static_node(const onnx::NodeProto& node) const {
    if (is_source_op(node.op_type()))
      return true;
    if (node.input_size() == 0)
      return false;
    for (const auto& input : node.input()) {
      if (!input.empty() && !view_.is_static(input))
        return false;
    }
    return true;
  }

  /// The node's first input that is an activation (not static).
  [[nodiscard]] std::string activation_input(
      const onnx::NodeProto& node) const {
    for (const auto& input : node.input()) {
      if (!input.empty() && !view_.is_static(input))
        return input;
    }
    return {};
  }

  /// Elements of the initializer behind input `index`; 0 when absent or
  /// not an initializer.
  Result<std::int64_t> initializer_elements(const onnx::NodeProto& node,
                                            int index) const {
    if (index >= node.input_size() || node.input(index).empty())
      return 0;
    const onnx::TensorProto* tensor = view_.initializer(node.input(index));
    if (tensor == nullptr)
      return 0;
    std::int64_t n = 1;
    for (std::int64_t d : tensor->dims()) {
      if (d < 0 || __builtin_mul_overflow(n, d, &n) || n > kMaxCount) {
        return make_error(Errc::kParse,
                          "{}: node '{}' ({}): initializer '{}' has an "
                          "impossible shape (negative, or over 2^53 elements)",
                          origin_, node.name(), node.op_type(), tensor->name());
      }
    }
    return n;
  }

  [[nodiscard]] std::vector<std::int64_t> initializer_dims(
      const onnx::NodeProto& node, int index) const {
    if (index >= node.input_size())
      return {};
    const onnx::TensorProto* tensor = view_.initializer(node.input(index));
    if (tensor == nullptr)
      return {};
    return {tensor->dims().begin(), tensor->dims().end()};
  }

  void add(Model& model, Layer layer, const std::string& input,
           const std::string& output, std::int64_t params, double flops) {
    LayerStats stats;
    stats.input = view_.per_sample(input);
    stats.output = view_.per_sample(output);
    stats.params = params;
    stats.forward_flops = flops;
    stats.weight_bytes = static_cast<double>(params) * kBytesPerValue;
    stats.activation_bytes = elements(stats.output) * kBytesPerValue;
    model.layers.push_back(std::move(layer));
    model.stats.push_back(std::move(stats));
  }

  /// A layer named after its node, or "<op>_<index>" for unnamed nodes.
  Layer layer_of(LayerType type, const onnx::NodeProto& node) const {
    Layer layer;
    layer.type = type;
    layer.name = node.name().empty()
                     ? fmt::format("{}_{}", node.op_type(), node_index_)
                     : node.name();
    return layer;
  }

  void add_other(Model& model, const onnx::NodeProto& node,
                 const std::string& input) {
    Layer layer = layer_of(LayerType::kOther, node);
    layer.op = node.op_type();
    ++unsupported_[node.op_type()];
    add(model, std::move(layer), input,
        node.output_size() > 0 ? node.output(0) : std::string(), 0, 0.0);
  }

  Status map_node(int index, const onnx::NodeProto& node, Model& model) {
    const std::string& op = node.op_type();
    const std::string input = activation_input(node);
    const std::string output =
        node.output_size() > 0 ? node.output(0) : std::string();
    const double out_elems = elements(view_.per_sample(output));
    const double in_elems = elements(view_.per_sample(input));

    if (op == "Gemm" || op == "MatMul")
      return map_matmul(index, node, model);
    if (op == "Conv")
      return map_conv(node, model);
    if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" ||
        op == "GlobalMaxPool") {
      map_pool(node, model);
      return {};
    }
    if (op == "ReduceMean" && map_decomposed_layernorm(index, node, model))
      return {};
    if (op == "BatchNormalization" || op == "LayerNormalization") {
      const bool batch = op == "BatchNormalization";
      // Trainable: scale and bias; running mean and variance are buffers.
      MLCARBON_ASSIGN_OR_RETURN(std::int64_t scale,
                                initializer_elements(node, 1));
      MLCARBON_ASSIGN_OR_RETURN(std::int64_t bias,
                                initializer_elements(node, 2));
      add(model,
          layer_of(batch ? LayerType::kBatchNorm : LayerType::kLayerNorm, node),
          input, output, scale + bias,
          (batch ? kBatchNormFlops : kLayerNormFlops) * out_elems);
      return {};
    }
    static const std::map<std::string, LayerType> activations = {
        {"Relu", LayerType::kRelu},
        {"Tanh", LayerType::kTanh},
        {"Sigmoid", LayerType::kSigmoid},
        {"Gelu", LayerType::kGelu},
    };
    // Elementwise: where ONNX knows no shape (an operator newer than this
    // libonnx) the output has the input's.
    const std::string& same = view_.has_shape(output) ? output : input;
    const double same_elems = elements(view_.per_sample(same));
    if (auto it = activations.find(op); it != activations.end()) {
      add(model, layer_of(it->second, node), input, same, 0, same_elems);
      return {};
    }
    if (op == "Softmax") {
      add(model, layer_of(LayerType::kSoftmax, node), input, same, 0,
          kSoftmaxFlops * same_elems);
      return {};
    }
    if (op == "Dropout") {
      Layer layer = layer_of(LayerType::kDropout, node);
      layer.rate = dropout_rate(node);
      add(model, std::move(layer), input, same, 0, 0.0);
      return {};
    }
    const Shape in_shape = view_.per_sample(input);
    const Shape out_shape = view_.per_sample(output);
    if (op == "Flatten" ||
        (op == "Reshape" && in_shape.size() >= 2 && out_shape.size() == 1 &&
         out_shape[0] >= 0 && in_elems == out_elems)) {
      add(model, layer_of(LayerType::kFlatten, node), input, output, 0, 0.0);
      return {};
    }
    if (op == "Gather" && node.input_size() == 2 &&
        view_.initializer(node.input(0)) != nullptr &&
        initializer_dims(node, 0).size() == 2) {
      const auto dims = initializer_dims(node, 0);
      Layer layer = layer_of(LayerType::kEmbedding, node);
      layer.vocab = dims[0];
      layer.units = dims[1];
      MLCARBON_ASSIGN_OR_RETURN(std::int64_t params,
                                initializer_elements(node, 0));
      add(model, std::move(layer), input, output, params, 0.0);
      return {};
    }
    if (layout_ops().count(op) != 0)
      return {};
    add_other(model, node, input);
    return {};
  }

  /// Dropout's ratio: an attribute before opset 12, a constant input since.
  [[nodiscard]] double dropout_rate(const onnx::NodeProto& node) const {
    for (const auto& attr : node.attribute()) {
      if (attr.name() == "ratio" && attr.has_f())
        return attr.f();
    }
    if (node.input_size() >= 2) {
      const onnx::TensorProto* t = view_.initializer(node.input(1));
      if (t != nullptr && t->data_type() == onnx::TensorProto::FLOAT) {
        if (t->float_data_size() == 1)
          return t->float_data(0);
        if (t->raw_data().size() == sizeof(float)) {
          float f = 0;
          std::memcpy(&f, t->raw_data().data(), sizeof f);
          return f;
        }
      }
    }
    return 0.5;  // the ONNX default
  }

  /// The first node after `after` that reads `tensor` with op type `op`.
  [[nodiscard]] const onnx::NodeProto* reader(const std::string& tensor,
                                              const char* op, int after,
                                              int* index) const {
    for (int i : view_.consumers(tensor)) {
      if (i > after && graph_.node(i).op_type() == op &&
          consumed_.count(i) == 0) {
        *index = i;
        return &graph_.node(i);
      }
    }
    return nullptr;
  }

  /// The sole reader of `tensor`, when it is `op` with a static other
  /// input: the scale and bias of a decomposed layer norm.
  [[nodiscard]] const onnx::NodeProto* affine(const std::string& tensor,
                                              const char* op, int after,
                                              int* index, int* other) const {
    const auto& readers = view_.consumers(tensor);
    if (readers.size() != 1)
      return nullptr;
    const onnx::NodeProto* node = reader(tensor, op, after, index);
    if (node == nullptr || node->input_size() != 2)
      return nullptr;
    *other = node->input(0) == tensor ? 1 : 0;
    return view_.initializer(node->input(*other)) != nullptr ? node : nullptr;
  }

  /// LayerNormalization as exporters write it before opset 17:
  /// ReduceMean, Sub, Pow, ReduceMean, Add(eps), Sqrt, Div, then Mul(scale)
  /// and Add(bias). One layer with the scale and bias as its parameters.
  bool map_decomposed_layernorm(int index, const onnx::NodeProto& mean,
                                Model& model) {
    if (mean.input_size() < 1 || mean.output_size() != 1)
      return false;
    const std::string& x = mean.input(0);
    std::vector<int> chain;
    int i = index;
    const onnx::NodeProto* sub = reader(mean.output(0), "Sub", index, &i);
    if (sub == nullptr || sub->input_size() != 2 || sub->input(0) != x)
      return false;
    chain.push_back(i);
    const std::string& centred = sub->output(0);
    const onnx::NodeProto* node = reader(centred, "Pow", index, &i);
    for (const char* op : {"ReduceMean", "Add", "Sqrt"}) {
      if (node == nullptr || node->output_size() != 1)
        return false;
      chain.push_back(i);
      node = reader(node->output(0), op, index, &i);
    }
    if (node == nullptr)
      return false;
    chain.push_back(i);
    const onnx::NodeProto* div = reader(node->output(0), "Div", index, &i);
    if (div == nullptr || div->input(0) != centred || div->output_size() != 1)
      return false;
    chain.push_back(i);
    std::string output = div->output(0);
    std::int64_t params = 0;
    int other = 0;
    for (const char* op : {"Mul", "Add"}) {
      const onnx::NodeProto* step = affine(output, op, index, &i, &other);
      if (step == nullptr)
        break;
      auto n = initializer_elements(*step, other);
      if (!n)
        return false;
      params += *n;
      chain.push_back(i);
      output = step->output(0);
    }
    consumed_.insert(chain.begin(), chain.end());
    add(model, layer_of(LayerType::kLayerNorm, mean), x, output, params,
        kLayerNormFlops * elements(view_.per_sample(output)));
    return true;
  }

  /// Gemm, and MatMul with an Add of a static bias right after it, as
  /// dense; a MatMul of two activations (attention scores and their use)
  /// as a dense layer without parameters.
  Status map_matmul(int index, const onnx::NodeProto& node, Model& model) {
    const bool gemm = node.op_type() == "Gemm";
    if (node.input_size() < 2)
      return bad_node(node, "needs two inputs");
    const std::string input = activation_input(node);
    std::string output = node.output_size() > 0 ? node.output(0) : "";
    // Which input holds the weights, and the reduced dimension K.
    int weight = -1;
    if (view_.initializer(node.input(1)) != nullptr)
      weight = 1;
    else if (view_.initializer(node.input(0)) != nullptr)
      weight = 0;
    std::int64_t k = -1;
    std::int64_t units = -1;
    if (weight >= 0) {
      const auto dims = initializer_dims(node, weight);
      if (dims.empty())
        return bad_node(node, "has a scalar weight");
      const bool trans =
          gemm &&
          int_attribute(node, weight == 1 ? "transB" : "transA").value_or(0) !=
              0;
      if (weight == 1) {
        if (dims.size() < 2 && gemm)
          return bad_node(node, "needs a 2-d weight");
        k = trans ? dims.back() : dims[dims.size() >= 2 ? dims.size() - 2 : 0];
        units = trans ? dims[dims.size() - 2] : dims.back();
      } else {
        // W·x: the weight's rows are the outputs.
        k = dims.back();
        units = dims.size() >= 2 ? dims[dims.size() - 2] : 1;
      }
    } else {
      const Shape a = view_.per_sample(node.input(0));
      if (!a.empty()) {
        const bool trans_a =
            gemm && int_attribute(node, "transA").value_or(0) != 0;
        k = trans_a && a.size() >= 2 ? a[a.size() - 2] : a.back();
      }
      const Shape out = view_.per_sample(output);
      units = out.empty() ? -1 : out.back();
    }
    MLCARBON_ASSIGN_OR_RETURN(std::int64_t params,
                              weight >= 0 ? initializer_elements(node, weight)
                                          : Result<std::int64_t>(0));
    bool bias = false;
    if (gemm && node.input_size() >= 3 && !node.input(2).empty()) {
      MLCARBON_ASSIGN_OR_RETURN(std::int64_t b, initializer_elements(node, 2));
      params += b;
      bias = true;
    } else if (!gemm && weight >= 0) {
      // torch.onnx.export writes nn.Linear on 3-d inputs as MatMul + Add.
      const auto& readers = view_.consumers(output);
      if (readers.size() == 1 && readers[0] > index) {
        const onnx::NodeProto& add_node = graph_.node(readers[0]);
        if (add_node.op_type() == "Add" && add_node.input_size() == 2 &&
            add_node.output_size() == 1) {
          const int other = add_node.input(0) == output ? 1 : 0;
          MLCARBON_ASSIGN_OR_RETURN(std::int64_t b,
                                    initializer_elements(add_node, other));
          if (b > 0 && b == units) {
            params += b;
            bias = true;
            output = add_node.output(0);
            consumed_.insert(readers[0]);
          }
        }
      }
    }
    const double out_elems = elements(view_.per_sample(output));
    Layer layer = layer_of(LayerType::kDense, node);
    layer.units = units;
    layer.bias = bias;
    const double kk = k > 0 ? static_cast<double>(k) : 1.0;
    add(model, std::move(layer), input, output, params,
        2.0 * kk * out_elems + (bias ? out_elems : 0.0));
    return {};
  }

  Status map_conv(const onnx::NodeProto& node, Model& model) {
    const std::string input = activation_input(node);
    const std::string output = node.output_size() > 0 ? node.output(0) : "";
    const auto dims = initializer_dims(node, 1);
    if (dims.size() != 3 && dims.size() != 4) {
      // Conv3d, or weights computed at run time: counted, not understood.
      add_other(model, node, input);
      return {};
    }
    const std::size_t spatial = dims.size() - 2;
    Layer layer =
        layer_of(spatial == 1 ? LayerType::kConv1d : LayerType::kConv2d, node);
    layer.units = dims[0];
    layer.kernel = ints_attribute(node, "kernel_shape");
    if (layer.kernel.empty())
      layer.kernel.assign(dims.begin() + 2, dims.end());
    layer.stride = ints_attribute(node, "strides");
    if (layer.stride.empty())
      layer.stride.assign(spatial, 1);
    // ONNX pads are [begin..., end...]; the models vocabulary is symmetric.
    const auto pads = ints_attribute(node, "pads");
    layer.padding.assign(spatial, 0);
    for (std::size_t i = 0; i < spatial && i < pads.size(); ++i)
      layer.padding[i] = pads[i];
    layer.groups = int_attribute(node, "group").value_or(1);
    if (layer.groups < 1 || dims[0] % layer.groups != 0)
      return make_error(Errc::kParse,
                        "{}: node '{}' ({}): group {} does not divide its {} "
                        "filters",
                        origin_, node.name(), node.op_type(), layer.groups,
                        dims[0]);
    MLCARBON_ASSIGN_OR_RETURN(std::int64_t weights,
                              initializer_elements(node, 1));
    MLCARBON_ASSIGN_OR_RETURN(std::int64_t bias, initializer_elements(node, 2));
    layer.bias = bias > 0;
    const double out_elems = elements(view_.per_sample(output));
    // Each output element reads in_channels/group × kernel weights: the
    // weight tensor's size per filter, whatever the group count.
    const double per_output = dims[0] > 0 ? static_cast<double>(weights) /
                                                static_cast<double>(dims[0])
                                          : 0.0;
    add(model, std::move(layer), input, output, weights + bias,
        2.0 * per_output * out_elems + (bias > 0 ? out_elems : 0.0));
    return {};
  }

  void map_pool(const onnx::NodeProto& node, Model& model) {
    const std::string input = activation_input(node);
    const std::string output = node.output_size() > 0 ? node.output(0) : "";
    const std::string& op = node.op_type();
    const bool global = op.rfind("Global", 0) == 0;
    const bool max = op.find("Max") != std::string::npos;
    std::vector<std::int64_t> kernel;
    std::vector<std::int64_t> stride;
    if (global) {
      const Shape in = view_.per_sample(input);
      if (in.size() >= 2)
        kernel.assign(in.begin() + 1, in.end());
      stride = kernel;
    } else {
      kernel = ints_attribute(node, "kernel_shape");
      stride = ints_attribute(node, "strides");
      if (stride.empty())
        stride.assign(kernel.size(), 1);
    }
    if (kernel.size() != 1 && kernel.size() != 2) {
      add_other(model, node, input);
      return;
    }
    LayerType type;
    if (kernel.size() == 1)
      type = max ? LayerType::kMaxPool1d : LayerType::kAvgPool1d;
    else
      type = max ? LayerType::kMaxPool2d : LayerType::kAvgPool2d;
    Layer layer = layer_of(type, node);
    layer.kernel = kernel;
    layer.stride = stride;
    layer.padding.assign(kernel.size(), 0);
    const auto pads = ints_attribute(node, "pads");
    for (std::size_t i = 0; i < kernel.size() && i < pads.size(); ++i)
      layer.padding[i] = pads[i];
    // One operation per window element read for each output.
    double window = 1.0;
    for (std::int64_t k : kernel)
      window *= k > 0 ? static_cast<double>(k) : 1.0;
    add(model, std::move(layer), input, output, 0,
        window * elements(view_.per_sample(output)));
  }

  tl::unexpected<Error> bad_node(const onnx::NodeProto& node,
                                 std::string_view what) const {
    return make_error(Errc::kParse, "{}: node '{}' ({}) {}", origin_,
                      node.name(), node.op_type(), what);
  }

  static constexpr double kBatchNormFlops = 2.0;  // scale and shift
  // Mean, variance, normalise, scale, shift.
  static constexpr double kLayerNormFlops = 5.0;
  static constexpr double kSoftmaxFlops = 3.0;  // exp, sum, divide

  const onnx::GraphProto& graph_;
  GraphView view_;
  std::string origin_;
  std::unordered_set<int> consumed_;
  int node_index_ = 0;
  std::map<std::string, int> unsupported_;
};

/// libonnx's message on one line, safe to print: its checker spreads a
/// node over several lines and repeats names from the file.
std::string one_line(std::string_view what) {
  std::string out;
  bool space = false;
  for (char c : what) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  return terminal_safe(out);
}

tl::unexpected<Error> not_onnx(std::string_view origin, std::string_view why) {
  return make_error(Errc::kParse, "{}: not an ONNX model ({})", origin, why);
}

/// A private domain for operators this libonnx does not know: the checker
/// skips operators of other domains, and shape inference leaves their
/// outputs unknown.
constexpr const char* kUnknownDomain = "mlcarbon.unknown";

/// Lets this libonnx check a model written for a newer ONNX: lowers the IR
/// version and the opsets to the newest it knows, whose schemas shape
/// inference would use anyway, and moves operators it does not know to
/// kUnknownDomain. The checker then still guards shape inference, which
/// crashes on malformed graphs; the importer matches operators by name, so
/// a newer Gelu is still a gelu layer. Models of known versions are left
/// as they are: an unknown operator in them is an error.
void adapt_to_library(onnx::ModelProto& proto) {
  const auto& known =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  bool newer = proto.ir_version() > onnx::IR_VERSION;
  std::unordered_map<std::string, int> opsets;
  for (auto& import : *proto.mutable_opset_import()) {
    const std::string domain =
        import.domain() == "ai.onnx" ? std::string() : import.domain();
    auto it = known.find(domain);
    if (it != known.end() && import.version() > it->second.second) {
      import.set_version(it->second.second);
      newer = true;
    }
    opsets[domain] = static_cast<int>(import.version());
  }
  if (!newer)
    return;
  proto.set_ir_version(onnx::IR_VERSION);
  bool moved = false;
  for (auto& node : *proto.mutable_graph()->mutable_node()) {
    const std::string domain =
        node.domain() == "ai.onnx" ? std::string() : node.domain();
    auto opset = opsets.find(domain);
    if (known.count(domain) == 0 || opset == opsets.end())
      continue;
    if (onnx::OpSchemaRegistry::Schema(node.op_type(), opset->second, domain) ==
        nullptr) {
      node.set_domain(kUnknownDomain);
      moved = true;
    }
  }
  if (moved) {
    auto* import = proto.add_opset_import();
    import->set_domain(kUnknownDomain);
    import->set_version(1);
  }
}

}  // namespace

namespace detail {

Result<Model> read_onnx(std::string_view bytes, std::string_view origin) {
  if (bytes.empty())
    return not_onnx(origin, "the file is empty");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX))
    return not_onnx(origin, "over 2 GiB; protobuf cannot read it");
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return not_onnx(origin, "protobuf parse failed: corrupt or truncated");
  if (!proto.has_graph() || proto.ir_version() <= 0)
    return not_onnx(origin, "no graph or IR version");
  // libonnx reports bad models with exceptions; none may leave this
  // function, whatever the bytes.
  try {
    adapt_to_library(proto);
    onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    return not_onnx(origin, one_line(e.what()));
  } catch (...) {
    return not_onnx(origin, "the ONNX checker failed");
  }
  std::int64_t batch = 1;
  try {
    batch = pin_batch(*proto.mutable_graph());
    // Data propagation follows the Shape -> Gather -> Concat chains that
    // exporters build for Reshape targets.
    onnx::ShapeInferenceOptions options(/*check_type_val=*/false,
                                        /*strict_mode_val=*/0,
                                        /*data_prop_val=*/true);
    ShapeFolder folder(*proto.mutable_graph());
    const GuardedSchemas schemas;
    // Each round folds the shape arithmetic that the last round's shapes
    // made known; exporters' graphs settle in a few.
    for (int round = 0; round < kMaxInferenceRounds; ++round) {
      onnx::shape_inference::InferShapes(proto, &schemas, options);
      if (!folder.fold())
        break;
    }
  } catch (const std::exception& e) {
    return make_error(Errc::kParse, "{}: ONNX shape inference failed: {}",
                      origin, one_line(e.what()));
  } catch (...) {
    return make_error(Errc::kParse, "{}: ONNX shape inference failed", origin);
  }

  Model model;
  model.origin = std::string(origin);
  model.name = std::filesystem::path(std::string(origin)).stem().string();
  if (model.name.empty())
    model.name = proto.graph().name();
  try {
    Importer importer(proto.graph(), batch, origin);
    MLCARBON_RETURN_IF_ERROR(importer.run(model));
  } catch (const std::exception& e) {
    return make_error(Errc::kParse, "{}: reading the ONNX graph: {}", origin,
                      one_line(e.what()));
  }
  return model;
}

}  // namespace detail
}  // namespace mlcarbon::models

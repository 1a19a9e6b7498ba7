// SPDX-License-Identifier: Apache-2.0
// ONNX import over Debian's libonnx (protobuf API): parse, check, infer
// shapes, then map the nodes to layers with stats from the inferred shapes.
#include "mlcarbon/models/onnx.h"

#include <climits>
#include <cstdint>
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

namespace mlcarbon::models {
namespace {

constexpr double kBytesPerValue = 4.0;  // float32, as the models module

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

/// Reads one graph after shape inference: static tensors (initializers,
/// constants and what is computed from them alone), inferred shapes, and
/// which nodes read each tensor.
class GraphView {
 public:
  explicit GraphView(const onnx::GraphProto& graph) {
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
    for (const auto& info : graph.input()) {
      if (initializers_.count(info.name()) != 0)
        continue;  // old exporters list initializers as inputs too
      input_name_ = info.name();
      const auto& type = info.type();
      if (type.has_tensor_type() && type.tensor_type().has_shape() &&
          type.tensor_type().shape().dim_size() > 0) {
        const auto& dim = type.tensor_type().shape().dim(0);
        if (dim.has_dim_param())
          batch_symbol_ = dim.dim_param();
      }
      break;
    }
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
  }

  [[nodiscard]] const std::vector<int>& consumers(
      const std::string& name) const {
    static const std::vector<int> none;
    auto it = consumers_.find(name);
    return it == consumers_.end() ? none : it->second;
  }

  /// The per-sample shape of a tensor: the batch dimension (the input's
  /// symbolic first dimension where it has one, else the first) removed;
  /// -1 where ONNX could not infer a dimension. Empty when unknown.
  [[nodiscard]] Shape per_sample(const std::string& name) const {
    auto it = shapes_.find(name);
    if (it == shapes_.end())
      return {};
    const onnx::TensorShapeProto& proto = *it->second;
    int batch = proto.dim_size() > 0 ? 0 : -1;
    if (!batch_symbol_.empty()) {
      for (int i = 0; i < proto.dim_size(); ++i) {
        if (proto.dim(i).has_dim_param() &&
            proto.dim(i).dim_param() == batch_symbol_) {
          batch = i;
          break;
        }
      }
    }
    Shape shape;
    for (int i = 0; i < proto.dim_size(); ++i) {
      if (i == batch)
        continue;
      const auto& dim = proto.dim(i);
      shape.push_back(
          dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value() : -1);
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
  std::string batch_symbol_;
};

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

/// Builds the layers of one graph. Every method that can meet bad input
/// returns an Error naming the origin and the node.
class Importer {
 public:
  Importer(const onnx::GraphProto& graph, std::string_view origin)
      : graph_(graph), view_(graph), origin_(origin) {}

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
    for (const auto& [op, count] : unsupported_)
      model.unsupported.push_back({op, count});
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
      if (d < 0 || __builtin_mul_overflow(n, d, &n)) {
        return make_error(Errc::kParse,
                          "{}: node '{}' ({}): initializer '{}' has an "
                          "impossible shape",
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
    if (auto it = activations.find(op); it != activations.end()) {
      add(model, layer_of(it->second, node), input, output, 0, out_elems);
      return {};
    }
    if (op == "Softmax") {
      add(model, layer_of(LayerType::kSoftmax, node), input, output, 0,
          kSoftmaxFlops * out_elems);
      return {};
    }
    if (op == "Dropout") {
      Layer layer = layer_of(LayerType::kDropout, node);
      add(model, std::move(layer), input, output, 0, 0.0);
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

tl::unexpected<Error> not_onnx(std::string_view origin, std::string_view why) {
  return make_error(Errc::kParse, "{}: not an ONNX model ({})", origin, why);
}

}  // namespace

bool onnx_supported() {
  return true;
}

Result<Model> import_onnx(std::string_view bytes, std::string_view origin) {
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
    onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    return not_onnx(origin, e.what());
  } catch (...) {
    return not_onnx(origin, "the ONNX checker failed");
  }
  try {
    // Data propagation follows the Shape -> Gather -> Concat chains that
    // exporters build for Reshape targets.
    onnx::ShapeInferenceOptions options(/*check_type_val=*/false,
                                        /*strict_mode_val=*/0,
                                        /*data_prop_val=*/true);
    onnx::shape_inference::InferShapes(
        proto, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    return make_error(Errc::kParse, "{}: ONNX shape inference failed: {}",
                      origin, e.what());
  } catch (...) {
    return make_error(Errc::kParse, "{}: ONNX shape inference failed", origin);
  }

  Model model;
  model.origin = std::string(origin);
  model.name = std::filesystem::path(std::string(origin)).stem().string();
  if (model.name.empty())
    model.name = proto.graph().name();
  try {
    Importer importer(proto.graph(), origin);
    MLCARBON_RETURN_IF_ERROR(importer.run(model));
  } catch (const std::exception& e) {
    return make_error(Errc::kParse, "{}: reading the ONNX graph: {}", origin,
                      e.what());
  }
  return model;
}

}  // namespace mlcarbon::models

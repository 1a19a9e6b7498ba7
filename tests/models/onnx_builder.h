// SPDX-License-Identifier: Apache-2.0
// Builds small ONNX models with the ONNX protobuf API, for the import tests
// and the fuzz seeds.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace mlcarbon::testing {

class OnnxBuilder {
 public:
  /// A model importing the default domain at `opset`.
  explicit OnnxBuilder(std::int64_t opset = 13) {
    model_.set_ir_version(8);
    model_.set_producer_name("mlcarbon-test");
    auto* import = model_.add_opset_import();
    import->set_domain("");
    import->set_version(opset);
    model_.mutable_graph()->set_name("test");
  }

  /// A float input; a dimension of -1 is the symbolic batch "N".
  OnnxBuilder& input(const std::string& name,
                     std::initializer_list<std::int64_t> dims) {
    add_value(model_.mutable_graph()->add_input(), name, dims);
    return *this;
  }

  /// A float output, declared as exporters do.
  OnnxBuilder& output(const std::string& name,
                      std::initializer_list<std::int64_t> dims) {
    add_value(model_.mutable_graph()->add_output(), name, dims);
    return *this;
  }

  static void add_value(onnx::ValueInfoProto* info, const std::string& name,
                        std::initializer_list<std::int64_t> dims) {
    info->set_name(name);
    auto* tensor = info->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = tensor->mutable_shape();
    for (std::int64_t d : dims) {
      if (d < 0)
        shape->add_dim()->set_dim_param("N");
      else
        shape->add_dim()->set_dim_value(d);
    }
  }

  /// A float initializer of zeros.
  OnnxBuilder& weight(const std::string& name,
                      std::initializer_list<std::int64_t> dims) {
    auto* tensor = model_.mutable_graph()->add_initializer();
    tensor->set_name(name);
    tensor->set_data_type(onnx::TensorProto::FLOAT);
    std::int64_t n = 1;
    for (std::int64_t d : dims) {
      tensor->add_dims(d);
      n *= d;
    }
    tensor->set_raw_data(std::string(static_cast<std::size_t>(n) * 4, '\0'));
    return *this;
  }

  /// An int64 initializer (Reshape targets, axes).
  OnnxBuilder& ints(const std::string& name,
                    std::initializer_list<std::int64_t> values) {
    auto* tensor = model_.mutable_graph()->add_initializer();
    tensor->set_name(name);
    tensor->set_data_type(onnx::TensorProto::INT64);
    tensor->add_dims(static_cast<std::int64_t>(values.size()));
    for (std::int64_t v : values)
      tensor->add_int64_data(v);
    return *this;
  }

  /// A node; chain attribute setters on the returned proto with attr().
  onnx::NodeProto& node(const std::string& op,
                        std::initializer_list<std::string> inputs,
                        std::initializer_list<std::string> outputs,
                        const std::string& name = "") {
    auto* node = model_.mutable_graph()->add_node();
    node->set_op_type(op);
    node->set_name(name);
    for (const auto& in : inputs)
      node->add_input(in);
    for (const auto& out : outputs)
      node->add_output(out);
    return *node;
  }

  static void attr(onnx::NodeProto& node, const std::string& name,
                   std::int64_t value) {
    auto* a = node.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }

  static void attr(onnx::NodeProto& node, const std::string& name,
                   std::initializer_list<std::int64_t> values) {
    auto* a = node.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (std::int64_t v : values)
      a->add_ints(v);
  }

  [[nodiscard]] std::string bytes() const { return model_.SerializeAsString(); }

 private:
  onnx::ModelProto model_;
};

/// MLP: [N, 4] -> Gemm(8) -> Relu -> Gemm(3) -> Softmax.
inline std::string onnx_mlp() {
  OnnxBuilder b;
  b.input("x", {-1, 4}).output("y", {-1, 3});
  b.weight("w1", {8, 4})
      .weight("b1", {8})
      .weight("w2", {3, 8})
      .weight("b2", {3});
  OnnxBuilder::attr(b.node("Gemm", {"x", "w1", "b1"}, {"h1"}, "fc1"), "transB",
                    1);
  b.node("Relu", {"h1"}, {"a1"}, "relu1");
  OnnxBuilder::attr(b.node("Gemm", {"a1", "w2", "b2"}, {"h2"}, "fc2"), "transB",
                    1);
  OnnxBuilder::attr(b.node("Softmax", {"h2"}, {"y"}, "softmax"), "axis", 1);
  return b.bytes();
}

/// CNN: [N, 1, 8, 8] -> Conv(4, 3x3, pad 1) -> Relu -> MaxPool(2) ->
/// Flatten -> Gemm(10).
inline std::string onnx_cnn() {
  OnnxBuilder b;
  b.input("x", {-1, 1, 8, 8}).output("y", {-1, 10});
  b.weight("cw", {4, 1, 3, 3}).weight("cb", {4});
  b.weight("fw", {10, 64}).weight("fb", {10});
  auto& conv = b.node("Conv", {"x", "cw", "cb"}, {"c"}, "conv");
  OnnxBuilder::attr(conv, "kernel_shape", {3, 3});
  OnnxBuilder::attr(conv, "pads", {1, 1, 1, 1});
  b.node("Relu", {"c"}, {"r"}, "relu");
  auto& pool = b.node("MaxPool", {"r"}, {"p"}, "pool");
  OnnxBuilder::attr(pool, "kernel_shape", {2, 2});
  OnnxBuilder::attr(pool, "strides", {2, 2});
  b.node("Flatten", {"p"}, {"f"}, "flatten");
  OnnxBuilder::attr(b.node("Gemm", {"f", "fw", "fb"}, {"y"}, "fc"), "transB",
                    1);
  return b.bytes();
}

/// A sequence model: [N, 5, 6] -> MatMul(6x7) + Add(7).
inline std::string onnx_matmul_add() {
  OnnxBuilder b;
  b.input("x", {-1, 5, 6}).output("y", {-1, 5, 7});
  b.weight("w", {6, 7}).weight("b", {7});
  b.node("MatMul", {"x", "w"}, {"m"}, "linear");
  b.node("Add", {"b", "m"}, {"y"}, "linear_bias");
  return b.bytes();
}

}  // namespace mlcarbon::testing

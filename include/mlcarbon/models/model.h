// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"

/// Architecture descriptions: a layer list read from YAML/JSON, a shorthand
/// for the paper's families, or an ONNX graph (models/onnx.h); shapes
/// inferred layer by layer; parameters, FLOPs and memory per layer
/// (docs/model-files.md). No LibTorch here: the engine builds modules from
/// this.
namespace mlcarbon::models {

/// A place in a model file, 1-based; 0 when unknown (shorthands, ONNX).
struct Pos {
  int line = 0;
  int column = 0;
};

enum class LayerType {
  kDense,
  kConv1d,
  kConv2d,
  kMaxPool1d,
  kMaxPool2d,
  kAvgPool1d,
  kAvgPool2d,
  kFlatten,
  kRelu,
  kTanh,
  kSigmoid,
  kGelu,
  kSoftmax,
  kDropout,
  kBatchNorm,
  kLayerNorm,
  kEmbedding,
  /// Post-norm encoder block as torch.nn.TransformerEncoderLayer: multi-head
  /// self-attention, add & layernorm, MLP (dim -> mlp_dim -> dim, relu),
  /// add & layernorm.
  kTransformerEncoder,
  /// An ONNX operator that is counted but not understood; carries no
  /// parameters or FLOPs of its own.
  kOther,
};

/// "dense", "conv1d", ..., "transformer_encoder", "other".
[[nodiscard]] std::string_view to_string(LayerType type);
/// The inverse of to_string; nullopt for an unknown name.
[[nodiscard]] std::optional<LayerType> parse_layer_type(std::string_view name);
/// Every layer type name a model file accepts, for "did you mean".
[[nodiscard]] const std::vector<std::string_view>& layer_type_names();

/// A per-sample shape, without the batch dimension: [features] for dense,
/// [channels, length] for conv1d, [channels, height, width] for conv2d,
/// [sequence] of token ids into an embedding, [sequence, dim] after it.
using Shape = std::vector<std::int64_t>;

/// "[1, 28, 28]".
[[nodiscard]] std::string to_string(const Shape& shape);

/// One layer as written. Fields not used by a type stay at their defaults.
struct Layer {
  LayerType type = LayerType::kDense;
  std::string name;  ///< from the file, else "<type>_<index>"
  Pos pos;           ///< of the layer's entry in the file
  /// dense: output features; conv: filters; embedding: dim.
  std::int64_t units = 0;
  /// conv and pooling: per spatial dimension (1 for *1d, 2 for *2d).
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> stride;   ///< default 1 (conv), kernel (pool)
  std::vector<std::int64_t> padding;  ///< default 0
  bool bias = true;                   ///< dense and conv
  /// conv: channel groups (1 = dense; = input channels: depthwise). Both
  /// the input channels and the filters must be multiples of it.
  std::int64_t groups = 1;
  double rate = 0.0;         ///< dropout probability
  std::int64_t vocab = 0;    ///< embedding: number of tokens
  std::int64_t heads = 0;    ///< transformer_encoder
  std::int64_t mlp_dim = 0;  ///< transformer_encoder
  std::string op;            ///< kOther: the ONNX op type
};

/// What infer_shapes() derives for one layer, per sample. FLOPs count a
/// multiply-add as two; elementwise operations count one per element.
struct LayerStats {
  Shape input;
  Shape output;
  std::int64_t params = 0;        ///< trainable parameters
  double forward_flops = 0.0;     ///< one sample's forward pass
  double weight_bytes = 0.0;      ///< params as float32
  double activation_bytes = 0.0;  ///< the output as float32, one sample
};

/// An ONNX operator the importer could not map, and how often it occurs.
struct UnsupportedOp {
  std::string op;
  int count = 0;
};

/// A model: its input, layers and, after infer_shapes(), their stats.
struct Model {
  std::string name;    ///< from the file, the shorthand, or the file stem
  std::string origin;  ///< the file or shorthand, for messages
  Shape input;
  std::vector<Layer> layers;
  std::vector<LayerStats> stats;  ///< one per layer, by infer_shapes()
  std::vector<UnsupportedOp> unsupported;

  [[nodiscard]] std::int64_t parameters() const;
  /// One sample's forward pass.
  [[nodiscard]] double forward_flops() const;
  /// One sample's training step: forward plus backward, the backward pass
  /// counted as twice the forward (gradients of inputs and of weights).
  [[nodiscard]] double training_flops() const;
  /// Activation memory of a forward pass for `batch` samples, the input
  /// included, float32.
  [[nodiscard]] double activation_bytes(std::int64_t batch) const;
  /// The last layer's output shape (the input when there are no layers).
  [[nodiscard]] const Shape& output() const;
};

/// The largest model file parse_model() and load_model() take.
inline constexpr std::size_t kMaxModelBytes = std::size_t{1} << 20;
/// The most layers of a model file or shorthand.
inline constexpr std::size_t kMaxLayers = 10'000;
/// The most dimensions of a shape.
inline constexpr std::size_t kMaxRank = 8;
/// The largest parameter or element count a model may have: counts stay
/// exact as doubles (2^53).
inline constexpr std::int64_t kMaxCount = std::int64_t{1} << 53;

/// Infers every layer's input and output shapes and fills `stats`. A shape
/// a layer cannot take is Errc::kInvalidArgument naming the model's origin,
/// the layer (name, type, file position) and both shapes.
[[nodiscard]] Status infer_shapes(Model& model);

/// Parses a model file (docs/model-files.md) and infers its shapes. YAML; JSON
/// is accepted as YAML. Errors read "origin:line:col: what"; an unknown
/// layer type suggests the nearest name. Never throws.
[[nodiscard]] Result<Model> parse_model(std::string_view text,
                                        std::string_view origin);

/// True when `text` names a shorthand family ("mlp:", "cnn:").
[[nodiscard]] bool is_shorthand(std::string_view text);

/// Builds a model from a shorthand and infers its shapes:
///   mlp:depth=D,width=W,inputs=N[,outputs=1][,activation=relu]
///     N inputs, D dense layers of W units each followed by the activation,
///     then a dense layer of `outputs` units;
///   cnn:depth=D,filters=F,inputs=N[,kernel=3][,outputs=1]
///     a [1, N] sequence, D conv1d layers of F filters (kernel K, padding
///     K/2, relu), flatten, a dense layer of `outputs` units.
[[nodiscard]] Result<Model> parse_shorthand(std::string_view text);

/// A shorthand, a .onnx file, or a YAML/JSON model file: reads the file
/// and parses it. A missing file is Errc::kNotFound naming it.
[[nodiscard]] Result<Model> load_model(std::string_view path_or_shorthand);

/// A stable hex digest of what determines the model's cost (input shape,
/// layer types and sizes; not names or file positions): calibrations are
/// matched to models by it.
[[nodiscard]] std::string fingerprint(const Model& model);

}  // namespace mlcarbon::models

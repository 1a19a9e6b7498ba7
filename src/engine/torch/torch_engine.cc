// SPDX-License-Identifier: Apache-2.0
// The LibTorch plugin: the only translation unit that includes
// <torch/torch.h> (25 s and 1.2 GB to parse), loaded with dlopen by
// load_engine(). Nothing here throws across the boundary.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <dlfcn.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include <ATen/CPUGeneratorImpl.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "mlcarbon/engine/engine.h"
#include "mlcarbon/engine/idx.h"
#include "mlcarbon/engine/weights.h"
#include "mlcarbon/models/model.h"

namespace mlcarbon::engine {

namespace {

using models::Layer;
using models::LayerType;
using models::Shape;

/// A torch call that threw, as an Error (c10::Error without its C++
/// backtrace, which says nothing to a user).
Error torch_error(const std::exception& e, std::string_view what) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10 != nullptr ? c10->what_without_backtrace() : e.what();
  return Error(Errc::kBackend, fmt::format("{}: {}", what, text));
}

/// OpenBLAS's own entry points, looked up in the BLAS that LibTorch
/// loaded (libblas.so.3 is OpenBLAS when libopenblas0-pthread is installed).
void* blas_symbol(const char* name) {
  void* blas = dlopen("libblas.so.3", RTLD_NOW | RTLD_NOLOAD);
  return blas == nullptr ? nullptr : dlsym(blas, name);
}

std::string blas_description() {
  using ConfigFn = char* (*)();
  auto config = reinterpret_cast<ConfigFn>(blas_symbol("openblas_get_config"));
  if (config == nullptr)
    return "reference BLAS (10x slower: install libopenblas0-pthread)";
  return config();
}

void set_blas_threads(int threads) {
  using SetFn = void (*)(int);
  if (auto set =
          reinterpret_cast<SetFn>(blas_symbol("openblas_set_num_threads")))
    set(threads);
}

std::vector<std::int64_t> with_batch(std::int64_t n, const Shape& shape) {
  std::vector<std::int64_t> out{n};
  out.insert(out.end(), shape.begin(), shape.end());
  return out;
}

std::int64_t elements(const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape)
    n *= d;
  return n;
}

std::string layer_where(const models::Model& model, const Layer& layer) {
  std::string where = model.origin.empty() ? model.name : model.origin;
  if (layer.pos.line > 0)
    where += fmt::format(":{}:{}", layer.pos.line, layer.pos.column);
  return fmt::format("{}: layer '{}' ({})", where, layer.name,
                     models::to_string(layer.type));
}

/// A per-dimension option as D values: empty gives `fallback`, one value is
/// repeated.
template <std::size_t D>
Result<torch::ExpandingArray<D>> spatial(
    const std::vector<std::int64_t>& v,
    const torch::ExpandingArray<D>& fallback, std::string_view what,
    const std::string& where) {
  if (v.empty())
    return fallback;
  if (v.size() == 1)
    return torch::ExpandingArray<D>(v[0]);
  if (v.size() == D)
    return torch::ExpandingArray<D>(at::IntArrayRef(v));
  return make_error(Errc::kInvalidArgument, "{}: {} has {} values, expected {}",
                    where, what, v.size(), D);
}

/// Flushes denormals to zero on this thread for the guard's life (x86:
/// MXCSR's FTZ and DAZ bits, then the caller's state back).
class DenormalGuard {
 public:
  explicit DenormalGuard(bool flush) {
#if defined(__x86_64__)
    saved_ = _mm_getcsr();
    if (flush)
      _mm_setcsr(saved_ | kFtzDaz);
#else
    (void)flush;
#endif
  }
  DenormalGuard(const DenormalGuard&) = delete;
  DenormalGuard& operator=(const DenormalGuard&) = delete;
  ~DenormalGuard() {
#if defined(__x86_64__)
    _mm_setcsr(saved_);
#endif
  }

 private:
#if defined(__x86_64__)
  static constexpr unsigned kFtzDaz = 0x8040;
  unsigned saved_ = 0;
#endif
};

/// torch::nn::TransformerEncoderLayer takes [sequence, batch, dim] in
/// LibTorch 1.13's C++ API (no batch_first); the engine's tensors are batch
/// first, as PyTorch's batch_first=True.
class BatchFirstEncoderImpl : public torch::nn::Module {
 public:
  explicit BatchFirstEncoderImpl(
      const torch::nn::TransformerEncoderLayerOptions& options)
      : layer_(register_module("layer",
                               torch::nn::TransformerEncoderLayer(options))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return layer_->forward(x.transpose(0, 1)).transpose(0, 1);
  }

 private:
  torch::nn::TransformerEncoderLayer layer_;
};
TORCH_MODULE(BatchFirstEncoder);

/// The model as a chain of steps. Not torch::nn::Sequential: its AnyModule
/// boxes every call, which costs narrow deep networks time that Python's
/// nn.Sequential does not spend.
class ChainImpl : public torch::nn::Module {
 public:
  using Step = std::function<torch::Tensor(const torch::Tensor&)>;

  template <typename Holder>
  void add_module(Holder holder) {
    auto module = register_module(std::to_string(index_++), holder);
    steps_.emplace_back(
        [module](const torch::Tensor& x) { return module->forward(x); });
  }
  void add_function(Step step) {
    ++index_;
    steps_.push_back(std::move(step));
  }
  /// A 1d convolution that runs, once use_channels_last() is called, as a
  /// 2d one on [batch, channels, 1, length] in channels-last layout: the
  /// same numbers, 10-15 % less time in oneDNN than its 1d path.
  /// With `relu`, the relu that follows is applied here, in place on the
  /// 2d result (its step is then a no-op): in place on the 1d view would
  /// make autograd replay it through strided copies (a step 1.7x slower).
  void add_conv1d(torch::nn::Conv1d conv, bool relu) {
    auto module = register_module(std::to_string(index_++), conv);
    conv1d_.push_back(module);
    const auto& o = module->options;
    const std::int64_t stride = (*o.stride())[0];
    // The models vocabulary gives padding as sizes, never "same"/"valid".
    const std::int64_t padding =
        (*c10::get<torch::ExpandingArray<1>>(o.padding()))[0];
    const std::int64_t groups = o.groups();
    steps_.emplace_back([module, stride, padding, groups, relu,
                         flag = &channels_last_](const torch::Tensor& x) {
      if (!*flag) {
        auto y = module->forward(x);
        return relu ? y.relu_() : y;
      }
      auto y = torch::conv2d(
          channels_last(x.unsqueeze(2)), module->weight.unsqueeze(2),
          module->bias, torch::IntArrayRef({1, stride}),
          torch::IntArrayRef({0, padding}), torch::IntArrayRef({1, 1}), groups);
      return (relu ? y.relu_() : y).squeeze(2);
    });
  }
  /// Keeps image batches channels-last (NHWC), as PyTorch's
  /// model.to(memory_format=torch.channels_last) with a channels-last
  /// input: oneDNN's convolutions and the pooling kernels are several
  /// times faster on it than on NCHW (docs/engine.md, "Memory format").
  void use_channels_last() {
    channels_last_ = true;
    for (auto& p : parameters())
      if (p.dim() == 4)
        p.set_data(channels_last(p.data()));
    // [out, in, kernel] stored kernel-major, so that the [out, in, 1,
    // kernel] view of it is channels-last.
    for (auto& conv : conv1d_)
      conv->weight.set_data(
          conv->weight.data().permute({0, 2, 1}).contiguous().permute(
              {0, 2, 1}));
  }
  /// A copy with channels-last strides. Not contiguous(): it keeps a
  /// one-channel tensor's NCHW strides, which the kernels then read as
  /// NCHW.
  static torch::Tensor channels_last(const torch::Tensor& t) {
    if (t.dim() != 4 ||
        t.suggest_memory_format() == torch::MemoryFormat::ChannelsLast)
      return t;
    return t.clone(torch::MemoryFormat::ChannelsLast);
  }
  bool is_channels_last() const { return channels_last_; }
  torch::Tensor forward(torch::Tensor x) {
    if (channels_last_)
      x = channels_last(x);
    for (const auto& step : steps_)
      x = step(x);
    return x;
  }

 private:
  std::vector<Step> steps_;
  std::vector<torch::nn::Conv1d> conv1d_;
  int index_ = 0;
  bool channels_last_ = false;
};
TORCH_MODULE(Chain);

/// Kernel, stride and padding of a convolution or pooling layer.
template <std::size_t D>
struct Window {
  torch::ExpandingArray<D> kernel;
  torch::ExpandingArray<D> stride;
  torch::ExpandingArray<D> padding;
};

/// A pooling layer's stride defaults to its kernel, a convolution's to 1.
template <std::size_t D>
Result<Window<D>> window(const Layer& layer, bool pooling,
                         const std::string& where) {
  MLCARBON_ASSIGN_OR_RETURN(auto kernel,
                            spatial<D>(layer.kernel, 1, "kernel", where));
  MLCARBON_ASSIGN_OR_RETURN(
      auto stride,
      spatial<D>(layer.stride, pooling ? kernel : torch::ExpandingArray<D>(1),
                 "stride", where));
  MLCARBON_ASSIGN_OR_RETURN(auto padding,
                            spatial<D>(layer.padding, 0, "padding", where));
  return Window<D>{kernel, stride, padding};
}

template <typename Conv, typename Options, std::size_t D>
Result<Conv> conv_module(const Layer& layer, const Shape& in,
                         const std::string& where) {
  MLCARBON_ASSIGN_OR_RETURN(auto w, window<D>(layer, false, where));
  return Conv(Options(in[0], layer.units, w.kernel)
                  .stride(w.stride)
                  .padding(w.padding)
                  .groups(layer.groups)
                  .bias(layer.bias));
}

template <typename Pool, typename Options, std::size_t D>
Status add_pool(Chain& chain, const Layer& layer, const std::string& where) {
  MLCARBON_ASSIGN_OR_RETURN(auto w, window<D>(layer, true, where));
  chain->add_module(
      Pool(Options(w.kernel).stride(w.stride).padding(w.padding)));
  return {};
}

/// True when the layer's output is a fresh tensor that its backward pass
/// does not need, so a following relu may overwrite it. Not conv1d: its
/// output may be a view, and it applies a following relu itself.
bool output_is_scratch(const Layer* layer) {
  return layer != nullptr && (layer->type == LayerType::kDense ||
                              layer->type == LayerType::kConv2d);
}

Status add_layer(Chain& chain, const models::Model& model, const Layer& layer,
                 const Layer* previous, const Layer* next, const Shape& in) {
  namespace nn = torch::nn;
  const std::string where = layer_where(model, layer);
  auto need_rank = [&](std::size_t rank) -> Status {
    if (in.size() != rank)
      return make_error(Errc::kInvalidArgument,
                        "{}: input {} has rank {}, expected {}", where,
                        models::to_string(in), in.size(), rank);
    return {};
  };
  switch (layer.type) {
    case LayerType::kDense:
      if (in.empty())
        return make_error(Errc::kInvalidArgument, "{}: empty input", where);
      chain->add_module(nn::Linear(
          nn::LinearOptions(in.back(), layer.units).bias(layer.bias)));
      return {};
    case LayerType::kConv1d: {
      MLCARBON_RETURN_IF_ERROR(need_rank(2));
      MLCARBON_ASSIGN_OR_RETURN(
          auto conv,
          (conv_module<nn::Conv1d, nn::Conv1dOptions, 1>(layer, in, where)));
      chain->add_conv1d(std::move(conv),
                        next != nullptr && next->type == LayerType::kRelu);
      return {};
    }
    case LayerType::kConv2d: {
      MLCARBON_RETURN_IF_ERROR(need_rank(3));
      MLCARBON_ASSIGN_OR_RETURN(
          auto conv,
          (conv_module<nn::Conv2d, nn::Conv2dOptions, 2>(layer, in, where)));
      chain->add_module(std::move(conv));
      return {};
    }
    case LayerType::kMaxPool1d:
      MLCARBON_RETURN_IF_ERROR(need_rank(2));
      return add_pool<nn::MaxPool1d, nn::MaxPool1dOptions, 1>(chain, layer,
                                                              where);
    case LayerType::kAvgPool1d:
      MLCARBON_RETURN_IF_ERROR(need_rank(2));
      return add_pool<nn::AvgPool1d, nn::AvgPool1dOptions, 1>(chain, layer,
                                                              where);
    case LayerType::kMaxPool2d:
      MLCARBON_RETURN_IF_ERROR(need_rank(3));
      return add_pool<nn::MaxPool2d, nn::MaxPool2dOptions, 2>(chain, layer,
                                                              where);
    case LayerType::kAvgPool2d:
      MLCARBON_RETURN_IF_ERROR(need_rank(3));
      return add_pool<nn::AvgPool2d, nn::AvgPool2dOptions, 2>(chain, layer,
                                                              where);
    case LayerType::kFlatten:
      chain->add_module(nn::Flatten());
      return {};
    // Activations call the same ATen functions as torch.nn's modules.
    case LayerType::kRelu:
      // In place after dense and conv layers (the values are the same):
      // one allocation less per layer and step. A 1d convolution has
      // applied it already.
      if (previous != nullptr && previous->type == LayerType::kConv1d)
        chain->add_function([](const torch::Tensor& x) { return x; });
      else if (output_is_scratch(previous))
        chain->add_function([](const torch::Tensor& x) { return x.relu_(); });
      else
        chain->add_function(
            [](const torch::Tensor& x) { return torch::relu(x); });
      return {};
    case LayerType::kTanh:
      chain->add_function(
          [](const torch::Tensor& x) { return torch::tanh(x); });
      return {};
    case LayerType::kSigmoid:
      chain->add_function(
          [](const torch::Tensor& x) { return torch::sigmoid(x); });
      return {};
    case LayerType::kGelu:
      chain->add_function(
          [](const torch::Tensor& x) { return torch::gelu(x); });
      return {};
    case LayerType::kSoftmax:
      chain->add_function(
          [](const torch::Tensor& x) { return torch::softmax(x, -1); });
      return {};
    case LayerType::kDropout:
      chain->add_module(nn::Dropout(nn::DropoutOptions(layer.rate)));
      return {};
    case LayerType::kBatchNorm:
      // Channels first: [features] and [channels, length] are 1d,
      // [channels, height, width] 2d, as torch.nn.BatchNorm1d/2d.
      if (in.size() == 1 || in.size() == 2) {
        chain->add_module(nn::BatchNorm1d(in[0]));
        return {};
      }
      if (in.size() == 3) {
        chain->add_module(nn::BatchNorm2d(in[0]));
        return {};
      }
      return make_error(Errc::kInvalidArgument,
                        "{}: input {} has rank {}, expected 1 to 3", where,
                        models::to_string(in), in.size());
    case LayerType::kLayerNorm:
      if (in.empty())
        return make_error(Errc::kInvalidArgument, "{}: empty input", where);
      chain->add_module(nn::LayerNorm(
          nn::LayerNormOptions(std::vector<std::int64_t>{in.back()})));
      return {};
    case LayerType::kEmbedding:
      MLCARBON_RETURN_IF_ERROR(need_rank(1));
      chain->add_module(
          nn::Embedding(nn::EmbeddingOptions(layer.vocab, layer.units)));
      return {};
    case LayerType::kTransformerEncoder:
      MLCARBON_RETURN_IF_ERROR(need_rank(2));
      chain->add_module(BatchFirstEncoder(
          nn::TransformerEncoderLayerOptions(in[1], layer.heads)
              .dim_feedforward(layer.mlp_dim)
              .dropout(layer.rate)));
      return {};
    case LayerType::kOther:
      return make_error(Errc::kInvalidArgument,
                        "{}: the engine cannot run ONNX operator '{}'", where,
                        layer.op);
  }
  return make_error(Errc::kInvalidArgument, "{}: unknown layer type", where);
}

bool has_conv(const models::Model& model) {
  return std::any_of(
      model.layers.begin(), model.layers.end(), [](const Layer& l) {
        return l.type == LayerType::kConv1d || l.type == LayerType::kConv2d;
      });
}

Result<Chain> build_chain(const models::Model& model) {
  Chain chain;
  for (std::size_t i = 0; i < model.layers.size(); ++i)
    MLCARBON_RETURN_IF_ERROR(add_layer(
        chain, model, model.layers[i], i == 0 ? nullptr : &model.layers[i - 1],
        i + 1 == model.layers.size() ? nullptr : &model.layers[i + 1],
        model.stats[i].input));
  return chain;
}

/// The samples and their targets, on the CPU.
struct Samples {
  torch::Tensor x;
  torch::Tensor y;
};

bool takes_tokens(const models::Model& model) {
  return !model.layers.empty() &&
         model.layers.front().type == LayerType::kEmbedding;
}

/// docs/engine.md, "Synthetic data", is the specification of this function:
/// PyTorch reproduces it from Python with the same seed.
Result<Samples> synthetic(const models::Model& model, const DataSpec& data) {
  torch::Generator gen = at::detail::createCPUGenerator(data.seed);
  Samples s;
  auto sizes = with_batch(data.samples, model.input);
  if (takes_tokens(model))
    s.x = torch::randint(model.layers.front().vocab, sizes, gen);
  else
    s.x = torch::randn(sizes, gen);
  auto features = s.x.flatten(1).to(torch::kFloat);
  const std::int64_t in = features.size(1);
  if (data.kind == DataSpec::Kind::kRegression) {
    const Shape& out_shape = model.output();
    auto map = torch::randn({in, elements(out_shape)}, gen);
    s.y = (features.matmul(map) / std::sqrt(static_cast<double>(in)))
              .reshape(with_batch(data.samples, out_shape));
  } else {
    auto map = torch::randn({in, data.classes}, gen);
    s.y = features.matmul(map).argmax(1);
  }
  return s;
}

/// The samples of an IDX data set to use: all, or those of the listed
/// classes relabelled by their place in the list; the first `samples`.
struct IdxPick {
  std::vector<std::int64_t> rows;
  std::vector<std::int64_t> labels;
};

Result<IdxPick> pick_idx(const IdxArray& labels, const DataSpec& data) {
  std::vector<int> relabel(256, -1);
  for (std::size_t k = 0; k < data.class_subset.size(); ++k)
    relabel[static_cast<std::size_t>(data.class_subset[k])] =
        static_cast<int>(k);
  const bool subset = !data.class_subset.empty();
  const auto n = static_cast<std::int64_t>(labels.data.size());
  const std::int64_t want = data.samples > 0 ? data.samples : n;
  IdxPick pick;
  for (std::int64_t i = 0;
       i < n && static_cast<std::int64_t>(pick.rows.size()) < want; ++i) {
    const int label = labels.data[static_cast<std::size_t>(i)];
    const int mapped =
        subset ? relabel[static_cast<std::size_t>(label)] : label;
    if (subset && mapped < 0)
      continue;
    if (mapped >= data.classes)
      return make_error(Errc::kInvalidArgument,
                        "{}: label {} of sample {} is not below the {} "
                        "classes",
                        data.labels_path, label, i, data.classes);
    pick.rows.push_back(i);
    pick.labels.push_back(mapped);
  }
  if (pick.rows.empty())
    return make_error(Errc::kInvalidArgument,
                      "{}: no sample of the classes [{}]", data.labels_path,
                      fmt::join(data.class_subset, ", "));
  return pick;
}

Result<Samples> idx_samples(const models::Model& model, const DataSpec& data) {
  MLCARBON_ASSIGN_OR_RETURN(auto images, read_idx(data.images_path));
  MLCARBON_ASSIGN_OR_RETURN(auto labels, read_idx(data.labels_path));
  const std::int64_t n = images.dims[0];
  if (labels.dims.size() != 1 || labels.dims[0] != n)
    return make_error(Errc::kInvalidArgument,
                      "{}: {} labels for the {} images of {}", data.labels_path,
                      labels.dims[0], n, data.images_path);
  const std::int64_t per_image =
      n == 0 ? 0 : static_cast<std::int64_t>(images.data.size()) / n;
  if (per_image != elements(model.input))
    return make_error(Errc::kInvalidArgument,
                      "{}: images of {} values do not fit the input {} of "
                      "model {} ({} values)",
                      data.images_path, per_image,
                      models::to_string(model.input), model.name,
                      elements(model.input));
  MLCARBON_ASSIGN_OR_RETURN(IdxPick pick, pick_idx(labels, data));
  const auto take = static_cast<std::int64_t>(pick.rows.size());
  // from_blob borrows the bytes; index_select and .to() copy them into
  // tensors they own.
  auto all =
      torch::from_blob(images.data.data(), {n, per_image}, torch::kUInt8);
  auto rows = torch::from_blob(pick.rows.data(), {take}, torch::kLong);
  Samples s;
  s.x = all.index_select(0, rows)
            .to(torch::kFloat)
            .div_(255.0)
            .reshape(with_batch(take, model.input));
  s.y = torch::from_blob(pick.labels.data(), {take}, torch::kLong).clone();
  return s;
}

/// The data set, checked against the model, its targets as `loss` needs
/// them, on `device`.
Result<Samples> load_samples(const models::Model& model, const DataSpec& data,
                             Loss loss, torch::Device device) {
  Samples samples;
  if (data.kind == DataSpec::Kind::kIdx) {
    MLCARBON_ASSIGN_OR_RETURN(samples, idx_samples(model, data));
  } else {
    MLCARBON_ASSIGN_OR_RETURN(samples, synthetic(model, data));
  }
  if (data.kind != DataSpec::Kind::kRegression && loss == Loss::kMse)
    samples.y = torch::one_hot(samples.y, data.classes).to(torch::kFloat);
  samples.x = samples.x.to(device);
  samples.y = samples.y.to(device);
  return samples;
}

std::string shape_text(at::IntArrayRef shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

/// The checks on a data set that need the model: class labels where the
/// loss or the model needs them, a class subset only of IDX data.
Status check_data(const models::Model& model, const DataSpec& data, Loss loss) {
  if (data.kind != DataSpec::Kind::kIdx && data.samples < 1)
    return make_error(Errc::kInvalidArgument, "samples {} must be >= 1",
                      data.samples);
  const bool labelled = data.kind != DataSpec::Kind::kRegression;
  if (loss == Loss::kCrossEntropy && !labelled)
    return make_error(Errc::kInvalidArgument,
                      "cross-entropy needs class labels: use classification "
                      "or IDX data, or the MSE loss");
  if (!data.class_subset.empty()) {
    if (data.kind != DataSpec::Kind::kIdx)
      return make_error(Errc::kInvalidArgument,
                        "a class subset needs IDX data (labels read from a "
                        "file)");
    std::vector<bool> seen(256, false);
    for (int c : data.class_subset) {
      if (c < 0 || c > 255)
        return make_error(Errc::kInvalidArgument,
                          "class {} of the subset is not an IDX label "
                          "(0 to 255)",
                          c);
      if (seen[static_cast<std::size_t>(c)])
        return make_error(Errc::kInvalidArgument,
                          "class {} appears twice in the subset [{}]", c,
                          fmt::join(data.class_subset, ", "));
      seen[static_cast<std::size_t>(c)] = true;
    }
    if (static_cast<std::size_t>(data.classes) != data.class_subset.size())
      return make_error(Errc::kInvalidArgument,
                        "the subset [{}] has {} classes, but classes is {}",
                        fmt::join(data.class_subset, ", "),
                        data.class_subset.size(), data.classes);
  }
  if (labelled) {
    if (data.classes < 2)
      return make_error(Errc::kInvalidArgument, "classes {} must be >= 2",
                        data.classes);
    if (model.output() != Shape{data.classes})
      return make_error(Errc::kInvalidArgument,
                        "{}: the model's output {} does not match {} classes "
                        "(expected [{}])",
                        model.origin.empty() ? model.name : model.origin,
                        models::to_string(model.output()), data.classes,
                        data.classes);
  }
  return {};
}

Status check_options(const models::Model& model, const DataSpec& data,
                     const TrainOptions& train, const Settings& settings) {
  if (train.batch < 1)
    return make_error(Errc::kInvalidArgument, "batch size {} must be >= 1",
                      train.batch);
  if (settings.threads < 1)
    return make_error(Errc::kInvalidArgument, "threads {} must be >= 1",
                      settings.threads);
  if (!(train.learning_rate > 0.0))
    return make_error(Errc::kInvalidArgument, "learning rate {} must be > 0",
                      train.learning_rate);
  return check_data(model, data, train.loss);
}

Status check_distill(const DistillOptions& o, const models::Model& student) {
  MLCARBON_RETURN_IF_ERROR(validate(o));
  if (o.loss == DistillLoss::kKlDivergence && student.output().size() != 1)
    return make_error(Errc::kInvalidArgument,
                      "{}: distillation with KL divergence needs an output "
                      "of [classes], not {}; use the MSE on logits",
                      student.name, models::to_string(student.output()));
  return {};
}

class TorchSession final : public Session {
 public:
  TorchSession(models::Model model, Chain chain,
               std::unique_ptr<torch::optim::Optimizer> opt, Samples samples,
               Loss loss, std::int64_t batch, torch::Device device,
               bool flush_denormals)
      : model_(std::move(model)),
        chain_(std::move(chain)),
        optimizer_(std::move(opt)),
        samples_(std::move(samples)),
        loss_(loss),
        batch_(batch),
        device_(device),
        flush_denormals_(flush_denormals) {
    parameters_list_ = chain_->parameters();
    for (const auto& p : parameters_list_)
      parameters_ += p.numel();
    n_ = samples_.x.size(0);
  }

  Result<LoopResult> infer(std::int64_t batches,
                           const ProgressFn& progress) override {
    try {
      // Stronger than NoGradGuard (PyTorch's no_grad): no version counters
      // or views tracked either.
      c10::InferenceMode inference;
      chain_->eval();
      return loop(
          batches, progress,
          [&](const torch::Tensor& x, const torch::Tensor&, std::int64_t,
              std::int64_t) { (void)chain_->forward(x); });
    } catch (const std::exception& e) {
      return tl::unexpected(torch_error(e, "inference"));
    }
  }

  Result<LoopResult> train(std::int64_t batches,
                           const ProgressFn& progress) override {
    try {
      chain_->train();
      std::vector<torch::Tensor> step_losses;
      step_losses.reserve(static_cast<std::size_t>(
          std::max<std::int64_t>(0, std::min<std::int64_t>(batches, 1 << 20))));
      auto result = loop(batches, progress,
                         [&](const torch::Tensor& x, const torch::Tensor& y,
                             std::int64_t first, std::int64_t len) {
                           clear_gradients();
                           auto out = chain_->forward(x);
                           auto loss = teacher_logits_.defined()
                                           ? distill_loss(out, y, first, len)
                                           : base_loss(out, y);
                           loss.backward();
                           optimizer_->step();
                           step_losses.push_back(loss.detach());
                         });
      // Read back once at the end: a per-step .item() would make a GPU
      // wait for every step.
      double sum = 0.0;
      if (!step_losses.empty()) {
        auto all = torch::stack(step_losses).to(torch::kCPU, torch::kDouble);
        auto acc = all.accessor<double, 1>();
        for (std::int64_t i = 0; i < acc.size(0); ++i) {
          losses_.push_back(acc[i]);
          sum += acc[i];
        }
        result.mean_loss = sum / static_cast<double>(acc.size(0));
      }
      return result;
    } catch (const std::exception& e) {
      return tl::unexpected(torch_error(e, "training"));
    }
  }

  Result<Evaluation> evaluate(const DataSpec& data,
                              const ProgressFn& progress) override {
    MLCARBON_RETURN_IF_ERROR(check_data(model_, data, loss_));
    try {
      MLCARBON_ASSIGN_OR_RETURN(Samples s,
                                load_samples(model_, data, loss_, device_));
      if (chain_->is_channels_last())
        s.x = ChainImpl::channels_last(s.x);
      const bool labelled = data.kind != DataSpec::Kind::kRegression;
      c10::InferenceMode inference;
      chain_->eval();
      DenormalGuard denormals(flush_denormals_);
      const std::int64_t n = s.x.size(0);
      // Summed on the device, read once at the end.
      auto loss_sum = torch::zeros(
          {}, torch::TensorOptions().dtype(torch::kDouble).device(device_));
      auto correct = torch::zeros(
          {}, torch::TensorOptions().dtype(torch::kLong).device(device_));
      const auto start = std::chrono::steady_clock::now();
      for (std::int64_t first = 0; first < n; first += batch_) {
        const std::int64_t len = std::min(batch_, n - first);
        auto x = s.x.narrow(0, first, len);
        auto y = s.y.narrow(0, first, len);
        auto out = chain_->forward(x);
        loss_sum +=
            base_loss(out, y).to(torch::kDouble) * static_cast<double>(len);
        if (labelled) {
          auto label = y.dim() == 2 ? y.argmax(1) : y;
          correct += out.argmax(1).eq(label).sum();
        }
        if (progress && !progress(first + len, n))
          return make_error(Errc::kCancelled, "the evaluation was cancelled");
      }
      Evaluation e;
      e.samples = n;
      e.loss = loss_sum.item<double>() / static_cast<double>(n);
      if (labelled)
        e.accuracy = static_cast<double>(correct.item<std::int64_t>()) /
                     static_cast<double>(n);
      e.seconds = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - start)
                      .count();
      return e;
    } catch (const std::exception& e) {
      return tl::unexpected(torch_error(e, "evaluation"));
    }
  }

  [[nodiscard]] Result<Weights> weights() const override {
    try {
      Weights w;
      w.model = model_.name;
      w.fingerprint = models::fingerprint(model_);
      for (const auto& [name, tensor, is_param] : named_tensors()) {
        (void)is_param;
        auto c = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
        const float* data = c.data_ptr<float>();
        w.tensors.push_back(Tensor{
            .name = name,
            .shape =
                std::vector<std::int64_t>(c.sizes().begin(), c.sizes().end()),
            .values = std::vector<float>(data, data + c.numel())});
      }
      return w;
    } catch (const std::exception& e) {
      return tl::unexpected(torch_error(e, "exporting the weights"));
    }
  }

  Result<WeightsLoaded> load_weights(
      const Weights& weights, const LoadWeightsOptions& options) override {
    MLCARBON_ASSIGN_OR_RETURN(std::vector<bool> head,
                              head_layers(options.new_head_layers));
    auto in_head = [&](std::string_view name) {
      const std::int64_t l = layer_of(name);
      return l >= 0 && static_cast<std::size_t>(l) < head.size() &&
             head[static_cast<std::size_t>(l)];
    };
    try {
      auto mine = named_tensors();
      // Everything is checked before anything is copied, so that a refused
      // load leaves the session as it was.
      for (const Tensor& t : weights.tensors) {
        if (in_head(t.name))
          continue;
        auto it = std::find_if(mine.begin(), mine.end(), [&](const auto& m) {
          return std::get<0>(m) == t.name;
        });
        if (it == mine.end())
          return make_error(Errc::kInvalidArgument,
                            "the weights of '{}' have a tensor '{}' that "
                            "model '{}' lacks",
                            weights.model, t.name, model_.name);
      }
      struct Copy {
        torch::Tensor to;
        const Tensor* from;
        bool parameter;
      };
      std::vector<Copy> copies;
      for (const auto& [name, tensor, is_param] : mine) {
        if (in_head(name))
          continue;
        const Tensor* t = weights.find(name);
        if (t == nullptr)
          return make_error(Errc::kInvalidArgument,
                            "the weights of '{}' lack the tensor '{}' of "
                            "model '{}'",
                            weights.model, name, model_.name);
        if (!tensor.sizes().equals(t->shape) ||
            static_cast<std::int64_t>(t->values.size()) != tensor.numel())
          return make_error(Errc::kInvalidArgument,
                            "tensor '{}' is {} in the weights of '{}' but {} "
                            "in model '{}'",
                            name, shape_text(t->shape), weights.model,
                            shape_text(tensor.sizes()), model_.name);
        copies.push_back({tensor, t, is_param});
      }
      WeightsLoaded loaded;
      torch::NoGradGuard no_grad;
      for (Copy& c : copies) {
        // from_blob wants a mutable pointer; copy_ only reads through it.
        auto source =
            torch::from_blob(const_cast<float*>(c.from->values.data()),
                             c.to.sizes(), torch::kFloat);
        c.to.copy_(source);
        ++loaded.tensors;
        if (c.parameter) {
          loaded.parameters_loaded += c.to.numel();
          if (options.freeze)
            c.to.requires_grad_(false);
        }
      }
      loaded.trainable = trainable_parameters();
      return loaded;
    } catch (const std::exception& e) {
      return tl::unexpected(torch_error(e, "loading weights"));
    }
  }

  Result<LoopResult> distill_from(Session& teacher_session,
                                  const DistillOptions& options) override {
    auto* teacher = dynamic_cast<TorchSession*>(&teacher_session);
    if (teacher == nullptr || teacher == this)
      return make_error(Errc::kInvalidArgument,
                        "the teacher must be another session of this engine");
    MLCARBON_RETURN_IF_ERROR(check_distill(options, model_));
    if (teacher->model_.input != model_.input ||
        teacher->model_.output() != model_.output())
      return make_error(
          Errc::kInvalidArgument,
          "teacher '{}' maps {} to {}, student '{}' maps {} to "
          "{}: they must be the same",
          teacher->model_.name, models::to_string(teacher->model_.input),
          models::to_string(teacher->model_.output()), model_.name,
          models::to_string(model_.input), models::to_string(model_.output()));
    if (teacher->device_ != device_)
      return make_error(Errc::kInvalidArgument,
                        "the teacher and the student must be on one device");
    try {
      // Not InferenceMode: its tensors could not be saved for the
      // student's backward pass.
      torch::NoGradGuard no_grad;
      teacher->chain_->eval();
      DenormalGuard denormals(flush_denormals_);
      LoopResult result;
      result.mean_loss = std::numeric_limits<double>::quiet_NaN();
      const auto start = std::chrono::steady_clock::now();
      std::vector<torch::Tensor> parts;
      for (std::int64_t first = 0; first < n_; first += batch_) {
        const std::int64_t len = std::min(batch_, n_ - first);
        parts.push_back(
            teacher->chain_->forward(samples_.x.narrow(0, first, len)));
        result.samples += len;
        ++result.batches;
      }
      teacher_logits_ = torch::cat(parts).detach();
      if (device_.is_cuda())
        torch::cuda::synchronize();
      result.seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      distill_ = options;
      return result;
    } catch (const std::exception& e) {
      return tl::unexpected(torch_error(e, "the teacher's outputs"));
    }
  }

  [[nodiscard]] const std::vector<double>& losses() const override {
    return losses_;
  }
  [[nodiscard]] std::int64_t parameters() const override { return parameters_; }
  [[nodiscard]] std::int64_t trainable_parameters() const override {
    std::int64_t n = 0;
    for (const auto& p : parameters_list_)
      if (p.requires_grad())
        n += p.numel();
    return n;
  }
  [[nodiscard]] std::int64_t batches_per_epoch() const override {
    return (n_ + batch_ - 1) / batch_;
  }

 private:
  using NamedTensor = std::tuple<std::string, torch::Tensor, bool>;

  /// Parameters, then buffers (batchnorm's running statistics), by
  /// torch's names.
  [[nodiscard]] std::vector<NamedTensor> named_tensors() const {
    std::vector<NamedTensor> out;
    for (const auto& item : chain_->named_parameters(true))
      out.emplace_back(item.key(), item.value(), true);
    for (const auto& item : chain_->named_buffers(true))
      out.emplace_back(item.key(), item.value(), false);
    return out;
  }

  /// Which layers form the last `count` layers with parameters.
  [[nodiscard]] Result<std::vector<bool>> head_layers(int count) const {
    std::vector<bool> head(model_.layers.size(), false);
    int left = count;
    for (std::size_t i = model_.layers.size(); i-- > 0 && left > 0;) {
      if (model_.stats[i].params > 0) {
        head[i] = true;
        --left;
      }
    }
    if (count < 0 || left > 0)
      return make_error(Errc::kInvalidArgument,
                        "a new head of {} layers: model '{}' has {} layers "
                        "with parameters",
                        count, model_.name, count - left);
    return head;
  }

  [[nodiscard]] torch::Tensor base_loss(const torch::Tensor& out,
                                        const torch::Tensor& y) const {
    return loss_ == Loss::kMse ? torch::mse_loss(out, y)
                               : torch::cross_entropy_loss(out, y);
  }

  /// docs/engine.md, "Distillation".
  [[nodiscard]] torch::Tensor distill_loss(const torch::Tensor& out,
                                           const torch::Tensor& y,
                                           std::int64_t first,
                                           std::int64_t len) const {
    auto target = teacher_logits_.narrow(0, first, len);
    torch::Tensor soft;
    if (distill_.loss == DistillLoss::kMseLogits) {
      soft = torch::mse_loss(out, target);
    } else {
      const double t = distill_.temperature;
      auto log_student = torch::log_softmax(out / t, 1);
      auto log_teacher = torch::log_softmax(target / t, 1);
      soft = (log_teacher.exp() * (log_teacher - log_student)).sum(1).mean() *
             (t * t);
    }
    if (distill_.alpha >= 1.0)
      return soft;
    return soft * distill_.alpha + base_loss(out, y) * (1.0 - distill_.alpha);
  }

  /// Runs `step` on `batches` batches in order, cycling through the data;
  /// the last batch of an epoch holds the remainder, as a Python loop over
  /// x[i:i + batch] would.
  template <typename StepFn>
  LoopResult loop(std::int64_t batches, const ProgressFn& progress,
                  StepFn&& step) {
    LoopResult result;
    result.mean_loss = std::numeric_limits<double>::quiet_NaN();
    const std::int64_t per_epoch = batches_per_epoch();
    DenormalGuard denormals(flush_denormals_);
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t b = 0; b < batches; ++b) {
      const std::int64_t first = (b % per_epoch) * batch_;
      const std::int64_t len = std::min(batch_, n_ - first);
      step(samples_.x.narrow(0, first, len), samples_.y.narrow(0, first, len),
           first, len);
      result.samples += len;
      ++result.batches;
      if (progress && !progress(result.samples, batches * batch_)) {
        result.cancelled = true;
        break;
      }
    }
    if (device_.is_cuda())
      torch::cuda::synchronize();
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    return result;
  }

  /// Drops the gradients instead of zeroing them (PyTorch's
  /// zero_grad(set_to_none=True)): the next backward pass then writes them
  /// instead of adding to zeros, which gives the same values.
  void clear_gradients() {
    for (auto& p : parameters_list_)
      p.mutable_grad().reset();
  }

  models::Model model_;
  Chain chain_;
  std::vector<torch::Tensor> parameters_list_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  Samples samples_;
  Loss loss_;
  std::int64_t batch_;
  torch::Device device_;
  bool flush_denormals_;
  std::int64_t n_ = 0;
  std::int64_t parameters_ = 0;
  std::vector<double> losses_;
  /// The teacher's outputs on samples_.x, once distill_from() ran.
  torch::Tensor teacher_logits_;
  DistillOptions distill_;
};

class TorchEngine final : public Engine {
 public:
  [[nodiscard]] std::string description() const override {
    int threads = torch::get_num_threads();
    return fmt::format("LibTorch {} ({}), {}, {} thread{}", TORCH_VERSION,
                       cuda_available() ? "cpu, cuda" : "cpu",
                       blas_description(), threads, threads == 1 ? "" : "s");
  }

  [[nodiscard]] bool cuda_available() const override {
    try {
      return torch::cuda::is_available();
    } catch (const std::exception&) {
      return false;
    }
  }

  Result<std::unique_ptr<Session>> open(const models::Model& model_in,
                                        const DataSpec& data,
                                        const TrainOptions& train,
                                        const Settings& settings) override {
    models::Model model = model_in;
    if (model.stats.size() != model.layers.size())
      MLCARBON_RETURN_IF_ERROR(models::infer_shapes(model));
    MLCARBON_RETURN_IF_ERROR(check_options(model, data, train, settings));
    for (const auto& layer : model.layers)
      if (layer.type == LayerType::kOther)
        return make_error(Errc::kInvalidArgument,
                          "{}: the engine cannot run ONNX operator '{}'",
                          layer_where(model, layer), layer.op);
    try {
      torch::Device device(torch::kCPU);
      if (settings.device == Device::kCuda) {
        if (!torch::cuda::is_available())
          return tl::unexpected(
              Error(Errc::kUnavailable,
                    "CUDA is not available to this LibTorch (no GPU, no "
                    "driver, or a CPU-only build such as Debian's)")
                  .with_remedy("use --device cpu, or build the engine "
                               "against a CUDA LibTorch (docs/engine.md)"));
        device = torch::Device(torch::kCUDA);
      }
      // Torch's own count defaults to what its CPU detection sees, one on
      // some VMs; OpenBLAS keeps what it read when it loaded.
      torch::set_num_threads(settings.threads);
      set_blas_threads(settings.threads);

      MLCARBON_ASSIGN_OR_RETURN(Samples samples,
                                load_samples(model, data, train.loss, device));

      // Seeded right before construction, as torch.manual_seed(seed) before
      // building the same modules in the same order gives PyTorch's weights.
      torch::manual_seed(settings.seed);
      MLCARBON_ASSIGN_OR_RETURN(Chain chain, build_chain(model));
      chain->to(device);
      if (device.is_cpu() && has_conv(model)) {
        chain->use_channels_last();
        // Once, so that each batch is a channels-last slice.
        samples.x = ChainImpl::channels_last(samples.x);
      }

      std::unique_ptr<torch::optim::Optimizer> optimizer;
      if (train.optimizer == Optimizer::kSgd)
        optimizer = std::make_unique<torch::optim::SGD>(
            chain->parameters(), torch::optim::SGDOptions(train.learning_rate));
      else
        optimizer = std::make_unique<torch::optim::Adam>(
            chain->parameters(),
            torch::optim::AdamOptions(train.learning_rate));
      return std::make_unique<TorchSession>(
          model, std::move(chain), std::move(optimizer), std::move(samples),
          train.loss, train.batch, device, settings.flush_denormals);
    } catch (const std::exception& e) {
      return tl::unexpected(torch_error(
          e, fmt::format("building {}",
                         model.origin.empty() ? model.name : model.origin)));
    }
  }
};

}  // namespace

}  // namespace mlcarbon::engine

extern "C" __attribute__((visibility("default"))) mlcarbon::engine::Engine*
mlcarbon_engine_create(int abi_version) {
  if (abi_version != mlcarbon::engine::kEngineAbiVersion)
    return nullptr;
  static mlcarbon::engine::TorchEngine engine;
  return &engine;
}

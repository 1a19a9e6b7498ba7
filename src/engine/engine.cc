// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/engine/engine.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include <dlfcn.h>
#include <malloc.h>

#include "mlcarbon/core/plugin.h"
#include "mlcarbon/core/text.h"

namespace mlcarbon::engine {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kRemedy =
    "install libtorch-dev (scripts/install-deps.sh) and rebuild";
constexpr std::string_view kPluginFile = "libmlcarbon_engine.so";

/// The default places: the build tree's plugin when the program runs from
/// that build tree, then the install's (bin/../lib/mlcarbon).
std::vector<fs::path> default_candidates() {
#ifdef MLCARBON_ENGINE_BUILD_DIR
  return plugin_candidates(kPluginFile, MLCARBON_ENGINE_BUILD_DIR,
                           MLCARBON_ENGINE_BUILD_PLUGIN);
#else
  return plugin_candidates(kPluginFile, "", "");
#endif
}

/// Settings that must be in place before LibTorch and its BLAS load.
void apply_process_settings(int threads) {
  // OpenBLAS reads its thread count once, when it loads; two threads make
  // batch-32 training 2.7x slower than one on a 2-core VM. The user's
  // explicit setting wins.
  std::string n = std::to_string(threads < 1 ? 1 : threads);
  setenv("OPENBLAS_NUM_THREADS", n.c_str(), 0);
  setenv("OMP_NUM_THREADS", n.c_str(), 0);
  // Convolution backward passes allocate buffers over glibc's 128 KiB mmap
  // threshold; one mmap/munmap each makes page faults dominate (4.2 s
  // against 0.83 s for a conv net). Keep them on the heap instead.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

using CreateFn = Engine* (*)(int);

Result<Engine*> open_engine(const fs::path& path) {
  auto opened = open_plugin("the LibTorch engine", {path});
  if (!opened)
    return tl::unexpected(
        std::move(opened).error().with_remedy(std::string(kRemedy)));
  void* handle = *opened;
  void* symbol = dlsym(handle, "mlcarbon_engine_create");
  if (symbol == nullptr) {
    dlclose(handle);
    return make_error(Errc::kUnavailable,
                      "{} is not an mlcarbon engine (no "
                      "mlcarbon_engine_create)",
                      path.string());
  }
  // POSIX guarantees that a dlsym result converts to a function pointer.
  auto create = reinterpret_cast<CreateFn>(symbol);
  Engine* engine = create(kEngineAbiVersion);
  if (engine == nullptr) {
    // LibTorch cannot be unloaded safely, so the handle stays open.
    return tl::unexpected(
        Error(Errc::kUnavailable,
              fmt::format("the LibTorch engine {} was built for another "
                          "version of mlcarbon (engine ABI {} expected)",
                          path.string(), kEngineAbiVersion))
            .with_remedy("rebuild mlcarbon and its engine together"));
  }
  return engine;
}

}  // namespace

std::string_view to_string(Device device) {
  switch (device) {
    case Device::kCpu:
      return "cpu";
    case Device::kCuda:
      return "cuda";
  }
  return "?";
}

Result<Device> parse_device(std::string_view text) {
  std::string lower = to_lower(trim(text));
  if (lower == "cpu")
    return Device::kCpu;
  if (lower == "cuda" || lower == "gpu")
    return Device::kCuda;
  return make_error(Errc::kInvalidArgument,
                    "unknown device '{}': expected cpu or cuda", text);
}

namespace {

Error lacks(std::string_view what) {
  return Error(Errc::kUnavailable,
               fmt::format("this engine session cannot {}", what))
      .with_remedy("use the LibTorch engine (load_engine)");
}

}  // namespace

Status validate(const DistillOptions& o) {
  if (!(std::isfinite(o.temperature) && o.temperature > 0.0))
    return make_error(Errc::kInvalidArgument,
                      "the distillation temperature must be finite and > 0, "
                      "got {}",
                      o.temperature);
  if (!(o.alpha >= 0.0 && o.alpha <= 1.0))
    return make_error(
        Errc::kInvalidArgument,
        "the distillation weight alpha must lie in [0, 1], got {}", o.alpha);
  return {};
}

Result<Evaluation> Session::evaluate(const DataSpec& /*data*/,
                                     const ProgressFn& /*progress*/) {
  return tl::unexpected(lacks("evaluate a data set"));
}

Result<Weights> Session::weights() const {
  return tl::unexpected(lacks("export its weights"));
}

Result<WeightsLoaded> Session::load_weights(
    const Weights& /*weights*/, const LoadWeightsOptions& /*options*/) {
  return tl::unexpected(lacks("load weights"));
}

Result<LoopResult> Session::distill_from(Session& /*teacher*/,
                                         const DistillOptions& /*options*/) {
  return tl::unexpected(lacks("learn from a teacher"));
}

std::int64_t Session::trainable_parameters() const {
  return parameters();
}

Result<Engine*> load_engine(const LoadOptions& options) {
  std::vector<fs::path> candidates;
  bool explicit_path = false;
  if (!options.path.empty()) {
    candidates.emplace_back(options.path);
    explicit_path = true;
  } else if (const char* env = std::getenv("MLCARBON_ENGINE");
             env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
    explicit_path = true;
  } else {
    candidates = default_candidates();
  }

  const fs::path* found = nullptr;
  std::error_code ec;
  for (const auto& candidate : candidates) {
    if (fs::is_regular_file(candidate, ec)) {
      found = &candidate;
      break;
    }
  }
  if (found == nullptr) {
    std::string where;
    for (const auto& candidate : candidates)
      where += (where.empty() ? "" : ", ") + candidate.string();
    std::string what =
        explicit_path
            ? fmt::format("the LibTorch engine {} does not exist", where)
            : fmt::format(
                  "the LibTorch engine is not installed (looked for {})",
                  where.empty() ? std::string(kPluginFile) : where);
    return tl::unexpected(Error(Errc::kUnavailable, std::move(what))
                              .with_remedy(std::string(kRemedy)));
  }

  // One engine per plugin file for the life of the process: LibTorch cannot
  // be unloaded, and the process settings apply once.
  static std::mutex mutex;
  static std::map<std::string, Engine*> loaded;
  std::lock_guard lock(mutex);
  std::string key = fs::absolute(*found, ec).lexically_normal().string();
  if (auto it = loaded.find(key); it != loaded.end())
    return it->second;
  apply_process_settings(options.threads);
  MLCARBON_ASSIGN_OR_RETURN(Engine * engine, open_engine(*found));
  loaded.emplace(key, engine);
  return engine;
}

}  // namespace mlcarbon::engine

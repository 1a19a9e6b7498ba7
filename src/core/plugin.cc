// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/plugin.h"

#include <algorithm>
#include <string>
#include <system_error>

#include <dlfcn.h>

namespace mlcarbon {
namespace {

namespace fs = std::filesystem;

/// The running program, or empty when /proc is not mounted.
fs::path self_exe() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe;
}

/// Any object of this library: its address tells dladdr which file holds
/// mlcarbon's code.
const char kAnchor = 0;

/// The shared library holding mlcarbon's code when it is not the program
/// itself (libmlcarbon.so, the Python module), else empty.
fs::path code_library(const fs::path& exe) {
  Dl_info info{};
  if (::dladdr(&kAnchor, &info) == 0 || info.dli_fname == nullptr)
    return {};
  std::error_code ec;
  fs::path lib = fs::canonical(info.dli_fname, ec);
  if (ec || lib == exe)
    return {};
  return lib;
}

bool is_within(const fs::path& path, const fs::path& dir) {
  auto rel = path.lexically_normal().lexically_relative(dir.lexically_normal());
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

std::vector<fs::path> plugin_candidates(std::string_view file,
                                        std::string_view build_dir,
                                        std::string_view build_path) {
  std::vector<fs::path> out;
  const fs::path exe = self_exe();
  const fs::path lib = code_library(exe);
  const fs::path build(build_dir);
  if (!build_dir.empty() && !build_path.empty() &&
      (exe.empty() || is_within(exe, build) ||
       (!lib.empty() && is_within(lib, build))))
    out.emplace_back(build_path);
  if (!exe.empty()) {
    out.push_back(
        (exe.parent_path() / ".." / "lib" / "mlcarbon" / fs::path(file))
            .lexically_normal());
  }
  if (!lib.empty()) {
    // The installed libmlcarbon.so's plugins, then those a Python package
    // carries in a folder beside its extension.
    for (const fs::path& dir :
         {lib.parent_path() / MLCARBON_PLUGINS_FROM_LIBDIR,
          lib.parent_path() / "mlcarbon"}) {
      fs::path path = (dir / fs::path(file)).lexically_normal();
      if (std::find(out.begin(), out.end(), path) == out.end())
        out.push_back(std::move(path));
    }
  }
  return out;
}

Result<void*> open_plugin(std::string_view what,
                          const std::vector<fs::path>& candidates) {
  std::string tried;
  for (const auto& path : candidates) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      tried += (tried.empty() ? "" : ", ") + path.string();
      continue;
    }
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      return make_error(Errc::kUnavailable, "cannot load {} {}: {}", what,
                        path.string(), why != nullptr ? why : "dlopen failed");
    }
    return handle;
  }
  return make_error(Errc::kUnavailable, "{} not found (looked for {})", what,
                    tried.empty() ? std::string("nothing") : tried);
}

Result<void*> open_plugin_entry(std::string_view what,
                                const std::vector<fs::path>& candidates,
                                const char* symbol) {
  MLCARBON_ASSIGN_OR_RETURN(void* handle, open_plugin(what, candidates));
  void* entry = ::dlsym(handle, symbol);
  if (entry == nullptr)
    return make_error(Errc::kUnavailable, "{} has no {}", what, symbol);
  return entry;
}

}  // namespace mlcarbon

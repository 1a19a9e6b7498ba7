// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/plugin.h"

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
  if (!build_dir.empty() && !build_path.empty() &&
      (exe.empty() || is_within(exe, fs::path(build_dir))))
    out.emplace_back(build_path);
  if (!exe.empty()) {
    out.push_back(
        (exe.parent_path() / ".." / "lib" / "mlcarbon" / fs::path(file))
            .lexically_normal());
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

}  // namespace mlcarbon

// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the libFuzzer targets: splitting one input into several
// texts and writing texts into a private temporary tree for the readers that
// only take paths (/proc, sysfs, tzdata).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace mlcarbon::fuzz {

/// Stops the target with `why` on stderr: a fixed input stopped working,
/// which is a regression, not a finding of the fuzzer.
[[noreturn]] inline void fail(std::string_view why) {
  std::fprintf(stderr, "fuzz target setup failed: %.*s\n",
               static_cast<int>(why.size()), why.data());
  std::abort();
}

/// The input as text (the parsers take string_view; bytes are bytes).
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Splits `text` at lines holding only "%%" into at most `max_parts` parts
/// (each keeps its final newline), so one input can describe several files;
/// missing parts are empty.
inline std::vector<std::string_view> split_parts(std::string_view text,
                                                 std::size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    if (text.substr(0, 3) == "%%\n") {  // an empty part
      parts.emplace_back();
      text.remove_prefix(3);
      continue;
    }
    const std::size_t at = text.find("\n%%\n");
    if (at == std::string_view::npos)
      break;
    parts.push_back(text.substr(0, at + 1));
    text.remove_prefix(at + 4);
  }
  parts.push_back(text);
  parts.resize(max_parts);
  return parts;
}

/// A folder of this process under /dev/shm (else $TMPDIR or /tmp), emptied
/// by reset() and removed at exit.
class TempTree {
 public:
  TempTree() {
    // Memory-backed /dev/shm makes the per-input writes ten times faster
    // than a disk-backed /tmp.
    const char* tmp = std::getenv("TMPDIR");
    std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    if (::access("/dev/shm", W_OK | X_OK) == 0)
      base = "/dev/shm";
    std::string pattern = base + "/mlcarbon-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
      std::abort();
    root_ = pattern;
  }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  [[nodiscard]] const std::filesystem::path& root() const { return root_; }

  /// Removes everything under the root.
  void reset() const {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root_, ec))
      std::filesystem::remove_all(entry.path(), ec);
  }

  /// Writes `content` to root/relative, creating folders.
  void write(const std::filesystem::path& relative,
             std::string_view content) const {
    const auto path = root_ / relative;
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }

 private:
  std::filesystem::path root_;
};

/// The process's temporary tree, emptied for the next input.
inline const TempTree& fresh_tree() {
  static const TempTree kTree;
  kTree.reset();
  return kTree;
}

}  // namespace mlcarbon::fuzz

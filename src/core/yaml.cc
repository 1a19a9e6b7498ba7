// SPDX-License-Identifier: Apache-2.0
// Every call into yaml-cpp that can throw stays inside load_yaml's try
// block; callers that read nodes further catch with yaml_error().
#include "mlcarbon/core/yaml.h"

#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include "mlcarbon/core/text.h"

namespace mlcarbon {
namespace {

struct TextPos {
  int line = 1;
  int column = 1;
};

// Line and column (1-based, in characters) of a byte offset of valid text.
TextPos position_of(std::string_view text, std::size_t offset) {
  TextPos pos;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++pos.column;
    }
  }
  return pos;
}

// The first node nested deeper than `max` levels, if any (yaml-cpp itself
// stops only at 2000). Aliases share nodes, so a walk could visit
// exponentially many; it gives up after `budget` visits, which a file
// within the size limit without aliases never needs.
std::optional<YAML::Mark> too_deep(const YAML::Node& node, int depth, int max,
                                   std::size_t& budget) {
  if (budget == 0)
    return std::nullopt;
  --budget;
  if (depth > max)
    return node.Mark();
  if (node.IsMap()) {
    for (const auto& kv : node) {
      if (auto m = too_deep(kv.second, depth + 1, max, budget))
        return m;
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (auto m = too_deep(item, depth + 1, max, budget))
        return m;
    }
  }
  return std::nullopt;
}

// Where each document of a YAML stream starts and the first node it holds.
class DocumentProbe final : public YAML::EventHandler {
 public:
  [[nodiscard]] const YAML::Mark& start() const { return start_; }
  [[nodiscard]] const std::optional<YAML::Mark>& content() const {
    return content_;
  }

  void OnDocumentStart(const YAML::Mark& mark) override {
    start_ = mark;
    content_.reset();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override {
    seen(mark);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/,
                YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {
    seen(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/,
                       YAML::EmitterStyle::value /*style*/) override {
    seen(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/,
                  YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {
    seen(mark);
  }
  void OnMapEnd() override {}

 private:
  void seen(const YAML::Mark& mark) {
    if (!content_)
      content_ = mark;
  }

  YAML::Mark start_;
  std::optional<YAML::Mark> content_;
};

// The first node of a document after the first one, if any holds one (an
// empty document after a trailing '---' holds nothing to ignore). Not
// YAML::LoadAll: yaml-cpp 0.7 loops forever, allocating, where a token that
// cannot start a node (a stray ',') starts a document: it yields an empty
// document without consuming the token. A document that starts where the
// previous one did is that case, reported as malformed YAML. Throws what
// yaml-cpp throws.
std::optional<YAML::Mark> second_document(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentProbe probe;
  std::optional<int> previous_start;
  for (int document = 0; parser.HandleNextDocument(probe); ++document) {
    const YAML::Mark& start = probe.start();
    if (previous_start == start.pos) {
      const auto at = static_cast<std::size_t>(start.pos);
      throw YAML::ParserException(
          start, at < text.size() && text[at] > ' ' && text[at] < 0x7F
                     ? fmt::format("unexpected '{}'", text[at])
                     : std::string("unexpected character"));
    }
    previous_start = start.pos;
    if (document > 0 && probe.content())
      return probe.content();
  }
  return std::nullopt;
}

}  // namespace

std::string_view yaml_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "a scalar";
  }
}

std::string yaml_where(std::string_view origin, const YAML::Mark& mark) {
  // yaml-cpp's marks are 0-based; an unknown position reads as 1:1.
  const int line = mark.is_null() ? 0 : mark.line;
  const int column = mark.is_null() ? 0 : mark.column;
  return fmt::format("{}:{}:{}: ", origin, line + 1, column + 1);
}

Status check_yaml_size(std::uint64_t bytes, std::string_view origin,
                       const YamlLimits& limits) {
  if (bytes > limits.max_bytes) {
    return make_error(Errc::kParse,
                      "{}: the file has {} bytes; a {} may have at most {} "
                      "({} MiB)",
                      origin, bytes, limits.noun, limits.max_bytes,
                      limits.max_bytes >> 20);
  }
  return {};
}

Error yaml_error(const std::exception& e, std::string_view origin,
                 const YamlLimits& limits) {
  if (const auto* deep = dynamic_cast<const YAML::DeepRecursion*>(&e)) {
    return Error(Errc::kParse,
                 fmt::format("{}malformed YAML: nested more than {} levels "
                             "deep; a {} needs a few",
                             yaml_where(origin, deep->mark), limits.max_nesting,
                             limits.noun));
  }
  if (const auto* y = dynamic_cast<const YAML::Exception*>(&e)) {
    return Error(Errc::kParse,
                 fmt::format("{}malformed YAML: {}",
                             yaml_where(origin, y->mark), y->msg));
  }
  return Error(Errc::kParse, fmt::format("{}: {}", origin, e.what()));
}

Result<YAML::Node> load_yaml(std::string_view text, std::string_view origin,
                             const YamlLimits& limits) {
  MLCARBON_RETURN_IF_ERROR(check_yaml_size(text.size(), origin, limits));
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom))
    text.remove_prefix(kBom.size());
  // YAML also allows UTF-16 and UTF-32 with a byte-order mark, which
  // yaml-cpp decodes; everything else must be UTF-8.
  const bool wide = text.starts_with("\xFE\xFF") ||
                    text.starts_with("\xFF\xFE") ||
                    text.starts_with(std::string_view("\0\0\xFE\xFF", 4));
  if (const auto bad = wide ? std::string_view::npos : first_invalid_utf8(text);
      bad != std::string_view::npos) {
    const TextPos pos = position_of(text, bad);
    return make_error(Errc::kParse,
                      "{}:{}:{}: byte 0x{:02X} is not UTF-8; save the {} as "
                      "UTF-8",
                      origin, pos.line, pos.column,
                      static_cast<unsigned char>(text[bad]), limits.noun);
  }
  try {
    const std::string owned(text);
    if (const auto second = second_document(owned)) {
      return make_error(Errc::kParse,
                        "{}:{}: a second YAML document; put one {} per file",
                        origin, second->line + 1, limits.noun);
    }
    YAML::Node root = YAML::Load(owned);
    std::size_t budget = limits.max_bytes;
    if (auto deep = too_deep(root, 0, limits.max_nesting, budget)) {
      return tl::unexpected(
          Error(Errc::kParse,
                fmt::format("{}nested more than {} levels deep; a {} needs "
                            "a few",
                            yaml_where(origin, *deep), limits.max_nesting,
                            limits.noun)));
    }
    return root;
  } catch (const std::exception& e) {
    return tl::unexpected(yaml_error(e, origin, limits));
  }
}

}  // namespace mlcarbon

// SPDX-License-Identifier: Apache-2.0
// HttpServer forwards to the HTTP server in the plugin libmlcarbon_serve.so
// (http_plugin.cc), loaded by the first bind: only `mlcarbon serve` loads
// cpp-httplib.
#include "mlcarbon/serve/http.h"

#include <string>

#include <fmt/format.h>

#include "mlcarbon/core/plugin.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/serve/exporter.h"

#include "http_listener.h"

namespace mlcarbon::serve {
namespace {

constexpr std::string_view kRemedy =
    "install cpp-httplib (Debian's libcpp-httplib-dev, "
    "scripts/install-deps.sh) and rebuild mlcarbon, or reinstall it with "
    "its lib/mlcarbon folder";

Result<detail::BindFn> load_plugin() {
  MLCARBON_ASSIGN_OR_RETURN(
      void* entry,
      open_plugin_entry(
          "the HTTP server plugin",
          plugin_candidates("libmlcarbon_serve.so", MLCARBON_SERVE_BUILD_DIR,
                            MLCARBON_SERVE_BUILD_PLUGIN),
          "mlcarbon_serve_bind"));
  // POSIX guarantees that a dlsym result converts to a function pointer.
  return reinterpret_cast<detail::BindFn>(entry);
}

}  // namespace

Result<ListenAddress> parse_listen(std::string_view text,
                                   std::string_view flag) {
  ListenAddress out;
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return make_error(Errc::kInvalidArgument,
                      "{} '{}': expected HOST:PORT, e.g. 127.0.0.1:9464", flag,
                      text);
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (!host.empty())
    out.host = std::string(host);
  const std::optional<int> port = parse_integer<int>(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    return make_error(Errc::kInvalidArgument,
                      "{} '{}': the port must be a number from 0 to 65535",
                      flag, text);
  }
  out.port = *port;
  return out;
}

HttpServer::HttpServer(std::unique_ptr<detail::HttpListener> listener)
    : listener_(std::move(listener)) {}
HttpServer::~HttpServer() {
  stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::bind(const Exporter& exporter,
                                                     HttpOptions options) {
  static const Result<detail::BindFn> bind_fn = load_plugin();
  if (!bind_fn) {
    return tl::unexpected(bind_fn.error()
                              .with_context("starting the HTTP server")
                              .with_remedy(std::string(kRemedy)));
  }
  Result<std::unique_ptr<detail::HttpListener>> listener;
  const detail::MetricsFn metrics = [&exporter] { return exporter.metrics(); };
  if (!(*bind_fn)(detail::kServePluginAbi, metrics, options, &listener)) {
    return tl::unexpected(
        Error(Errc::kUnavailable,
              "the HTTP server plugin was built for another version of "
              "mlcarbon")
            .with_remedy("rebuild mlcarbon and its plugins together"));
  }
  if (!listener)
    return tl::unexpected(std::move(listener).error());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(*listener)));
}

int HttpServer::port() const {
  return listener_->port();
}

Status HttpServer::run() {
  return listener_->run();
}

void HttpServer::stop() {
  listener_->stop();
}

}  // namespace mlcarbon::serve

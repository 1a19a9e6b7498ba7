// SPDX-License-Identifier: Apache-2.0
// Between HttpServer (http.cc, in mlcarbon_serve) and the HTTP server that
// does the work (http_plugin.cc, in the plugin libmlcarbon_serve.so with
// cpp-httplib), so that only `mlcarbon serve` loads the HTTP library.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "mlcarbon/core/error.h"
#include "mlcarbon/serve/http.h"

namespace mlcarbon::serve::detail {

/// What HttpServer forwards to: a bound server, serving once run().
class HttpListener {
 public:
  virtual ~HttpListener() = default;
  [[nodiscard]] virtual int port() const = 0;
  [[nodiscard]] virtual Status run() = 0;
  virtual void stop() = 0;
};

/// The body of GET /metrics, made on each scrape.
using MetricsFn = std::function<std::string()>;

/// Changes whenever the types that cross the plugin boundary change, so a
/// stale plugin is refused instead of misread.
inline constexpr std::size_t kServePluginAbi =
    3000 + sizeof(HttpOptions) + sizeof(ListenAddress) + sizeof(MetricsFn) +
    sizeof(Error);

/// The plugin's one entry point, `mlcarbon_serve_bind`: binds as
/// HttpServer::bind says, fills `*out` and returns true, or returns false
/// when `abi` is not its kServePluginAbi.
using BindFn = bool (*)(std::size_t abi, const MetricsFn& metrics,
                        const HttpOptions& options,
                        Result<std::unique_ptr<HttpListener>>* out);

}  // namespace mlcarbon::serve::detail

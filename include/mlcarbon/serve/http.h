// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "mlcarbon/core/error.h"

namespace mlcarbon::serve {

class Exporter;
namespace detail {
class HttpListener;
}

/// Where the exporter listens.
struct ListenAddress {
  std::string host = "127.0.0.1";
  /// 0: any free port (HttpServer::port() says which).
  int port = 9464;
};

/// Parses HOST:PORT ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464"); a
/// bare ":PORT" keeps the loopback host. Errors name `flag`.
[[nodiscard]] Result<ListenAddress> parse_listen(std::string_view text,
                                                 std::string_view flag);

struct HttpOptions {
  ListenAddress listen;
  /// Worker threads: connections served at once.
  std::size_t threads = 4;
  /// Accepted connections waiting for a worker; beyond it the server stops
  /// accepting until one frees (the kernel's backlog holds the rest).
  std::size_t max_queued = 64;
};

/// The HTTP side of `mlcarbon serve`: GET /metrics and /healthz only (other
/// paths 404, other methods 405), request headers bounded by the HTTP
/// library (8 KiB), bodies refused beyond 1 KiB, connections bounded by
/// HttpOptions. The HTTP library lives in the plugin libmlcarbon_serve.so,
/// loaded by the first bind().
class HttpServer {
 public:
  /// Binds the address; fails with a clear error (address in use, bad
  /// host, no HTTP server plugin) before anything is served.
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> bind(
      const Exporter& exporter, HttpOptions options);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  /// The bound port.
  [[nodiscard]] int port() const;
  /// Serves until stop(); returns once every worker is done.
  [[nodiscard]] Status run();
  /// Stops run() from any thread (a signal handler's thread). Idempotent.
  void stop();

 private:
  explicit HttpServer(std::unique_ptr<detail::HttpListener> listener);
  std::unique_ptr<detail::HttpListener> listener_;
};

}  // namespace mlcarbon::serve

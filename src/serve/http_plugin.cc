// SPDX-License-Identifier: Apache-2.0
// libmlcarbon_serve.so: the HTTP server of `mlcarbon serve`, the only code
// that includes httplib.h (large, and linking cpp-httplib loads it into
// every command). Loaded by HttpServer::bind (http.cc).
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

#include <fmt/format.h>

#include "http_listener.h"

namespace mlcarbon::serve {
namespace {

constexpr std::size_t kMaxBody = 1024;

// httplib's ThreadPool queues without bound; this one makes the accept
// loop wait while `max_queued` connections already wait for a worker.
class BoundedPool final : public httplib::TaskQueue {
 public:
  BoundedPool(std::size_t threads, std::size_t max_queued)
      : max_queued_(max_queued) {
    for (std::size_t i = 0; i < threads; ++i)
      workers_.emplace_back([this] { work(); });
  }
  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return jobs_.size() < max_queued_ || shutdown_; });
    jobs_.push_back(std::move(fn));
    lock.unlock();
    ready_.notify_one();
  }
  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
    }
    ready_.notify_all();
    room_.notify_all();
    for (std::thread& t : workers_)
      t.join();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !jobs_.empty() || shutdown_; });
        if (jobs_.empty())
          return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      room_.notify_one();
      fn();
    }
  }

  std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable room_;
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::vector<std::thread> workers_;
};

void method_not_allowed(const httplib::Request&, httplib::Response& res) {
  res.status = 405;
  res.set_header("Allow", "GET, HEAD");
  res.set_content("method not allowed: use GET\n", "text/plain");
}

class Listener final : public detail::HttpListener {
 public:
  httplib::Server server;
  int bound_port = 0;

  [[nodiscard]] int port() const override { return bound_port; }
  [[nodiscard]] Status run() override {
    if (!server.listen_after_bind()) {
      return make_error(Errc::kIo, "the HTTP server stopped on an error");
    }
    return {};
  }

  void stop() override { server.stop(); }
};

Result<std::unique_ptr<detail::HttpListener>> bind(
    const detail::MetricsFn& metrics, const HttpOptions& options) {
  auto impl = std::make_unique<Listener>();
  httplib::Server& server = impl->server;
  const std::size_t threads = std::max<std::size_t>(options.threads, 1);
  const std::size_t queued = std::max<std::size_t>(options.max_queued, 1);
  server.new_task_queue = [threads, queued] {
    return new BoundedPool(threads, queued);
  };
  server.set_payload_max_length(kMaxBody);
  // Headers and body go out in separate writes: without it, Nagle and
  // delayed ACKs add 40 ms to every keep-alive response.
  server.set_tcp_nodelay(true);
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_timeout(5);
  server.set_keep_alive_max_count(1000);
  server.Get("/metrics",
             [metrics](const httplib::Request&, httplib::Response& res) {
               res.set_content(metrics(), "text/plain; version=0.0.4");
             });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  for (const char* path : {"/metrics", "/healthz"}) {
    server.Post(path, method_not_allowed);
    server.Put(path, method_not_allowed);
    server.Patch(path, method_not_allowed);
    server.Delete(path, method_not_allowed);
    server.Options(path, method_not_allowed);
  }
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404)
      res.set_content("not found: the exporter serves /metrics and /healthz\n",
                      "text/plain");
  });
  const std::string& host = options.listen.host;
  if (options.listen.port == 0) {
    impl->bound_port = server.bind_to_any_port(host);
  } else if (server.bind_to_port(host, options.listen.port)) {
    impl->bound_port = options.listen.port;
  } else {
    impl->bound_port = -1;
  }
  if (impl->bound_port <= 0) {
    return make_error(Errc::kIo,
                      "--listen {}:{}: cannot bind (address in use, or not "
                      "an address of this host)",
                      host, options.listen.port);
  }
  return std::unique_ptr<detail::HttpListener>(std::move(impl));
}

}  // namespace
}  // namespace mlcarbon::serve

extern "C" __attribute__((visibility("default"))) bool mlcarbon_serve_bind(
    std::size_t abi, const mlcarbon::serve::detail::MetricsFn& metrics,
    const mlcarbon::serve::HttpOptions& options,
    mlcarbon::Result<std::unique_ptr<mlcarbon::serve::detail::HttpListener>>*
        out) {
  if (abi != mlcarbon::serve::detail::kServePluginAbi || out == nullptr)
    return false;
  try {
    *out = mlcarbon::serve::bind(metrics, options);
  } catch (const std::exception& e) {
    // httplib reports bind failures as values; this is for bad_alloc.
    *out = mlcarbon::make_error(mlcarbon::Errc::kIo,
                                "cannot start the HTTP server: {}", e.what());
  }
  return true;
}

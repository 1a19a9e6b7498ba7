// SPDX-License-Identifier: Apache-2.0
// The only file that includes httplib.h: it is large, and one user is enough.
#include "mlcarbon/serve/http.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/serve/exporter.h"

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

struct HttpServer::Impl {
  httplib::Server server;
  int port = 0;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() {
  stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::bind(const Exporter& exporter,
                                                     HttpOptions options) {
  auto impl = std::make_unique<Impl>();
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
             [&exporter](const httplib::Request&, httplib::Response& res) {
               res.set_content(exporter.metrics(), "text/plain; version=0.0.4");
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
    impl->port = server.bind_to_any_port(host);
  } else if (server.bind_to_port(host, options.listen.port)) {
    impl->port = options.listen.port;
  } else {
    impl->port = -1;
  }
  if (impl->port <= 0) {
    return make_error(Errc::kIo,
                      "--listen {}:{}: cannot bind (address in use, or not "
                      "an address of this host)",
                      host, options.listen.port);
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const {
  return impl_->port;
}

Status HttpServer::run() {
  if (!impl_->server.listen_after_bind()) {
    return make_error(Errc::kIo, "the HTTP server stopped on an error");
  }
  return {};
}

void HttpServer::stop() {
  impl_->server.stop();
}

}  // namespace mlcarbon::serve

// POSTs webhook calls to the backend with libcurl on a few worker threads,
// so a slow backend never blocks the server's event loop.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace brolostack::native {

class WebhookClient {
public:
    /// Receives the HTTP status (0 on network failure or timeout) and body.
    using Done = std::function<void(int status, std::string body)>;

    WebhookClient(std::string url, std::string secret, std::int64_t timeoutMs, std::size_t workers = 4);
    ~WebhookClient();
    WebhookClient(const WebhookClient&) = delete;
    WebhookClient& operator=(const WebhookClient&) = delete;

    /// Queues a call; `done` runs on a worker thread.
    void post(std::string body, Done done);

private:
    struct Job {
        std::string body;
        Done done;
    };
    void work();
    void call(Job& job) const;

    std::string url_;
    std::string secret_;
    std::int64_t timeoutMs_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

/// "sha256=<hex HMAC-SHA256 of body with secret>"
std::string webhookSignature(const std::string& secret, const std::string& body);

}  // namespace brolostack::native

#include "webhook_client.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace brolostack::native {
namespace {

constexpr std::size_t kMaxAnswerBytes = 4 * 1024 * 1024;

std::size_t collect(char* data, std::size_t size, std::size_t count, void* target) {
    auto* body = static_cast<std::string*>(target);
    std::size_t n = size * count;
    if (body->size() + n > kMaxAnswerBytes) return 0;  // aborts the transfer
    body->append(data, n);
    return n;
}

}  // namespace

std::string webhookSignature(const std::string& secret, const std::string& body) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &length);
    static const char* digits = "0123456789abcdef";
    std::string out = "sha256=";
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(digits[mac[i] >> 4]);
        out.push_back(digits[mac[i] & 15]);
    }
    return out;
}

WebhookClient::WebhookClient(std::string url, std::string secret, std::int64_t timeoutMs, std::size_t workers)
    : url_(std::move(url)), secret_(std::move(secret)), timeoutMs_(timeoutMs) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    url_ += "/brolostack/events";
    for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

WebhookClient::~WebhookClient() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
}

void WebhookClient::post(std::string body, Done done) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        jobs_.push_back(Job{std::move(body), std::move(done)});
    }
    wake_.notify_one();
}

void WebhookClient::work() {
    for (;;) {
        Job job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping with nothing left to do
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        call(job);
    }
}

void WebhookClient::call(Job& job) const {
    CURL* curl = curl_easy_init();
    if (!curl) {
        job.done(0, {});
        return;
    }
    std::string answer;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    std::string signature = "X-Brolostack-Signature: " + webhookSignature(secret_, job.body);
    headers = curl_slist_append(headers, signature.c_str());
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, job.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(job.body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeoutMs_));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    job.done(rc == CURLE_OK ? static_cast<int>(status) : 0, std::move(answer));
}

}  // namespace brolostack::native

// A byte buffer owned by one connection, allocated when the connection is
// set up and reused for every frame after that. It grows only when one
// frame does not fit (a large join reply during setup) and can be shrunk
// back once empty, so the steady state allocates nothing.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

namespace loadgen {

class Buffer {
public:
    void init(std::size_t capacity) {
        // new char[] leaves the pages untouched until used: 10,000 idle
        // connections do not cost 10,000 full buffers of resident memory.
        mem_.reset(new char[capacity]);
        cap_ = capacity;
        head_ = tail_ = 0;
    }
    void release() {
        mem_.reset();
        cap_ = head_ = tail_ = 0;
    }

    char* data() { return mem_.get() + head_; }
    const char* data() const { return mem_.get() + head_; }
    std::size_t size() const { return tail_ - head_; }
    bool empty() const { return head_ == tail_; }
    std::size_t capacity() const { return cap_; }

    char* space() { return mem_.get() + tail_; }
    std::size_t spaceLeft() const { return cap_ - tail_; }

    void produce(std::size_t n) { tail_ += n; }
    void consume(std::size_t n) {
        head_ += n;
        if (head_ == tail_) head_ = tail_ = 0;
    }
    void compact() {
        if (head_ == 0) return;
        std::memmove(mem_.get(), mem_.get() + head_, size());
        tail_ -= head_;
        head_ = 0;
    }
    // Makes room for n more bytes at the end: compacts, then grows (doubling)
    // up to maxCapacity. Returns false when that is not enough.
    bool ensure(std::size_t n, std::size_t maxCapacity) {
        if (spaceLeft() >= n) return true;
        compact();
        if (spaceLeft() >= n) return true;
        std::size_t want = cap_ ? cap_ : 4096;
        while (want - size() < n) want *= 2;
        if (want > maxCapacity) return false;
        std::unique_ptr<char[]> bigger(new char[want]);
        std::memcpy(bigger.get(), mem_.get(), size());
        tail_ = size();
        head_ = 0;
        mem_ = std::move(bigger);
        cap_ = want;
        ++growths;
        return true;
    }
    // Back to `capacity` when empty and larger than that.
    void shrinkIfEmpty(std::size_t capacity) {
        if (empty() && cap_ > capacity) init(capacity);
    }
    void append(const char* p, std::size_t n) {
        std::memcpy(space(), p, n);
        produce(n);
    }

    unsigned growths = 0;

private:
    std::unique_ptr<char[]> mem_;
    std::size_t cap_ = 0, head_ = 0, tail_ = 0;
};

}  // namespace loadgen

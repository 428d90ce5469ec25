// Internal: what the pipeline's stage threads hand work and failures over with.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>

namespace cuframe::detail {

// A closable FIFO with a fixed capacity: push() waits while full, pop() while empty.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}
  bool push(T v) {
    std::unique_lock<std::mutex> hold(m_);
    not_full_.wait(hold, [&] { return closed_ || q_.size() < capacity_; });
    if (closed_) return false;
    q_.push_back(std::move(v));
    not_empty_.notify_one();
    return true;
  }
  std::optional<T> pop() {
    std::unique_lock<std::mutex> hold(m_);
    not_empty_.wait(hold, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return std::nullopt;
    T v = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return v;
  }
  /// Consumers still get what is queued; producers are refused.
  void close() {
    std::lock_guard<std::mutex> hold(m_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::size_t capacity_;
  std::deque<T> q_;
  bool closed_ = false;
  std::mutex m_;
  std::condition_variable not_empty_, not_full_;
};

// The first exception of any thread, kept to be rethrown on the one that joins them.
class Failure {
 public:
  void set(std::exception_ptr e) {
    std::lock_guard<std::mutex> hold(m_);
    if (!first_) first_ = std::move(e);
    failed_ = true;
  }
  bool failed() const { return failed_.load(); }
  void rethrow() {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::mutex m_;
  std::exception_ptr first_;
  std::atomic<bool> failed_{false};
};

}  // namespace cuframe::detail

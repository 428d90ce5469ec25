#include "cpu_pool.hpp"

#include <algorithm>
#include <cstdlib>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace cuframe::kernels::detail {

namespace {

class Pool {
 public:
  Pool() {
    unsigned n = std::max(1u, std::thread::hardware_concurrency());
    // CUFRAME_CPU_THREADS caps the executor's threads (1: the calling thread alone).
    if (const char* e = std::getenv("CUFRAME_CPU_THREADS"); e && std::atoi(e) > 0)
      n = std::min(n, static_cast<unsigned>(std::atoi(e)));
    for (unsigned i = 1; i < n; ++i) workers_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  void run(int n, RangeFn fn, void* ctx) {
    std::unique_lock call(call_m_);  // one op at a time; ops parallelise internally
    const int threads = static_cast<int>(workers_.size()) + 1;
    const int chunk = std::max(1, n / (threads * 4));
    {
      std::lock_guard lock(m_);
      fn_ = fn;
      ctx_ = ctx;
      n_ = n;
      chunk_ = chunk;
      next_ = 0;
      active_ = static_cast<int>(workers_.size());
      ++generation_;
    }
    cv_.notify_all();
    drain();
    std::unique_lock lock(m_);
    done_cv_.wait(lock, [this] { return active_ == 0; });
  }

 private:
  void drain() {
    for (;;) {
      int b;
      {
        std::lock_guard lock(m_);
        if (next_ >= n_) return;
        b = next_;
        next_ = std::min(n_, next_ + chunk_);
      }
      fn_(ctx_, b, std::min(n_, b + chunk_));
    }
  }

  void work() {
    unsigned long seen = 0;
    for (;;) {
      {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      drain();
      {
        std::lock_guard lock(m_);
        --active_;
      }
      done_cv_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex m_, call_m_;
  std::condition_variable cv_, done_cv_;
  RangeFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int n_ = 0, chunk_ = 1, next_ = 0, active_ = 0;
  unsigned long generation_ = 0;
  bool stop_ = false;
};

}  // namespace

void parallel_for(int n, RangeFn fn, void* ctx) {
  if (n <= 0) return;
  static Pool pool;
  pool.run(n, fn, ctx);
}

}  // namespace cuframe::kernels::detail

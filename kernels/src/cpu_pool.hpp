// Internal: the CPU executor's worker threads. Created once, reused by every op; a call
// allocates nothing (the work is a function pointer and a context pointer).
#pragma once

namespace cuframe::kernels::detail {

using RangeFn = void (*)(void* ctx, int begin, int end);

/// Runs fn(ctx, b, e) over [0, n) split into chunks across the pool; returns when done.
void parallel_for(int n, RangeFn fn, void* ctx);

template <typename F>
void parallel_for(int n, F& f) {
  parallel_for(n, [](void* c, int b, int e) { (*static_cast<F*>(c))(b, e); }, &f);
}

}  // namespace cuframe::kernels::detail

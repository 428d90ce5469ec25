// The cuframe virtual GPU: device memory that host code cannot touch, lazy in-order
// streams, events, and kernels run on a device process (docs/VIRTUAL_GPU.md).
//
// Note [Virtual device memory]: before anything else runs (a constructor of libcuda.so.1,
// while the process is single-threaded), the device reserves one address range D for
// device memory (PROT_NONE in this process: a host read or write faults, every time) and
// maps a memfd read-write at a second, private range A: the runtime's own copies and
// memsets reach device byte D+i through A+i. Then it forks the device process, which
// holds none of the application's file descriptors, dies with it, and maps each live
// allocation of D read-write from the same memfd at the same address — so kernels, run
// there, dereference the application's device pointers as they are. Each allocation ends
// on a page boundary followed by an unmapped guard page: a kernel access past it, or to
// freed memory, faults in the device process and becomes the sticky
// cudaErrorIllegalAddress. Fresh allocations are filled with 0xA5.
//
// Note [Lazy streams]: a stream is an in-order queue on the host; its work runs only when
// something waits on it (a synchronize, an event or stream wait, a query, a blocking copy).
// A consumer that forgot to wait therefore reads 0xA5 poison every time instead of winning
// a race. CUFRAME_VIRTUAL_GPU_MODE=eager gives each stream a worker thread that runs its
// operations as they are queued instead, for debugging.
#include "cuframe_vgpu/vgpu.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

// cudaError_t values used here.
enum : int {
  kOk = 0,
  kInvalidValue = 1,
  kMemoryAllocation = 2,
  kInitializationError = 3,
  kInvalidConfiguration = 9,
  kInvalidMemcpyDirection = 21,
  kNoDevice = 100,
  kInvalidDevice = 101,
  kInvalidResourceHandle = 400,
  kNotReady = 600,
  kIllegalAddress = 700,
  kLaunchFailure = 719,
};

constexpr std::size_t kSpan = std::size_t{80} << 30;  // the modelled 80 GB (H100)
constexpr std::size_t kPage = 4096;
constexpr std::size_t kMaxArgs = 64 * 1024;
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr unsigned kMaxGridYZ = 65535;
constexpr unsigned long kMaxGridX = 2147483647ul;
constexpr std::size_t kMaxSharedPerBlock = 48 * 1024;  // without the opt-in attribute

// ------------------------------------------------------------------ messages

enum class Op : std::uint32_t { Map, Unmap, Launch };

struct Request {
  Op op;
  std::uint64_t addr, bytes;         // Map / Unmap
  cfvg_thread_fn thread;             // Launch
  unsigned grid[3], block[3];
  std::uint64_t args_size;
  char kernel[96];
};

struct Reply {
  int status;
  std::uint64_t fault_addr;
  char message[400];
};

// ------------------------------------------------------------------ state

struct Allocation {
  std::uintptr_t region;  // first page (mapped in the device process)
  std::size_t region_bytes;
  std::size_t bytes;      // asked for
};

struct Stream;

struct Event {
  Stream* stream = nullptr;
  std::uint64_t seq = 0;         // done when stream->done >= seq
  std::uint64_t generation = 0;  // of the last record
  bool recorded = false;
  bool timing = true;
  double time_ms = -1;           // when the record ran
};

struct Stream {
  int device = 0;                           // the device it was created on
  unsigned flags = 0;                       // 1: cudaStreamNonBlocking
  std::deque<std::function<int()>> queue;   // pending work, in order
  std::uint64_t queued = 0, done = 0;
  std::thread worker;                       // eager mode: runs the queue as it fills
  bool stop = false;
};

struct Device {
  bool ok = false;
  std::string why;                          // when not ok
  int memfd = -1;
  int sock = -1;                            // to the device process
  pid_t child = -1;
  pid_t owner = -1;                         // the process that forked it
  std::uintptr_t base = 0;                  // D: device addresses (PROT_NONE here)
  std::uintptr_t alias = 0;                 // A: the same bytes, read-write here
  std::uintptr_t bump = 0;                  // next unused address of D
  std::map<std::uintptr_t, Allocation> allocs;   // by user pointer
  std::map<std::uintptr_t, std::size_t> free_regions;  // region -> bytes, reusable
  std::size_t live_bytes = 0;
  std::map<std::uintptr_t, std::size_t> pinned;  // pinned host allocations
  std::set<Stream*> streams;
  std::set<Event*> events;
  Stream legacy;                            // the legacy default stream
  int sticky = kOk;
  std::string message;
  bool eager = false;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
};

Device& dev() {
  static Device* d = new Device;  // never destroyed: the device lives until the process ends
  return *d;
}
std::recursive_mutex& lock() {
  static auto* m = new std::recursive_mutex;
  return *m;
}
// Eager mode's hand-over between the streams' workers and the threads that wait for them
// (with lock() held exactly once: the waits release it).
std::condition_variable_any& progress() {
  static auto* cv = new std::condition_variable_any;
  return *cv;
}

thread_local int t_current_device = 0;
thread_local const char* t_callback = nullptr;  // inside a virtual NVDEC parser callback

// A host synchronization inside a parser callback (cfvg_callback_scope).
// CUFRAME_VIRTUAL_NVDEC_CALLBACK_SYNC=warn only reports it (to check the rest of the model
// on code that still has such a wait).
int in_callback(const char*) {
  if (!t_callback) return 0;
  static const bool warn = [] {
    const char* v = std::getenv("CUFRAME_VIRTUAL_NVDEC_CALLBACK_SYNC");
    return v && std::string(v) == "warn";
  }();
  return warn ? 0 : 800;  // cudaErrorNotPermitted; the message is written by the caller
}

int fail(int status, const std::string& why) {
  dev().message = why;
  const char* quiet = std::getenv("CUFRAME_VIRTUAL_GPU_QUIET");
  if (!quiet || !*quiet || std::string(quiet) == "0")
    std::fprintf(stderr, "cuframe virtual GPU: %s\n", why.c_str());
  return status;
}

// ------------------------------------------------------------------ device process

// Everything below runs in the device process only.
namespace child {

sigjmp_buf g_jmp;
volatile sig_atomic_t g_in_kernel = 0;
volatile std::uintptr_t g_fault = 0, g_fault_pc = 0;
cfvg_thread_indices g_idx;

// Fibers for blocks whose threads meet at barriers.
struct Fiber {
  ucontext_t ctx;
  bool done = false;
  std::uint64_t waiting_for = 0;  // barrier generation it waits to pass, 0 = runnable
};
ucontext_t g_scheduler;
// The device process is forked before this library's static constructors run, so its
// non-trivial state is built on first use, there.
std::vector<Fiber>& fibers() {
  static auto* v = new std::vector<Fiber>;
  return *v;
}
int g_current = -1;               // running fiber, -1 in direct mode
std::uint64_t g_barrier_generation = 1;
bool g_barrier_in_direct = false;
std::vector<char*>& stacks() {
  static auto* v = new std::vector<char*>;
  return *v;
}
constexpr std::size_t kFiberStack = 64 * 1024;
const void* g_args = nullptr;
cfvg_thread_fn g_thread = nullptr;
std::set<cfvg_thread_fn>& uses_barriers() {
  static auto* v = new std::set<cfvg_thread_fn>;
  return *v;
}

void on_fault(int, siginfo_t* info, void* uc) {
  if (!g_in_kernel) _exit(70);
  g_fault = reinterpret_cast<std::uintptr_t>(info->si_addr);
#if defined(__x86_64__)
  g_fault_pc = static_cast<std::uintptr_t>(static_cast<ucontext_t*>(uc)->uc_mcontext.gregs[REG_RIP]);
#else
  (void)uc;
#endif
  siglongjmp(g_jmp, 1);
}

void fiber_main(unsigned t) {
  const unsigned bx = g_idx.block_dim[0], by = g_idx.block_dim[1];
  g_idx.thread_idx[0] = t % bx;
  g_idx.thread_idx[1] = t / bx % by;
  g_idx.thread_idx[2] = t / (bx * by);
  g_thread(g_args);
  fibers()[t].done = true;
}

void fiber_entry(unsigned lo, unsigned hi) { fiber_main(lo | (hi << 16)); }

void set_thread(unsigned t) {
  const unsigned bx = g_idx.block_dim[0], by = g_idx.block_dim[1];
  g_idx.thread_idx[0] = t % bx;
  g_idx.thread_idx[1] = t / bx % by;
  g_idx.thread_idx[2] = t / (bx * by);
}

// Runs one block's threads as fibers; false with `why` when a barrier was not reached by
// every thread of the block.
bool run_block_fibers(unsigned threads, std::string& why) {
  fibers().assign(threads, Fiber{});
  while (stacks().size() < threads) {
    void* s = mmap(nullptr, kFiberStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s == MAP_FAILED) {
      why = "cannot allocate fiber stacks";
      return false;
    }
    stacks().push_back(static_cast<char*>(s));
  }
  for (unsigned t = 0; t < threads; ++t) {
    Fiber& f = fibers()[t];
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = stacks()[t];
    f.ctx.uc_stack.ss_size = kFiberStack;
    f.ctx.uc_link = &g_scheduler;
    makecontext(&f.ctx, reinterpret_cast<void (*)()>(fiber_entry), 2, t & 0xFFFFu, t >> 16);
  }
  for (;;) {
    bool ran = false;
    for (unsigned t = 0; t < threads; ++t) {
      Fiber& f = fibers()[t];
      if (f.done || f.waiting_for == g_barrier_generation) continue;
      f.waiting_for = 0;
      g_current = static_cast<int>(t);
      set_thread(t);
      swapcontext(&g_scheduler, &f.ctx);
      g_current = -1;
      ran = true;
    }
    unsigned done = 0, waiting = 0;
    for (const Fiber& f : fibers()) {
      done += f.done;
      waiting += !f.done && f.waiting_for == g_barrier_generation;
    }
    if (done == threads) return true;
    if (waiting > 0 && done > 0) {
      why = "__syncthreads() not reached by every thread of the block: " + std::to_string(waiting) + " of " +
            std::to_string(threads) + " threads wait at a barrier that " + std::to_string(done) +
            " threads exited without reaching (a deadlock or undefined behaviour on a GPU)";
      return false;
    }
    if (waiting == threads - done) ++g_barrier_generation;  // everyone arrived: release
    if (!ran && waiting == 0) return true;
  }
}

bool run_blocks(const Request& rq, const void* args, Reply& r);

Reply run_launch(const Request& rq, const void* args) {
  Reply r{};
  if (sigsetjmp(g_jmp, 1) != 0) {
    g_in_kernel = 0;
    r.status = kIllegalAddress;
    r.fault_addr = g_fault;
    Dl_info where{};
    const bool named = dladdr(reinterpret_cast<void*>(g_fault_pc), &where) != 0 && where.dli_fname;
    std::snprintf(r.message, sizeof r.message,
                  "kernel %s: illegal address 0x%llx (outside every live allocation: past its end, freed, or host "
                  "memory), at %s+0x%llx",
                  rq.kernel, static_cast<unsigned long long>(g_fault), named ? where.dli_fname : "?",
                  static_cast<unsigned long long>(g_fault_pc - reinterpret_cast<std::uintptr_t>(named ? where.dli_fbase : nullptr)));
    return r;
  }
  g_in_kernel = 1;
  run_blocks(rq, args, r);
  g_in_kernel = 0;
  return r;
}

__attribute__((noinline)) bool run_blocks(const Request& rq, const void* args, Reply& r) {
  g_args = args;
  g_thread = rq.thread;
  for (int i = 0; i < 3; ++i) {
    g_idx.grid_dim[i] = rq.grid[i];
    g_idx.block_dim[i] = rq.block[i];
  }
  const unsigned threads = rq.block[0] * rq.block[1] * rq.block[2];
  bool use_fibers = uses_barriers().count(rq.thread) > 0;
  bool first = true;
  for (unsigned bz = 0; bz < rq.grid[2]; ++bz)
    for (unsigned by = 0; by < rq.grid[1]; ++by)
      for (unsigned bx = 0; bx < rq.grid[0]; ++bx) {
        g_idx.block_idx[0] = bx;
        g_idx.block_idx[1] = by;
        g_idx.block_idx[2] = bz;
        if (first || use_fibers) {
          // The first block always runs as fibers: it tells whether the kernel meets at
          // barriers; the rest then run as plain calls unless it does.
          g_barrier_in_direct = false;
          std::string why;
          const std::uint64_t before = g_barrier_generation;
          if (!run_block_fibers(threads, why)) {
            r.status = kLaunchFailure;
            std::snprintf(r.message, sizeof r.message, "kernel %s, block (%u,%u,%u): %s", rq.kernel, bx, by, bz,
                          why.c_str());
            return false;
          }
          if (g_barrier_generation != before || g_barrier_in_direct) {
            use_fibers = true;
            uses_barriers().insert(rq.thread);
          }
          first = false;
          continue;
        }
        for (unsigned t = 0; t < threads; ++t) {
          set_thread(t);
          rq.thread(args);
          if (g_barrier_in_direct) {
            r.status = kLaunchFailure;
            std::snprintf(r.message, sizeof r.message,
                          "kernel %s, block (%u,%u,%u): __syncthreads() in a block whose first block used none "
                          "(barriers that depend on the block are not modelled)",
                          rq.kernel, bx, by, bz);
            return false;
          }
        }
      }
  return true;
}

[[noreturn]] void serve(int sock, int memfd, std::uintptr_t base) {
  std::vector<char> buf(sizeof(Request) + kMaxArgs + 64);
  for (;;) {
    const ssize_t n = recv(sock, buf.data(), buf.size(), 0);
    if (n <= 0) _exit(0);  // the application is gone
    Request rq;
    std::memcpy(&rq, buf.data(), sizeof rq);
    Reply r{};
    switch (rq.op) {
      case Op::Map: {
        void* p = mmap(reinterpret_cast<void*>(rq.addr), rq.bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                       memfd, static_cast<off_t>(rq.addr - base));
        if (p == MAP_FAILED) r.status = kMemoryAllocation;
        break;
      }
      case Op::Unmap: {
        void* p = mmap(reinterpret_cast<void*>(rq.addr), rq.bytes, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) r.status = kInvalidValue;
        break;
      }
      case Op::Launch: {
        alignas(64) static char args[kMaxArgs];
        std::memcpy(args, buf.data() + sizeof rq, rq.args_size);
        r = run_launch(rq, args);
        break;
      }
    }
    if (send(sock, &r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) _exit(0);
  }
}

}  // namespace child

int talk(const Request& rq, const void* args, Reply& reply) {
  Device& d = dev();
  std::vector<char> msg(sizeof rq + rq.args_size);
  std::memcpy(msg.data(), &rq, sizeof rq);
  if (rq.args_size) std::memcpy(msg.data() + sizeof rq, args, rq.args_size);
  if (send(d.sock, msg.data(), msg.size(), 0) != static_cast<ssize_t>(msg.size()) ||
      recv(d.sock, &reply, sizeof reply, 0) != static_cast<ssize_t>(sizeof reply)) {
    d.sticky = kLaunchFailure;
    return fail(kLaunchFailure, "the device process is gone");
  }
  return reply.status;
}

bool single_threaded() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return true;
  char line[256];
  int threads = 1;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "Threads:", 8) == 0) threads = std::atoi(line + 8);
  std::fclose(f);
  return threads == 1;
}

__attribute__((constructor(101))) void start_device() {
  Device& d = dev();
  d.eager = std::getenv("CUFRAME_VIRTUAL_GPU_MODE") && std::string(std::getenv("CUFRAME_VIRTUAL_GPU_MODE")) == "eager";
  if (!single_threaded()) {
    d.why = "libcuda.so.1 (virtual) was loaded into a running multi-threaded process: link it, do not dlopen it late";
    return;
  }
  d.memfd = memfd_create("cuframe-virtual-gpu", MFD_CLOEXEC);
  if (d.memfd < 0 || ftruncate(d.memfd, static_cast<off_t>(kSpan)) != 0) {
    d.why = "memfd_create failed";
    return;
  }
  void* base = mmap(nullptr, kSpan, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  void* alias = mmap(nullptr, kSpan, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, d.memfd, 0);
  if (base == MAP_FAILED || alias == MAP_FAILED) {
    d.why = "cannot reserve the device address range";
    return;
  }
  d.base = reinterpret_cast<std::uintptr_t>(base);
  d.alias = reinterpret_cast<std::uintptr_t>(alias);
  d.bump = d.base + kPage;  // no allocation at the very start: null-ish offsets fault
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    d.why = "socketpair failed";
    return;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    d.why = "fork failed";
    return;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    // Hold none of the application's descriptors (a caller waiting on its stdout must
    // not wait for this process): the socket and the memfd to 3 and 4, the rest closed.
    const int devnull = open("/dev/null", O_RDWR);
    const int sock = fcntl(sv[1], F_DUPFD, 10), mem = fcntl(d.memfd, F_DUPFD, 10);  // off 3 and 4 first
    dup2(sock, 3);
    dup2(mem, 4);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    close_range(5, ~0u, 0);
    munmap(alias, kSpan);
    signal(SIGPIPE, SIG_IGN);
    stack_t ss{};
    ss.ss_sp = mmap(nullptr, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ss.ss_size = 1 << 16;
    sigaltstack(&ss, nullptr);
    struct sigaction sa{};
    sa.sa_sigaction = child::on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
    child::serve(3, 4, d.base);
  }
  close(sv[1]);
  d.sock = sv[0];
  d.child = pid;
  d.owner = parent;
  d.ok = true;
}

// At exit the device process sees its socket close, ends, and is reaped here (after a
// crash it is killed with the application: PR_SET_PDEATHSIG).
__attribute__((destructor(101))) void stop_device() {
  Device& d = dev();
  if (d.child <= 0 || getpid() != d.owner) return;
  std::unique_lock<std::recursive_mutex> hold(lock(), std::try_to_lock);
  if (!hold.owns_lock()) return;  // a thread is still inside the device: PR_SET_PDEATHSIG ends it
  close(d.sock);
  d.sock = -1;
  d.ok = false;
  waitpid(d.child, nullptr, 0);
  d.child = -1;
}

// ------------------------------------------------------------------ helpers (locked)

void* host_view(std::uintptr_t device_ptr) { return reinterpret_cast<void*>(dev().alias + (device_ptr - dev().base)); }

bool is_device(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  return a >= dev().base && a < dev().base + kSpan;
}

// The live allocation holding [p, p + n), or null.
const Allocation* allocation_of(const void* p, std::size_t n) {
  Device& d = dev();
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  auto it = d.allocs.upper_bound(a);
  if (it == d.allocs.begin()) return nullptr;
  --it;
  if (a < it->first || a + n > it->first + it->second.bytes) return nullptr;
  return &it->second;
}

bool is_pinned(const void* p, std::size_t n) {
  Device& d = dev();
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  auto it = d.pinned.upper_bound(a);
  if (it == d.pinned.begin()) return false;
  --it;
  return a >= it->first && a + n <= it->first + it->second;
}

int ready() {
  Device& d = dev();
  if (!d.ok) return kNoDevice;
  return d.sticky;
}

int run_until(Stream& s, std::uint64_t seq);

int run_all(Stream& s) { return run_until(s, s.queued); }

int run_until(Stream& s, std::uint64_t seq) {
  if (s.worker.joinable()) {  // eager: the stream's worker runs it; wait for it
    progress().wait(lock(), [&] { return s.done >= seq; });
    return dev().sticky;
  }
  while (s.done < seq) {
    std::function<int()> op = std::move(s.queue.front());
    s.queue.pop_front();
    ++s.done;
    if (dev().sticky) continue;  // after a sticky error nothing more runs
    const int st = op();
    if (st != kOk && dev().sticky == kOk) return st;
  }
  return dev().sticky;
}

int run_blocking_streams() {
  int st = run_all(dev().legacy);
  for (Stream* s : dev().streams)
    if (!(s->flags & 1)) {
      const int r = run_all(*s);
      if (st == kOk) st = r;
    }
  return st;
}

int run_everything() {
  int st = run_all(dev().legacy);
  for (Stream* s : dev().streams) {
    const int r = run_all(*s);
    if (st == kOk) st = r;
  }
  return st;
}

Stream* stream_of(cfvg_stream s) { return s ? reinterpret_cast<Stream*>(s) : &dev().legacy; }

bool valid_stream(cfvg_stream s) { return !s || dev().streams.count(reinterpret_cast<Stream*>(s)); }

// Queues `op` on `s` (the legacy stream first runs what blocking streams hold, as CUDA's
// implicit synchronization does); eager mode runs it at once.
int enqueue(cfvg_stream s, std::function<int()> op) {
  Stream& st = *stream_of(s);
  if (!s) run_blocking_streams();
  st.queue.push_back(std::move(op));
  ++st.queued;
  if (st.worker.joinable()) {
    progress().notify_all();
    return kOk;
  }
  if (dev().eager || !s) return run_all(st);
  return kOk;
}

// Eager mode: each stream's own worker runs its operations in order as they are queued.
void work(Stream* s) {
  std::unique_lock<std::recursive_mutex> hold(lock());
  for (;;) {
    progress().wait(hold, [&] { return s->stop || s->done < s->queued; });
    if (s->done == s->queued) return;  // stopped, and nothing left
    std::function<int()> op = std::move(s->queue.front());
    s->queue.pop_front();
    if (!dev().sticky) op();  // a kernel's failure is sticky; nothing more runs after it
    ++s->done;
    progress().notify_all();
  }
}

const char* kind_name(int kind) {
  static const char* const n[] = {"HostToHost", "HostToDevice", "DeviceToHost", "DeviceToDevice", "Default"};
  return kind >= 0 && kind <= 4 ? n[kind] : "?";
}

// Checks a copy's direction against where each pointer lives; returns the effective kind.
int check_copy(const char* call, void* dst, const void* src, std::size_t dst_span, std::size_t src_span, int kind,
               int& eff) {
  const bool dd = is_device(dst), sd = is_device(src);
  if (dd && !allocation_of(dst, dst_span))
    return fail(kInvalidValue, std::string(call) + ": the destination range is not inside one live device allocation");
  if (sd && !allocation_of(src, src_span))
    return fail(kInvalidValue, std::string(call) + ": the source range is not inside one live device allocation");
  const int actual = dd ? (sd ? CFVG_D2D : CFVG_H2D) : (sd ? CFVG_D2H : CFVG_H2H);
  if (kind == CFVG_DEFAULT) {
    eff = actual;
    return kOk;
  }
  if (kind < 0 || kind > 4) return fail(kInvalidMemcpyDirection, std::string(call) + ": unknown copy kind");
  if (kind != actual)
    return fail(kInvalidValue, std::string(call) + ": cudaMemcpy" + kind_name(kind) + " but the pointers make it " +
                                   kind_name(actual) + " (the kind must match where each pointer lives)");
  eff = actual;
  return kOk;
}

void* view(void* p) { return is_device(p) ? host_view(reinterpret_cast<std::uintptr_t>(p)) : p; }
const void* view(const void* p) { return view(const_cast<void*>(p)); }

}  // namespace

// ====================================================================== the C interface

extern "C" {

// CUFRAME_VIRTUAL_GPUS=N (1..8): N devices over one address space, with CUDA's cross-device
// rules (a launch or an event record on another device's stream is refused; copies, waits
// on another device's events, queries and synchronizations work).
int cfvg_device_count(void) {
  static const int n = [] {
    const char* v = std::getenv("CUFRAME_VIRTUAL_GPUS");
    const int k = v ? std::atoi(v) : 1;
    return k < 1 ? 1 : (k > 8 ? 8 : k);
  }();
  return dev().ok ? n : 0;
}
const char* cfvg_device_name(int) { return "cuframe virtual GPU (H100 model)"; }

int cfvg_set_device(int device) {
  if (!dev().ok) return kNoDevice;
  if (device < 0 || device >= cfvg_device_count()) return kInvalidDevice;
  t_current_device = device;
  return kOk;
}
int cfvg_get_device(int* device) {
  if (!dev().ok) return kNoDevice;
  *device = t_current_device;
  return kOk;
}

size_t cfvg_total_bytes(int) { return kSpan; }

int cfvg_mem_get_info(size_t* free_bytes, size_t* total_bytes) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  std::size_t avail = 0;
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f))
      if (std::strncmp(line, "MemAvailable:", 13) == 0) avail = std::strtoull(line + 13, nullptr, 10) * 1024;
    std::fclose(f);
  }
  const std::size_t model_free = kSpan > dev().live_bytes ? kSpan - dev().live_bytes : 0;
  *free_bytes = avail ? std::min(model_free, avail) : model_free;
  *total_bytes = kSpan;
  return kOk;
}

int cfvg_malloc(void** ptr, size_t bytes) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  Device& d = dev();
  if (!ptr) return fail(kInvalidValue, "cudaMalloc: null pointer for the result");
  *ptr = nullptr;
  if (bytes == 0) return kOk;
  const std::size_t rounded = (bytes + 255) / 256 * 256;
  const std::size_t pages = (rounded + kPage - 1) / kPage * kPage;
  const std::size_t region_bytes = pages + kPage;  // + guard page
  std::size_t free_bytes = 0, total = 0;
  cfvg_mem_get_info(&free_bytes, &total);
  if (bytes > kSpan || rounded > free_bytes)
    return fail(kMemoryAllocation, "cudaMalloc: out of memory (" + std::to_string(bytes) + " bytes asked, " +
                                       std::to_string(free_bytes) + " free)");
  std::uintptr_t region = 0;
  for (auto it = d.free_regions.begin(); it != d.free_regions.end(); ++it)
    if (it->second >= region_bytes) {
      region = it->first;
      if (it->second > region_bytes) d.free_regions[region + region_bytes] = it->second - region_bytes;
      d.free_regions.erase(it);
      break;
    }
  if (!region) {
    if (d.bump + region_bytes > d.base + kSpan)
      return fail(kMemoryAllocation, "cudaMalloc: the device address range is exhausted");
    region = d.bump;
    d.bump += region_bytes;
  }
  Request rq{};
  rq.op = Op::Map;
  rq.addr = region;
  rq.bytes = pages;
  Reply r{};
  if (talk(rq, nullptr, r) != kOk) return fail(kMemoryAllocation, "cudaMalloc: the device process cannot map memory");
  const std::uintptr_t user = region + pages - rounded;  // the end meets the guard page
  std::memset(host_view(region), 0xA5, pages);
  d.allocs[user] = Allocation{region, pages, bytes};
  d.live_bytes += rounded;
  *ptr = reinterpret_cast<void*>(user);
  return kOk;
}

int cfvg_free(void* ptr) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (!dev().ok) return kNoDevice;
  if (!ptr) return kOk;
  Device& d = dev();
  run_everything();  // cudaFree synchronizes the device
  auto it = d.allocs.find(reinterpret_cast<std::uintptr_t>(ptr));
  if (it == d.allocs.end())
    return fail(kInvalidValue, "cudaFree: not a pointer cudaMalloc returned (or freed twice)");
  const Allocation a = it->second;
  d.allocs.erase(it);
  d.live_bytes -= (a.bytes + 255) / 256 * 256;
  Request rq{};
  rq.op = Op::Unmap;
  rq.addr = a.region;
  rq.bytes = a.region_bytes;
  Reply r{};
  talk(rq, nullptr, r);
  fallocate(d.memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(a.region - d.base),
            static_cast<off_t>(a.region_bytes));
  d.free_regions[a.region] = a.region_bytes + kPage;
  return d.sticky;
}

int cfvg_malloc_host(void** ptr, size_t bytes) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  if (!ptr) return kInvalidValue;
  void* p = mmap(nullptr, std::max<std::size_t>(bytes, 1), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return fail(kMemoryAllocation, "cudaMallocHost: out of memory");
  dev().pinned[reinterpret_cast<std::uintptr_t>(p)] = std::max<std::size_t>(bytes, 1);
  *ptr = p;
  return kOk;
}

int cfvg_free_host(void* ptr) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (!ptr) return kOk;
  run_everything();
  auto it = dev().pinned.find(reinterpret_cast<std::uintptr_t>(ptr));
  if (it == dev().pinned.end()) return fail(kInvalidValue, "cudaFreeHost: not a pointer cudaMallocHost returned");
  munmap(ptr, it->second);
  dev().pinned.erase(it);
  return dev().sticky;
}

int cfvg_pointer_kind(const void* ptr) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (allocation_of(ptr, 1)) return 1;
  if (is_pinned(ptr, 1)) return 2;
  return 0;
}

int cfvg_memcpy(void* dst, const void* src, size_t bytes, int kind, cfvg_stream stream, int async) {
  return cfvg_memcpy2d(dst, bytes, src, bytes, bytes, 1, kind, stream, async);
}

int cfvg_memcpy2d(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height, int kind,
                  cfvg_stream stream, int async) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  if (!valid_stream(stream)) return fail(kInvalidResourceHandle, "cudaMemcpy: not a live stream");
  if (width == 0 || height == 0) return kOk;
  if (width > dpitch || width > spitch) return fail(kInvalidValue, "cudaMemcpy2D: width is larger than a pitch");
  const std::size_t dspan = dpitch * (height - 1) + width, sspan = spitch * (height - 1) + width;
  int eff = 0;
  if (int st = check_copy(async ? "cudaMemcpyAsync" : "cudaMemcpy", dst, src, dspan, sspan, kind, eff)) return st;
  auto copy_rows = [=](const void* from) -> int {
    char* d = static_cast<char*>(view(dst));
    const char* s = static_cast<const char*>(from);
    for (std::size_t y = 0; y < height; ++y) std::memmove(d + y * dpitch, s + y * spitch, width);
    return kOk;
  };
  if (!async) {
    // A synchronous copy orders with the legacy stream and the blocking streams only:
    // work on non-blocking streams that the caller did not wait for is not run.
    if (int st = run_blocking_streams()) return st;
    return copy_rows(view(src));
  }
  const bool pageable_dst = eff == CFVG_D2H && !is_pinned(dst, dspan);
  const bool pageable_src = eff == CFVG_H2D && !is_pinned(src, sspan);
  if (pageable_dst) {
    // Device to pageable host: returns when the copy is done (CUDA's documented behaviour).
    Stream& s = *stream_of(stream);
    if (int st = run_all(s)) return st;
    return copy_rows(view(src));
  }
  if (pageable_src) {
    // Pageable host to device: staged now, copied in stream order.
    auto staged = std::make_shared<std::vector<char>>(sspan);
    std::memcpy(staged->data(), src, sspan);
    return enqueue(stream, [=] { return copy_rows(staged->data()); });
  }
  return enqueue(stream, [=] { return copy_rows(view(src)); });
}

int cfvg_memset(void* dst, int value, size_t bytes, cfvg_stream stream, int async) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  if (!valid_stream(stream)) return fail(kInvalidResourceHandle, "cudaMemset: not a live stream");
  if (bytes == 0) return kOk;
  if (!allocation_of(dst, bytes))
    return fail(kInvalidValue, "cudaMemset: the range is not inside one live device allocation");
  auto op = [=]() -> int {
    std::memset(view(dst), value, bytes);
    return kOk;
  };
  if (!async) {
    if (int st = run_blocking_streams()) return st;
    return op();
  }
  return enqueue(stream, op);
}

int cfvg_stream_create(cfvg_stream* stream, unsigned flags) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  auto* s = new Stream;
  s->flags = flags;
  s->device = t_current_device;
  if (dev().eager) s->worker = std::thread(work, s);
  dev().streams.insert(s);
  *stream = reinterpret_cast<cfvg_stream>(s);
  return kOk;
}

int cfvg_stream_destroy(cfvg_stream stream) {
  std::unique_lock<std::recursive_mutex> hold(lock());
  if (!stream || !dev().streams.count(reinterpret_cast<Stream*>(stream)))
    return fail(kInvalidResourceHandle, "cudaStreamDestroy: not a live stream");
  Stream* s = reinterpret_cast<Stream*>(stream);
  // Work queued before the destroy still completes (CUDA's documented behaviour).
  run_all(*s);
  for (Event* e : dev().events)
    if (e->stream == s) e->stream = nullptr;  // its record already ran
  dev().streams.erase(s);
  std::thread worker = std::move(s->worker);
  s->stop = true;
  progress().notify_all();
  hold.unlock();
  if (worker.joinable()) worker.join();
  delete s;
  return dev().sticky;
}

int cfvg_stream_synchronize(cfvg_stream stream) {
  if (in_callback("x"))
    return fail(800, std::string("cuStreamSynchronize / cudaStreamSynchronize inside the NVDEC parser's ") + t_callback +
                         " callback: no host synchronization in a parser callback (DESIGN.md; map, copy on the "
                         "caller's stream and unmap after an event instead)");
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (!dev().ok) return kNoDevice;
  if (!valid_stream(stream)) return fail(kInvalidResourceHandle, "cudaStreamSynchronize: not a live stream");
  if (!stream) return run_blocking_streams();
  return run_all(*stream_of(stream));
}

int cfvg_stream_query(cfvg_stream stream) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  if (!valid_stream(stream)) return fail(kInvalidResourceHandle, "cudaStreamQuery: not a live stream");
  Stream& s = *stream_of(stream);
  if (s.done == s.queued) return kOk;
  // Progress: one operation per query, so that a polling loop ends.
  if (int st = run_until(s, s.done + 1)) return st;
  return s.done == s.queued ? kOk : kNotReady;
}

int cfvg_stream_wait_event(cfvg_stream stream, cfvg_event event) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  if (!valid_stream(stream)) return fail(kInvalidResourceHandle, "cudaStreamWaitEvent: not a live stream");
  Event* e = reinterpret_cast<Event*>(event);
  if (!e || !dev().events.count(e)) return fail(kInvalidResourceHandle, "cudaStreamWaitEvent: not a live event");
  if (!e->recorded || !e->stream) return kOk;  // nothing captured: no wait
  Stream* other = e->stream;
  const std::uint64_t seq = e->seq;
  return enqueue(stream, [other, seq]() -> int {
    if (!dev().streams.count(other)) return kOk;
    return run_until(*other, seq);
  });
}

int cfvg_device_synchronize(void) {
  if (in_callback("x"))
    return fail(800, std::string("cuCtxSynchronize / cudaDeviceSynchronize inside the NVDEC parser's ") + t_callback +
                         " callback: no host synchronization in a parser callback (DESIGN.md; map, copy on the "
                         "caller's stream and unmap after an event instead)");
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (!dev().ok) return kNoDevice;
  return run_everything();
}

int cfvg_event_create(cfvg_event* event, unsigned flags) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  auto* e = new Event;
  e->timing = !(flags & 2);  // cudaEventDisableTiming
  dev().events.insert(e);
  *event = reinterpret_cast<cfvg_event>(e);
  return kOk;
}

int cfvg_event_destroy(cfvg_event event) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  Event* e = reinterpret_cast<Event*>(event);
  if (!e || !dev().events.count(e)) return fail(kInvalidResourceHandle, "cudaEventDestroy: not a live event");
  dev().events.erase(e);
  delete e;
  return kOk;
}

int cfvg_event_record(cfvg_event event, cfvg_stream stream) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  Event* e = reinterpret_cast<Event*>(event);
  if (!e || !dev().events.count(e)) return fail(kInvalidResourceHandle, "cudaEventRecord: not a live event");
  if (!valid_stream(stream)) return fail(kInvalidResourceHandle, "cudaEventRecord: not a live stream");
  Stream* s = stream_of(stream);
  if (stream && s->device != t_current_device)
    return fail(kInvalidResourceHandle, "cudaEventRecord on a stream of device " + std::to_string(s->device) +
                                            " while device " + std::to_string(t_current_device) +
                                            " is current (record on the current device's streams)");
  const std::uint64_t gen = ++e->generation;
  e->recorded = true;
  e->time_ms = -1;
  s->queue.push_back([e, gen]() -> int {
    if (dev().events.count(e) && e->generation == gen)
      e->time_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - dev().t0).count();
    return kOk;
  });
  e->seq = ++s->queued;
  e->stream = s;
  if (s->worker.joinable())
    progress().notify_all();
  else if (dev().eager || !stream)
    run_all(*s);
  return kOk;
}

int cfvg_event_synchronize(cfvg_event event) {
  if (in_callback("x"))
    return fail(800, std::string("cuEventSynchronize / cudaEventSynchronize inside the NVDEC parser's ") + t_callback +
                         " callback: no host synchronization in a parser callback (DESIGN.md; map, copy on the "
                         "caller's stream and unmap after an event instead)");
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (!dev().ok) return kNoDevice;
  Event* e = reinterpret_cast<Event*>(event);
  if (!e || !dev().events.count(e)) return fail(kInvalidResourceHandle, "cudaEventSynchronize: not a live event");
  if (!e->recorded || !e->stream) return dev().sticky;
  return run_until(*e->stream, e->seq);
}

int cfvg_event_query(cfvg_event event) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  Event* e = reinterpret_cast<Event*>(event);
  if (!e || !dev().events.count(e)) return fail(kInvalidResourceHandle, "cudaEventQuery: not a live event");
  if (!e->recorded || !e->stream || e->stream->done >= e->seq) return kOk;
  if (int st = run_until(*e->stream, e->stream->done + 1)) return st;  // progress, one operation a query
  return e->stream->done >= e->seq ? kOk : kNotReady;
}

int cfvg_event_elapsed(float* ms, cfvg_event start, cfvg_event end) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  Event* a = reinterpret_cast<Event*>(start);
  Event* b = reinterpret_cast<Event*>(end);
  if (!a || !b || !dev().events.count(a) || !dev().events.count(b))
    return fail(kInvalidResourceHandle, "cudaEventElapsedTime: not a live event");
  if (!a->timing || !b->timing)
    return fail(kInvalidResourceHandle, "cudaEventElapsedTime: an event was created with cudaEventDisableTiming");
  if (a->time_ms < 0 || b->time_ms < 0) return kNotReady;
  *ms = static_cast<float>(b->time_ms - a->time_ms);
  return kOk;
}

int cfvg_launch(cfvg_thread_fn thread, const void* args, size_t args_size, const unsigned grid[3],
                const unsigned block[3], size_t shared_bytes, cfvg_stream stream, const char* kernel_id) {
  std::lock_guard<std::recursive_mutex> hold(lock());
  if (int st = ready()) return st;
  const std::string k = kernel_id ? kernel_id : "?";
  const unsigned long threads = static_cast<unsigned long>(block[0]) * block[1] * block[2];
  if (!valid_stream(stream)) return fail(kInvalidResourceHandle, "launch of " + k + ": not a live stream");
  if (threads == 0 || grid[0] == 0 || grid[1] == 0 || grid[2] == 0)
    return fail(kInvalidConfiguration, "launch of " + k + ": a grid or block dimension is 0");
  if (threads > kMaxThreadsPerBlock || block[2] > 64)
    return fail(kInvalidConfiguration, "launch of " + k + ": " + std::to_string(threads) +
                                           " threads per block (sm_90 allows at most 1024, and block z at most 64)");
  if (grid[0] > kMaxGridX || grid[1] > kMaxGridYZ || grid[2] > kMaxGridYZ)
    return fail(kInvalidConfiguration, "launch of " + k + ": grid (" + std::to_string(grid[0]) + ", " +
                                           std::to_string(grid[1]) + ", " + std::to_string(grid[2]) +
                                           ") over sm_90's limit (x < 2^31, y and z at most 65535)");
  if (shared_bytes > kMaxSharedPerBlock)
    return fail(kInvalidValue, "launch of " + k + ": " + std::to_string(shared_bytes) +
                                   " bytes of shared memory per block (at most 48 KiB without the opt-in)");
  if (args_size > kMaxArgs) return fail(kInvalidValue, "launch of " + k + ": kernel arguments over 64 KiB");
  if (stream == nullptr)
    return fail(kInvalidValue, "launch of " + k + " on the default stream (cuframe never uses it)");
  if (reinterpret_cast<Stream*>(stream)->device != t_current_device)
    return fail(kInvalidResourceHandle, "launch of " + k + " on a stream of device " +
                                            std::to_string(reinterpret_cast<Stream*>(stream)->device) + " while device " +
                                            std::to_string(t_current_device) + " is current (cudaSetDevice first)");
  auto blob = std::make_shared<std::vector<char>>(static_cast<const char*>(args),
                                                  static_cast<const char*>(args) + args_size);
  Request rq{};
  rq.op = Op::Launch;
  rq.thread = thread;
  for (int i = 0; i < 3; ++i) {
    rq.grid[i] = grid[i];
    rq.block[i] = block[i];
  }
  rq.args_size = args_size;
  std::snprintf(rq.kernel, sizeof rq.kernel, "%s", k.c_str());
  return enqueue(stream, [rq, blob]() -> int {
    Reply r{};
    const int st = talk(rq, blob->data(), r);
    if (st != kOk) {
      dev().sticky = st;
      return fail(st, r.message[0] ? r.message : "kernel failed");
    }
    return kOk;
  });
}

cfvg_thread_indices* cfvg_thread_state(void) { return &child::g_idx; }

void cfvg_syncthreads(void) {
  if (child::g_current < 0) {
    child::g_barrier_in_direct = true;
    return;
  }
  child::Fiber& f = child::fibers()[static_cast<std::size_t>(child::g_current)];
  f.waiting_for = child::g_barrier_generation;
  swapcontext(&f.ctx, &child::g_scheduler);
}

void cfvg_callback_scope(const char* name) { t_callback = name; }

int cfvg_sticky_error(void) { return dev().sticky; }
const char* cfvg_last_message(void) { return dev().message.c_str(); }

}  // extern "C"

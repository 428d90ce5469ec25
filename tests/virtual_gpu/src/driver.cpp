// The CUDA driver API of the virtual libcuda.so.1: every symbol ffnvcodec's
// cuda_load_functions loads (plus cuDriverGetVersion, cuDeviceTotalMem_v2 and a few the
// engine may call), implemented over the virtual device's cfvg_* calls (vgpu.h).
//
// The device models an H100 SXM (sm_90, 132 SMs; cuDeviceGetAttribute answers only the
// attributes in its table). Like the real driver, every call but cuDriverGetVersion and
// cuGetError* needs cuInit first, and memory, stream and event calls need a current
// context. Only primary contexts exist (cuCtxCreate/cuCtxDestroy are not supported).
// Not supported (CUDA_ERROR_NOT_SUPPORTED): kernels and modules (cuLaunchKernel,
// cuModule*, cuLink*), arrays, mipmapped arrays and texture objects, managed memory,
// stream callbacks, graphics interop (GL, D3D11, EGL), external memory and semaphores.
#include <ffnvcodec/dynlink_cuda.h>

#include "cuframe_vgpu/vgpu.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

namespace {

constexpr CUresult result(int v) { return static_cast<CUresult>(v); }

constexpr CUresult kInvalidValue = result(1);
constexpr CUresult kOutOfMemory = result(2);
constexpr CUresult kNotInitialized = result(3);
constexpr CUresult kNoDevice = result(100);
constexpr CUresult kInvalidDevice = result(101);
constexpr CUresult kInvalidContext = result(201);
constexpr CUresult kContextIsDestroyed = result(709);
constexpr CUresult kNotSupported = result(801);

// cudaError_t (what cfvg_* return) to CUresult.
CUresult from_vgpu(int e) {
  switch (e) {
    case 0: return CUDA_SUCCESS;
    case 1: return kInvalidValue;
    case 2: return kOutOfMemory;
    case 3: return kNotInitialized;
    case 9: return kInvalidValue;   // cudaErrorInvalidConfiguration
    case 21: return kInvalidValue;  // cudaErrorInvalidMemcpyDirection
    case 100: case 101: case 400: case 600: case 700: case 719: case 800: case 801: return result(e);
    default: return CUDA_ERROR_UNKNOWN;
  }
}

std::atomic<bool> g_initialised{false};

constexpr int kMaxDevices = 8;

}  // namespace

// A primary context: one per device, never destroyed.
struct CUctx_st {
  CUdevice device = 0;
  int retains = 0;
  unsigned flags = 0;
};

namespace {

std::mutex g_ctx_mutex;
CUctx_st g_primary[kMaxDevices];
thread_local std::vector<CUcontext> t_ctx_stack;

int device_count() {
  const int n = cfvg_device_count();
  return n < kMaxDevices ? n : kMaxDevices;
}

CUresult check_device(CUdevice dev) {
  if (!g_initialised) return kNotInitialized;
  if (dev < 0 || dev >= device_count()) return kInvalidDevice;
  return CUDA_SUCCESS;
}

bool is_primary(CUcontext ctx) {
  for (const CUctx_st& c : g_primary)
    if (&c == ctx) return true;
  return false;
}

int retains_of(CUcontext ctx) {
  std::lock_guard<std::mutex> hold(g_ctx_mutex);
  return ctx->retains;
}

// A context a thread may make current: a primary context that is retained.
CUresult check_context(CUcontext ctx) {
  if (!ctx || !is_primary(ctx)) return kInvalidContext;
  if (retains_of(ctx) <= 0) return kContextIsDestroyed;
  return CUDA_SUCCESS;
}

// What memory, stream and event calls need: cuInit, and a live current context.
CUresult need_context() {
  if (!g_initialised) return kNotInitialized;
  if (t_ctx_stack.empty()) return kInvalidContext;
  if (retains_of(t_ctx_stack.back()) <= 0) return kContextIsDestroyed;
  return CUDA_SUCCESS;
}

void* ptr(CUdeviceptr p) { return reinterpret_cast<void*>(static_cast<std::uintptr_t>(p)); }
cfvg_stream vs(CUstream s) { return reinterpret_cast<cfvg_stream>(s); }
cfvg_event ve(CUevent e) { return reinterpret_cast<cfvg_event>(e); }

CUresult copy(void* dst, const void* src, size_t bytes, int kind, CUstream stream, int async) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_memcpy(dst, src, bytes, kind, vs(stream), async));
}

// One side of a 2D copy: its first byte and whether it is device memory.
CUresult copy_side(CUmemorytype type, const void* host, CUdeviceptr device, size_t x, size_t y, size_t pitch,
                   const char*& first, bool& on_device) {
  switch (static_cast<int>(type)) {
    case CU_MEMORYTYPE_HOST:
      if (!host) return kInvalidValue;
      first = static_cast<const char*>(host);
      on_device = false;
      break;
    case CU_MEMORYTYPE_DEVICE:
      if (!device) return kInvalidValue;
      first = static_cast<const char*>(ptr(device));
      on_device = true;
      break;
    case CU_MEMORYTYPE_ARRAY:
    case 4:  // CU_MEMORYTYPE_UNIFIED
      return kNotSupported;
    default:
      return kInvalidValue;
  }
  first += y * pitch + x;
  return CUDA_SUCCESS;
}

CUresult copy_2d(const CUDA_MEMCPY2D* c, CUstream stream, int async) {
  if (CUresult r = need_context()) return r;
  if (!c) return kInvalidValue;
  const char* src = nullptr;
  const char* dst = nullptr;
  bool src_dev = false, dst_dev = false;
  if (CUresult r = copy_side(c->srcMemoryType, c->srcHost, c->srcDevice, c->srcXInBytes, c->srcY, c->srcPitch, src,
                             src_dev))
    return r;
  if (CUresult r = copy_side(c->dstMemoryType, c->dstHost, c->dstDevice, c->dstXInBytes, c->dstY, c->dstPitch, dst,
                             dst_dev))
    return r;
  const int kind = src_dev ? (dst_dev ? CFVG_D2D : CFVG_D2H) : (dst_dev ? CFVG_H2D : CFVG_H2H);
  return from_vgpu(cfvg_memcpy2d(const_cast<char*>(dst), c->dstPitch, src, c->srcPitch, c->WidthInBytes, c->Height,
                                 kind, vs(stream), async));
}

struct ErrorText {
  int code;
  const char* name;
  const char* text;
};

constexpr ErrorText kErrors[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {4, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {200, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
    {218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {600, "CUDA_ERROR_NOT_READY", "device not ready"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {702, "CUDA_ERROR_LAUNCH_TIMEOUT", "the launch timed out and was terminated"},
    {709, "CUDA_ERROR_CONTEXT_IS_DESTROYED", "context is destroyed"},
    {716, "CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"},
    {719, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

const ErrorText* error_text(CUresult e) {
  for (const ErrorText& t : kErrors)
    if (t.code == static_cast<int>(e)) return &t;
  return nullptr;
}

}  // namespace

#define CFVG_DRIVER extern "C" CFVG_EXPORT CUresult CUDAAPI

// ------------------------------------------------------------------ initialisation, devices

CFVG_DRIVER cuInit(unsigned int flags) {
  if (flags != 0) return kInvalidValue;
  if (cfvg_device_count() <= 0) return kNoDevice;
  g_initialised = true;
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuDriverGetVersion(int* version) {
  if (!version) return kInvalidValue;
  *version = 13000;
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuDeviceGetCount(int* count) {
  if (!g_initialised) return kNotInitialized;
  if (!count) return kInvalidValue;
  *count = device_count();
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuDeviceGet(CUdevice* device, int ordinal) {
  if (!g_initialised) return kNotInitialized;
  if (!device) return kInvalidValue;
  if (ordinal < 0 || ordinal >= device_count()) return kInvalidDevice;
  *device = ordinal;
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuDeviceGetName(char* name, int len, CUdevice dev) {
  if (CUresult r = check_device(dev)) return r;
  if (!name || len <= 0) return kInvalidValue;
  const char* n = cfvg_device_name(dev);
  const std::size_t room = static_cast<std::size_t>(len) - 1;
  const std::size_t size = std::strlen(n) < room ? std::strlen(n) : room;
  std::memcpy(name, n, size);
  name[size] = '\0';
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuDeviceGetUuid(CUuuid* uuid, CUdevice dev) {
  if (CUresult r = check_device(dev)) return r;
  if (!uuid) return kInvalidValue;
  static constexpr unsigned char kUuid[16] = {0xcf, 0x7a, 0x3e, 0x01, 0x56, 0x90, 0x4d, 0x1b,
                                              0x9e, 0x2c, 0x48, 0x10, 0x00, 0x00, 0x00, 0x00};
  std::memcpy(uuid->bytes, kUuid, sizeof kUuid);
  uuid->bytes[15] = static_cast<char>(dev);
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuDeviceComputeCapability(int* major, int* minor, CUdevice dev) {
  if (CUresult r = check_device(dev)) return r;
  if (!major || !minor) return kInvalidValue;
  *major = 9;
  *minor = 0;
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev) {
  if (CUresult r = check_device(dev)) return r;
  if (!bytes) return kInvalidValue;
  *bytes = cfvg_total_bytes(dev);
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CUdevice dev) {
  if (CUresult r = check_device(dev)) return r;
  if (!pi) return kInvalidValue;
  int v = 0;
  switch (static_cast<int>(attrib)) {
    case 1: v = 1024; break;         // MAX_THREADS_PER_BLOCK
    case 2: v = 1024; break;         // MAX_BLOCK_DIM_X
    case 3: v = 1024; break;         // MAX_BLOCK_DIM_Y
    case 4: v = 64; break;           // MAX_BLOCK_DIM_Z
    case 5: v = 2147483647; break;   // MAX_GRID_DIM_X
    case 6: v = 65535; break;        // MAX_GRID_DIM_Y
    case 7: v = 65535; break;        // MAX_GRID_DIM_Z
    case 8: v = 49152; break;        // MAX_SHARED_MEMORY_PER_BLOCK
    case 10: v = 32; break;          // WARP_SIZE
    case CU_DEVICE_ATTRIBUTE_CLOCK_RATE: v = 1980000; break;
    case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: v = 132; break;
    case CU_DEVICE_ATTRIBUTE_INTEGRATED: v = 0; break;
    case CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY: v = 1; break;
    case CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS: v = 1; break;
    case CU_DEVICE_ATTRIBUTE_PCI_BUS_ID: v = 0; break;
    case CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID: v = 0; break;
    case CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE: v = 2619000; break;
    case CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH: v = 5120; break;
    case CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT: v = 3; break;
    case CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING: v = 1; break;
    case CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID: v = 0; break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: v = 9; break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: v = 0; break;
    default: return kInvalidValue;
  }
  *pi = v;
  return CUDA_SUCCESS;
}

// ------------------------------------------------------------------ contexts

CFVG_DRIVER cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev) {
  if (CUresult r = check_device(dev)) return r;
  if (!pctx) return kInvalidValue;
  std::lock_guard<std::mutex> hold(g_ctx_mutex);
  CUctx_st& c = g_primary[dev];
  c.device = dev;
  ++c.retains;
  *pctx = &c;
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuDevicePrimaryCtxRelease(CUdevice dev) {
  if (CUresult r = check_device(dev)) return r;
  std::lock_guard<std::mutex> hold(g_ctx_mutex);
  if (g_primary[dev].retains <= 0) return kInvalidContext;
  --g_primary[dev].retains;
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuDevicePrimaryCtxRelease_v2(CUdevice dev) { return cuDevicePrimaryCtxRelease(dev); }

CFVG_DRIVER cuDevicePrimaryCtxGetState(CUdevice dev, unsigned int* flags, int* active) {
  if (CUresult r = check_device(dev)) return r;
  if (!flags || !active) return kInvalidValue;
  std::lock_guard<std::mutex> hold(g_ctx_mutex);
  *flags = g_primary[dev].flags;
  *active = g_primary[dev].retains > 0;
  return CUDA_SUCCESS;
}

extern "C" CFVG_EXPORT int cfvg_primary_ctx_retains(int device) {
  if (device < 0 || device >= device_count()) return -1;
  std::lock_guard<std::mutex> hold(g_ctx_mutex);
  return g_primary[device].retains;
}

CFVG_DRIVER cuDevicePrimaryCtxSetFlags(CUdevice dev, unsigned int flags) {
  if (CUresult r = check_device(dev)) return r;
  std::lock_guard<std::mutex> hold(g_ctx_mutex);
  g_primary[dev].flags = flags;
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned int flags) {
  return cuDevicePrimaryCtxSetFlags(dev, flags);
}

CFVG_DRIVER cuDevicePrimaryCtxReset(CUdevice dev) { return check_device(dev); }

CFVG_DRIVER cuDevicePrimaryCtxReset_v2(CUdevice dev) { return cuDevicePrimaryCtxReset(dev); }

CFVG_DRIVER cuCtxCreate_v2(CUcontext*, unsigned int, CUdevice) { return kNotSupported; }
CFVG_DRIVER cuCtxDestroy_v2(CUcontext) { return kNotSupported; }

CFVG_DRIVER cuCtxPushCurrent_v2(CUcontext ctx) {
  if (!g_initialised) return kNotInitialized;
  if (CUresult r = check_context(ctx)) return r;
  t_ctx_stack.push_back(ctx);
  cfvg_set_device(ctx->device);  // the runtime works in the current context, as CUDA's does
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuCtxPopCurrent_v2(CUcontext* pctx) {
  if (!g_initialised) return kNotInitialized;
  if (t_ctx_stack.empty()) return kInvalidContext;
  if (pctx) *pctx = t_ctx_stack.back();
  t_ctx_stack.pop_back();
  if (!t_ctx_stack.empty()) cfvg_set_device(t_ctx_stack.back()->device);
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuCtxGetCurrent(CUcontext* pctx) {
  if (!g_initialised) return kNotInitialized;
  if (!pctx) return kInvalidValue;
  *pctx = t_ctx_stack.empty() ? nullptr : t_ctx_stack.back();
  return CUDA_SUCCESS;
}

// Replaces the top of the stack; null pops it (a no-op on an empty stack).
CFVG_DRIVER cuCtxSetCurrent(CUcontext ctx) {
  if (!g_initialised) return kNotInitialized;
  if (!ctx) {
    if (!t_ctx_stack.empty()) t_ctx_stack.pop_back();
    return CUDA_SUCCESS;
  }
  if (CUresult r = check_context(ctx)) return r;
  if (t_ctx_stack.empty())
    t_ctx_stack.push_back(ctx);
  else
    t_ctx_stack.back() = ctx;
  cfvg_set_device(ctx->device);
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuCtxGetDevice(CUdevice* device) {
  if (CUresult r = need_context()) return r;
  if (!device) return kInvalidValue;
  *device = t_ctx_stack.back()->device;
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuCtxSynchronize(void) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_device_synchronize());
}

CFVG_DRIVER cuCtxSetLimit(CUlimit, size_t) { return need_context(); }

// ------------------------------------------------------------------ memory

CFVG_DRIVER cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize) {
  if (CUresult r = need_context()) return r;
  if (!dptr || bytesize == 0) return kInvalidValue;  // the driver API refuses 0 bytes
  void* p = nullptr;
  if (CUresult r = from_vgpu(cfvg_malloc(&p, bytesize))) return r;
  *dptr = static_cast<CUdeviceptr>(reinterpret_cast<std::uintptr_t>(p));
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuMemAllocPitch_v2(CUdeviceptr* dptr, size_t* pitch, size_t width, size_t height,
                               unsigned int element_size) {
  if (CUresult r = need_context()) return r;
  if (!dptr || !pitch || width == 0 || height == 0) return kInvalidValue;
  if (element_size != 4 && element_size != 8 && element_size != 16) return kInvalidValue;
  const size_t p = (width + 511) / 512 * 512;
  if (p < width || p > SIZE_MAX / height) return kOutOfMemory;
  void* mem = nullptr;
  if (CUresult r = from_vgpu(cfvg_malloc(&mem, p * height))) return r;
  *dptr = static_cast<CUdeviceptr>(reinterpret_cast<std::uintptr_t>(mem));
  *pitch = p;
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuMemFree_v2(CUdeviceptr dptr) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_free(ptr(dptr)));
}

CFVG_DRIVER cuMemAllocManaged(CUdeviceptr*, size_t, unsigned int) { return kNotSupported; }

CFVG_DRIVER cuMemAllocHost_v2(void** pp, size_t bytesize) {
  if (CUresult r = need_context()) return r;
  if (!pp) return kInvalidValue;
  return from_vgpu(cfvg_malloc_host(pp, bytesize));
}

CFVG_DRIVER cuMemFreeHost(void* p) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_free_host(p));
}

CFVG_DRIVER cuMemsetD8Async(CUdeviceptr dst, unsigned char uc, size_t n, CUstream stream) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_memset(ptr(dst), uc, n, vs(stream), 1));
}

CFVG_DRIVER cuMemsetD8_v2(CUdeviceptr dst, unsigned char uc, size_t n) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_memset(ptr(dst), uc, n, nullptr, 0));
}

CFVG_DRIVER cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
  return copy(ptr(dst), ptr(src), bytes, CFVG_DEFAULT, nullptr, 0);
}

CFVG_DRIVER cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream stream) {
  return copy(ptr(dst), ptr(src), bytes, CFVG_DEFAULT, stream, 1);
}

CFVG_DRIVER cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes) {
  return copy(ptr(dst), src, bytes, CFVG_H2D, nullptr, 0);
}

CFVG_DRIVER cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, CUstream stream) {
  return copy(ptr(dst), src, bytes, CFVG_H2D, stream, 1);
}

CFVG_DRIVER cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) {
  return copy(dst, ptr(src), bytes, CFVG_D2H, nullptr, 0);
}

CFVG_DRIVER cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, CUstream stream) {
  return copy(dst, ptr(src), bytes, CFVG_D2H, stream, 1);
}

CFVG_DRIVER cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
  return copy(ptr(dst), ptr(src), bytes, CFVG_D2D, nullptr, 0);
}

CFVG_DRIVER cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream stream) {
  return copy(ptr(dst), ptr(src), bytes, CFVG_D2D, stream, 1);
}

CFVG_DRIVER cuMemcpy2D_v2(const CUDA_MEMCPY2D* pcopy) { return copy_2d(pcopy, nullptr, 0); }

CFVG_DRIVER cuMemcpy2DAsync_v2(const CUDA_MEMCPY2D* pcopy, CUstream stream) { return copy_2d(pcopy, stream, 1); }

// ------------------------------------------------------------------ streams, events

CFVG_DRIVER cuStreamCreate(CUstream* stream, unsigned int flags) {
  if (CUresult r = need_context()) return r;
  if (!stream || (flags & ~1u)) return kInvalidValue;
  cfvg_stream s = nullptr;
  if (CUresult r = from_vgpu(cfvg_stream_create(&s, flags & CU_STREAM_NON_BLOCKING))) return r;
  *stream = reinterpret_cast<CUstream>(s);
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuStreamDestroy_v2(CUstream stream) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_stream_destroy(vs(stream)));
}

CFVG_DRIVER cuStreamSynchronize(CUstream stream) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_stream_synchronize(vs(stream)));
}

CFVG_DRIVER cuStreamQuery(CUstream stream) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_stream_query(vs(stream)));
}

CFVG_DRIVER cuStreamWaitEvent(CUstream stream, CUevent event, unsigned int flags) {
  if (CUresult r = need_context()) return r;
  if (flags != 0) return kInvalidValue;
  return from_vgpu(cfvg_stream_wait_event(vs(stream), ve(event)));
}

CFVG_DRIVER cuStreamAddCallback(CUstream, CUstreamCallback*, void*, unsigned int) { return kNotSupported; }

CFVG_DRIVER cuEventCreate(CUevent* event, unsigned int flags) {
  if (CUresult r = need_context()) return r;
  if (!event || (flags & ~3u)) return kInvalidValue;  // BLOCKING_SYNC | DISABLE_TIMING
  cfvg_event e = nullptr;
  if (CUresult r = from_vgpu(cfvg_event_create(&e, flags & CU_EVENT_DISABLE_TIMING))) return r;
  *event = reinterpret_cast<CUevent>(e);
  return CUDA_SUCCESS;
}

CFVG_DRIVER cuEventDestroy_v2(CUevent event) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_event_destroy(ve(event)));
}

CFVG_DRIVER cuEventRecord(CUevent event, CUstream stream) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_event_record(ve(event), vs(stream)));
}

CFVG_DRIVER cuEventSynchronize(CUevent event) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_event_synchronize(ve(event)));
}

CFVG_DRIVER cuEventQuery(CUevent event) {
  if (CUresult r = need_context()) return r;
  return from_vgpu(cfvg_event_query(ve(event)));
}

CFVG_DRIVER cuEventElapsedTime(float* ms, CUevent start, CUevent end) {
  if (CUresult r = need_context()) return r;
  if (!ms) return kInvalidValue;
  return from_vgpu(cfvg_event_elapsed(ms, ve(start), ve(end)));
}

// ------------------------------------------------------------------ errors

CFVG_DRIVER cuGetErrorName(CUresult error, const char** pstr) {
  if (!pstr) return kInvalidValue;
  const ErrorText* t = error_text(error);
  *pstr = t ? t->name : nullptr;
  return t ? CUDA_SUCCESS : kInvalidValue;
}

CFVG_DRIVER cuGetErrorString(CUresult error, const char** pstr) {
  if (!pstr) return kInvalidValue;
  const ErrorText* t = error_text(error);
  *pstr = t ? t->text : nullptr;
  return t ? CUDA_SUCCESS : kInvalidValue;
}

// ------------------------------------------------------------------ not supported

CFVG_DRIVER cuLaunchKernel(CUfunction, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int,
                           unsigned int, unsigned int, CUstream, void**, void**) {
  return kNotSupported;
}
CFVG_DRIVER cuLinkCreate(unsigned int, CUjit_option*, void**, CUlinkState*) { return kNotSupported; }
CFVG_DRIVER cuLinkAddData(CUlinkState, CUjitInputType, void*, size_t, const char*, unsigned int, CUjit_option*,
                          void**) {
  return kNotSupported;
}
CFVG_DRIVER cuLinkComplete(CUlinkState, void**, size_t*) { return kNotSupported; }
CFVG_DRIVER cuLinkDestroy(CUlinkState) { return kNotSupported; }
CFVG_DRIVER cuModuleLoadData(CUmodule*, const void*) { return kNotSupported; }
CFVG_DRIVER cuModuleUnload(CUmodule) { return kNotSupported; }
CFVG_DRIVER cuModuleGetFunction(CUfunction*, CUmodule, const char*) { return kNotSupported; }
CFVG_DRIVER cuModuleGetGlobal(CUdeviceptr*, size_t*, CUmodule, const char*) { return kNotSupported; }
CFVG_DRIVER cuTexObjectCreate(CUtexObject*, const CUDA_RESOURCE_DESC*, const CUDA_TEXTURE_DESC*,
                              const CUDA_RESOURCE_VIEW_DESC*) {
  return kNotSupported;
}
CFVG_DRIVER cuTexObjectDestroy(CUtexObject) { return kNotSupported; }

CFVG_DRIVER cuGLGetDevices_v2(unsigned int*, CUdevice*, unsigned int, CUGLDeviceList) { return kNotSupported; }
CFVG_DRIVER cuGraphicsGLRegisterImage(CUgraphicsResource*, GLuint, GLenum, unsigned int) { return kNotSupported; }
CFVG_DRIVER cuGraphicsUnregisterResource(CUgraphicsResource) { return kNotSupported; }
CFVG_DRIVER cuGraphicsMapResources(unsigned int, CUgraphicsResource*, CUstream) { return kNotSupported; }
CFVG_DRIVER cuGraphicsUnmapResources(unsigned int, CUgraphicsResource*, CUstream) { return kNotSupported; }
CFVG_DRIVER cuGraphicsSubResourceGetMappedArray(CUarray*, CUgraphicsResource, unsigned int, unsigned int) {
  return kNotSupported;
}
CFVG_DRIVER cuGraphicsResourceGetMappedPointer_v2(CUdeviceptr*, size_t*, CUgraphicsResource) {
  return kNotSupported;
}

CFVG_DRIVER cuImportExternalMemory(CUexternalMemory*, const CUDA_EXTERNAL_MEMORY_HANDLE_DESC*) {
  return kNotSupported;
}
CFVG_DRIVER cuDestroyExternalMemory(CUexternalMemory) { return kNotSupported; }
CFVG_DRIVER cuExternalMemoryGetMappedBuffer(CUdeviceptr*, CUexternalMemory, const CUDA_EXTERNAL_MEMORY_BUFFER_DESC*) {
  return kNotSupported;
}
CFVG_DRIVER cuExternalMemoryGetMappedMipmappedArray(CUmipmappedArray*, CUexternalMemory,
                                                    const CUDA_EXTERNAL_MEMORY_MIPMAPPED_ARRAY_DESC*) {
  return kNotSupported;
}
CFVG_DRIVER cuMipmappedArrayGetLevel(CUarray*, CUmipmappedArray, unsigned int) { return kNotSupported; }
CFVG_DRIVER cuMipmappedArrayDestroy(CUmipmappedArray) { return kNotSupported; }

CFVG_DRIVER cuImportExternalSemaphore(CUexternalSemaphore*, const CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC*) {
  return kNotSupported;
}
CFVG_DRIVER cuDestroyExternalSemaphore(CUexternalSemaphore) { return kNotSupported; }
CFVG_DRIVER cuSignalExternalSemaphoresAsync(const CUexternalSemaphore*, const CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS*,
                                            unsigned int, CUstream) {
  return kNotSupported;
}
CFVG_DRIVER cuWaitExternalSemaphoresAsync(const CUexternalSemaphore*, const CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS*,
                                          unsigned int, CUstream) {
  return kNotSupported;
}

CFVG_DRIVER cuArray3DCreate_v2(CUarray*, const CUDA_ARRAY3D_DESCRIPTOR*) { return kNotSupported; }
CFVG_DRIVER cuArrayDestroy(CUarray) { return kNotSupported; }

CFVG_DRIVER cuEGLStreamProducerConnect(CUeglStreamConnection*, ffnv_EGLStreamKHR, ffnv_EGLint, ffnv_EGLint) {
  return kNotSupported;
}
CFVG_DRIVER cuEGLStreamProducerDisconnect(CUeglStreamConnection*) { return kNotSupported; }
CFVG_DRIVER cuEGLStreamConsumerDisconnect(CUeglStreamConnection*) { return kNotSupported; }
CFVG_DRIVER cuEGLStreamProducerPresentFrame(CUeglStreamConnection*, CUeglFrame, CUstream*) { return kNotSupported; }
CFVG_DRIVER cuEGLStreamProducerReturnFrame(CUeglStreamConnection*, CUeglFrame*, CUstream*) { return kNotSupported; }

CFVG_DRIVER cuD3D11GetDevice(CUdevice*, void*) { return kNotSupported; }
CFVG_DRIVER cuD3D11GetDevices(unsigned int*, CUdevice*, unsigned int, void*, CUd3d11DeviceList) {
  return kNotSupported;
}
CFVG_DRIVER cuGraphicsD3D11RegisterResource(CUgraphicsResource*, void*, unsigned int) { return kNotSupported; }

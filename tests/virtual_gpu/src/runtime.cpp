// cuframe virtual GPU: the CUDA runtime API of the virtual-gpu build (the subset cuframe
// uses, declared in shim/cuda_runtime_api.h), over the virtual device in libcuda.so.1.
// Linked into libcuframe instead of the static cudart, so that the runtime and the driver
// API share one device. Each thread keeps its last error as CUDA does: cudaGetLastError
// returns and clears it; a sticky error (a kernel's illegal address) stays.
#include "cuda_runtime_api.h"

namespace {

thread_local cudaError_t t_last = cudaSuccess;

cudaError_t note(int status) {
  const auto e = static_cast<cudaError_t>(status);
  if (e != cudaSuccess && e != cudaErrorNotReady) t_last = e;
  return e;
}

}  // namespace

extern "C" {

void cuframe_vgpu_set_last_error(cudaError_t error) { note(error); }

cudaError_t cudaGetLastError(void) {
  const int sticky = cfvg_sticky_error();
  const cudaError_t e = t_last;
  t_last = cudaSuccess;
  return sticky ? static_cast<cudaError_t>(sticky) : e;
}

cudaError_t cudaPeekAtLastError(void) {
  const int sticky = cfvg_sticky_error();
  return sticky ? static_cast<cudaError_t>(sticky) : t_last;
}

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInitializationError: return "cudaErrorInitializationError";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    case cudaErrorNotSupported: return "cudaErrorNotSupported";
    default: return "cudaErrorUnknown";
  }
}

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInitializationError: return "initialization error";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    case cudaErrorNotSupported: return "operation not supported";
    default: return "unknown error";
  }
}

cudaError_t cudaDriverGetVersion(int* version) {
  if (!version) return note(cudaErrorInvalidValue);
  *version = cfvg_device_count() > 0 ? 13000 : 0;
  return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int* version) {
  if (!version) return note(cudaErrorInvalidValue);
  *version = 13000;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceCount(int* count) {
  if (!count) return note(cudaErrorInvalidValue);
  *count = cfvg_device_count();
  return *count ? cudaSuccess : note(cudaErrorNoDevice);
}
cudaError_t cudaSetDevice(int device) { return note(cfvg_set_device(device)); }
cudaError_t cudaGetDevice(int* device) { return note(cfvg_get_device(device)); }
cudaError_t cudaDeviceSynchronize(void) { return note(cfvg_device_synchronize()); }
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) { return note(cfvg_mem_get_info(free_bytes, total_bytes)); }
cudaError_t cudaMalloc(void** ptr, size_t bytes) { return note(cfvg_malloc(ptr, bytes)); }
cudaError_t cudaFree(void* ptr) { return note(cfvg_free(ptr)); }
cudaError_t cudaMallocHost(void** ptr, size_t bytes) { return note(cfvg_malloc_host(ptr, bytes)); }
cudaError_t cudaHostAlloc(void** ptr, size_t bytes, unsigned) { return note(cfvg_malloc_host(ptr, bytes)); }
cudaError_t cudaFreeHost(void* ptr) { return note(cfvg_free_host(ptr)); }
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, enum cudaMemcpyKind kind) {
  return note(cfvg_memcpy(dst, src, bytes, kind, nullptr, 0));
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, enum cudaMemcpyKind kind, cudaStream_t stream) {
  return note(cfvg_memcpy(dst, src, bytes, kind, stream, 1));
}
cudaError_t cudaMemcpy2D(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                         enum cudaMemcpyKind kind) {
  return note(cfvg_memcpy2d(dst, dpitch, src, spitch, width, height, kind, nullptr, 0));
}
cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                              enum cudaMemcpyKind kind, cudaStream_t stream) {
  return note(cfvg_memcpy2d(dst, dpitch, src, spitch, width, height, kind, stream, 1));
}
cudaError_t cudaMemset(void* dst, int value, size_t bytes) { return note(cfvg_memset(dst, value, bytes, nullptr, 0)); }
cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream) {
  return note(cfvg_memset(dst, value, bytes, stream, 1));
}
cudaError_t cudaStreamCreate(cudaStream_t* stream) { return note(cfvg_stream_create(stream, 0)); }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags) {
  return note(cfvg_stream_create(stream, flags));
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) { return note(cfvg_stream_destroy(stream)); }
cudaError_t cudaStreamSynchronize(cudaStream_t stream) { return note(cfvg_stream_synchronize(stream)); }
cudaError_t cudaStreamQuery(cudaStream_t stream) { return note(cfvg_stream_query(stream)); }
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned) {
  return note(cfvg_stream_wait_event(stream, event));
}
cudaError_t cudaEventCreate(cudaEvent_t* event) { return note(cfvg_event_create(event, 0)); }
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned flags) { return note(cfvg_event_create(event, flags)); }
cudaError_t cudaEventDestroy(cudaEvent_t event) { return note(cfvg_event_destroy(event)); }
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) { return note(cfvg_event_record(event, stream)); }
cudaError_t cudaEventSynchronize(cudaEvent_t event) { return note(cfvg_event_synchronize(event)); }
cudaError_t cudaEventQuery(cudaEvent_t event) { return note(cfvg_event_query(event)); }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  return note(cfvg_event_elapsed(ms, start, end));
}

}  // extern "C"

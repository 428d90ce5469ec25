/* cuframe virtual GPU — the device's C interface, exported by the virtual libcuda.so.1.
 *
 * The virtual runtime (runtime.cpp, linked into libcuframe in the virtual-gpu build) and
 * the virtual driver API (driver.cpp, in libcuda.so.1 beside this device) are both thin
 * layers over these calls, so a process has one virtual device whichever API it uses.
 * Every call returns a cudaError_t value (0 = success). docs/VIRTUAL_GPU.md says what the
 * device models and what it cannot prove. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CFVG_EXPORT __attribute__((visibility("default")))

typedef struct cfvg_stream_s* cfvg_stream;  /* also the runtime's cudaStream_t and the driver's CUstream */
typedef struct cfvg_event_s* cfvg_event;    /* also cudaEvent_t and CUevent */

/* Memory kinds of a copy (cudaMemcpyKind values). */
enum { CFVG_H2H = 0, CFVG_H2D = 1, CFVG_D2H = 2, CFVG_D2D = 3, CFVG_DEFAULT = 4 };

/* One thread of a kernel: the launch's packed arguments. */
typedef void (*cfvg_thread_fn)(const void* args);

CFVG_EXPORT int cfvg_device_count(void);
CFVG_EXPORT const char* cfvg_device_name(int device);
CFVG_EXPORT int cfvg_set_device(int device);
CFVG_EXPORT int cfvg_get_device(int* device);
CFVG_EXPORT size_t cfvg_total_bytes(int device);
CFVG_EXPORT int cfvg_mem_get_info(size_t* free_bytes, size_t* total_bytes);

CFVG_EXPORT int cfvg_malloc(void** ptr, size_t bytes);
CFVG_EXPORT int cfvg_free(void* ptr);
CFVG_EXPORT int cfvg_malloc_host(void** ptr, size_t bytes);
CFVG_EXPORT int cfvg_free_host(void* ptr);
/* 1 when `ptr` lies in a live device allocation, 2 in pinned host memory, 0 otherwise. */
CFVG_EXPORT int cfvg_pointer_kind(const void* ptr);

/* stream NULL: the legacy default stream (synchronous with respect to the others). */
CFVG_EXPORT int cfvg_memcpy(void* dst, const void* src, size_t bytes, int kind, cfvg_stream stream, int async);
CFVG_EXPORT int cfvg_memcpy2d(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                              int kind, cfvg_stream stream, int async);
CFVG_EXPORT int cfvg_memset(void* dst, int value, size_t bytes, cfvg_stream stream, int async);

CFVG_EXPORT int cfvg_stream_create(cfvg_stream* stream, unsigned flags);
CFVG_EXPORT int cfvg_stream_destroy(cfvg_stream stream);
CFVG_EXPORT int cfvg_stream_synchronize(cfvg_stream stream);
CFVG_EXPORT int cfvg_stream_query(cfvg_stream stream);
CFVG_EXPORT int cfvg_stream_wait_event(cfvg_stream stream, cfvg_event event);
CFVG_EXPORT int cfvg_device_synchronize(void);

CFVG_EXPORT int cfvg_event_create(cfvg_event* event, unsigned flags);
CFVG_EXPORT int cfvg_event_destroy(cfvg_event event);
CFVG_EXPORT int cfvg_event_record(cfvg_event event, cfvg_stream stream);
CFVG_EXPORT int cfvg_event_synchronize(cfvg_event event);
CFVG_EXPORT int cfvg_event_query(cfvg_event event);
CFVG_EXPORT int cfvg_event_elapsed(float* ms, cfvg_event start, cfvg_event end);

/* A kernel launch: `thread` runs once per thread of grid x block on the device process,
 * with `args` (args_size bytes, copied now) and the thread's indices set
 * (cfvg_thread_state()). Launch-limit violations return cudaErrorInvalidConfiguration /
 * cudaErrorInvalidValue and queue nothing. `kernel_id` names the kernel in messages. */
CFVG_EXPORT int cfvg_launch(cfvg_thread_fn thread, const void* args, size_t args_size, const unsigned grid[3],
                            const unsigned block[3], size_t shared_bytes, cfvg_stream stream, const char* kernel_id);

/* The indices of the running kernel thread (device process only). */
typedef struct {
  unsigned thread_idx[3], block_idx[3], block_dim[3], grid_dim[3];
} cfvg_thread_indices;
CFVG_EXPORT cfvg_thread_indices* cfvg_thread_state(void);
/* __syncthreads() of the running kernel thread. */
CFVG_EXPORT void cfvg_syncthreads(void);

/* Marks the calling thread as inside a callback of the virtual NVDEC parser (`name`, e.g.
 * "display"), or outside it (NULL). A stream, event, context or device synchronization
 * there fails with cudaErrorNotPermitted (800): DESIGN.md forbids host waits inside parser
 * callbacks — stricter than the hardware, which only stalls. */
CFVG_EXPORT void cfvg_callback_scope(const char* name);

/* The sticky error (cudaErrorIllegalAddress, cudaErrorLaunchFailure) once a kernel broke a
 * rule; 0 before. Every later call returns it. */
CFVG_EXPORT int cfvg_sticky_error(void);
/* The last rule a check named ("" when none), for messages. */
CFVG_EXPORT const char* cfvg_last_message(void);

/* For tests (driver.cpp): the retains device `device`'s primary context holds now —
 * cuDevicePrimaryCtxRetain calls minus cuDevicePrimaryCtxRelease calls — or -1 when there
 * is no such device. A user that throws from its constructor must leave it as it found it. */
CFVG_EXPORT int cfvg_primary_ctx_retains(int device);

#ifdef __cplusplus
}
#endif

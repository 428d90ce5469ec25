// cuframe/check.hpp — the one check macro for CUDA, driver, NVDEC and NVENC calls.
//
//   CUFRAME_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToDevice, stream));
//
// On failure it throws cuframe::Error whose subject is the call and its source location
// and whose reason is the status decoded to text. The overloads of
// cuframe::detail::check() for each status type live with the code that includes the
// matching SDK header (cudaError_t: cuda_check.hpp; CUresult, NVENCSTATUS:
// engine/src/nv/api.hpp), so this header needs none of them. FFmpeg calls return plain ints
// and carry a file name instead: see detail::av_check().
#pragma once

#define CUFRAME_CHECK(call) ::cuframe::detail::check((call), #call, __FILE__, __LINE__)

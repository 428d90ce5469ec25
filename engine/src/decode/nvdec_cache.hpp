// Internal: NVDEC decoder objects kept for reuse across sessions (Note [Decoder cache]).
//
// Note [Decoder cache]: creating a decoder costs tens of milliseconds, so a session that
// ended cleanly (its end of stream parsed, no error) hands its decoder back here, and the
// next session on the same device takes it only on an exact match of everything the
// decoder was created with (codec, chroma, depth, output format, coded size, display
// area, target size, surfaces): a decoder taken from the cache is never reconfigured.
// A session that failed destroys its decoder instead. CUFRAME_NVDEC_CACHE=0 switches the
// cache off (every session creates and destroys its own), so a GPU run can tell cache
// bugs from decode bugs. At most kPerDevice decoders per device are kept; the cache never
// calls the driver during static destruction (it is never destroyed).
#pragma once

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include "nv/api.hpp"

namespace cuframe::detail {

struct NvdecKey {
  int device = 0;
  cudaVideoCodec codec = cudaVideoCodec_H264;
  cudaVideoChromaFormat chroma = cudaVideoChromaFormat_420;
  unsigned depth_minus8 = 0;
  cudaVideoSurfaceFormat output = cudaVideoSurfaceFormat_NV12;
  unsigned coded_width = 0, coded_height = 0;
  int left = 0, top = 0, right = 0, bottom = 0;  // display area (even-sized, Note [NVDEC flow])
  unsigned target_width = 0, target_height = 0;
  unsigned surfaces = 0;
  bool operator==(const NvdecKey&) const = default;
};

class NvdecDecoderCache {
 public:
  static constexpr std::size_t kPerDevice = 4;

  static NvdecDecoderCache& get() {
    static auto* cache = new NvdecDecoderCache;  // never destroyed: no driver calls at exit
    return *cache;
  }
  static bool enabled() {
    const char* v = std::getenv("CUFRAME_NVDEC_CACHE");
    return !(v && std::strcmp(v, "0") == 0);
  }
  /// A cached decoder created exactly as `key` says, or nullptr.
  CUvideodecoder take(const NvdecKey& key) {
    if (!enabled()) return nullptr;
    std::lock_guard lock(m_);
    for (auto it = items_.begin(); it != items_.end(); ++it)
      if (it->key == key) {
        CUvideodecoder d = it->handle;
        items_.erase(it);
        return d;
      }
    return nullptr;
  }
  /// Keeps `handle` (created as `key`) for the next session; destroys it when the cache is
  /// off, or the oldest of its device when that device has kPerDevice. The caller has the
  /// device's primary context current.
  void give(const NvdecKey& key, CUvideodecoder handle) {
    if (!enabled()) {
      nv_api().cuvid->cuvidDestroyDecoder(handle);
      return;
    }
    std::lock_guard lock(m_);
    items_.push_back({key, handle});
    std::size_t same = 0;
    for (const Item& i : items_) same += i.key.device == key.device;
    for (auto it = items_.begin(); same > kPerDevice && it != items_.end();) {
      if (it->key.device == key.device) {
        nv_api().cuvid->cuvidDestroyDecoder(it->handle);
        it = items_.erase(it);
        --same;
      } else {
        ++it;
      }
    }
  }

 private:
  struct Item {
    NvdecKey key;
    CUvideodecoder handle;
  };
  std::mutex m_;
  std::vector<Item> items_;
};

}  // namespace cuframe::detail

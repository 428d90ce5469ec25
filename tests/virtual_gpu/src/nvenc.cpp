// cuframe virtual GPU — the virtual NVENC: libnvidia-encode.so.1 for the virtual-gpu build,
// over the virtual device (vgpu.h) of libcuda.so.1. Video Codec SDK 11.1 API
// (ffnvcodec's nvEncodeAPI.h); see docs/VIRTUAL_GPU.md.
//
// Models:
//   default                  an H100/H200: no NVENC. nvEncOpenEncodeSessionEx fails with
//                            NV_ENC_ERR_UNSUPPORTED_DEVICE (NV_ENC_ERR_NO_ENCODE_DEVICE with
//                            CUFRAME_VIRTUAL_NVENC_ERROR=1).
//   CUFRAME_VIRTUAL_NVENC=1  an L4-class (Ada) NVENC, H.264 and HEVC, that really encodes:
//                            frames are read from device memory through the device (in
//                            the order of the session's input stream) and encoded with
//                            libx264 / libx265 into Annex-B bitstreams.
//
// Validated, each refusal naming the call and the rule (nvEncGetLastErrorString, and one
// stderr line `cuframe virtual NVENC: ...` unless CUFRAME_VIRTUAL_GPU_QUIET is set):
// struct versions, handles (every handle is a unique token: a destroyed, unmapped or
// wrong-kind handle is caught, never reused), call order (initialize once, before
// encoding; nothing after EOS), the parameters against an L4's caps, registration of
// device memory only, map/unmap/unregister state, encoding only mapped inputs
// (NV_ENC_ERR_RESOURCE_NOT_MAPPED), bitstream buffer states (submitted, ready, locked).
//
// Synchronous mode with picture-type decision (the only one modelled): with
// frameIntervalP = B + 1, nvEncEncodePicture returns NV_ENC_ERR_NEED_MORE_INPUT for the B
// pictures before each reference and NV_ENC_SUCCESS on the reference (an IDR, every
// (B+1)-th picture, or EOS), which makes every pending bitstream buffer ready, in
// submission order. Locking a buffer that is not ready is refused (on the hardware it
// would wait forever).
//
// CUFRAME_VIRTUAL_TRACE=FILE appends one JSON object per line for the calls that hold or
// release resources (nvEncRegisterResource, nvEncUnregisterResource, nvEncEncodePicture,
// nvEncLockBitstream, nvEncDestroyEncoder), with the status returned: the tests count
// registrations with it (the virtual NVDEC writes its calls to the same file).
// CUFRAME_VIRTUAL_NVENC_FAIL=CALL@N makes the N-th call (from 1, in the process) of CALL,
// e.g. nvEncEncodePicture@40, return NV_ENC_ERR_GENERIC without doing anything: a planted
// driver failure, to test what the caller leaves behind.
//
// Not modelled: async mode, events, NVENC-allocated input buffers, ME-only mode, output in
// video memory, reconfiguration, LTR, slices, SEI, dynamic resolution (these return
// NV_ENC_ERR_UNIMPLEMENTED or NV_ENC_ERR_UNSUPPORTED_PARAM). B-frames are not in the
// bitstream: libavcodec's encoders delay B-frame output by a constant number of pictures,
// which can never meet NVENC's zero delay at each reference, so libx264/libx265 encode
// every picture (I/IDR or P, zero latency, one thread, deterministic) as it arrives, and
// only NVENC's output cadence is modelled. Quality, speed and rate-control accuracy are
// libx264's/libx265's, not NVENC's.
#include <ffnvcodec/nvEncodeAPI.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cuframe_vgpu/vgpu.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>
#include <libavutil/rational.h>

// The virtual driver's context calls (driver.cpp), used to check the session's CUcontext.
int cuCtxPushCurrent_v2(void* ctx);
int cuCtxPopCurrent_v2(void** ctx);
}

#define CFVE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

// ---- handles: tokens, never addresses ----

enum class Kind : uintptr_t { Session = 1, Registered, Mapped, Bitstream };
std::atomic<uintptr_t> g_next_token{1};

void* make_token(Kind k) { return reinterpret_cast<void*>((static_cast<uintptr_t>(k) << 48) | g_next_token++); }
Kind kind_of(const void* h) { return static_cast<Kind>(reinterpret_cast<uintptr_t>(h) >> 48); }

bool env_on(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

void print(const std::string& msg) {
  if (!env_on("CUFRAME_VIRTUAL_GPU_QUIET")) std::fprintf(stderr, "cuframe virtual NVENC: %s\n", msg.c_str());
}

bool same(const GUID& a, const GUID& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// CUFRAME_VIRTUAL_TRACE=FILE: one JSON object per line (read at each call, so that a test
// may set it in its own process).
void trace(const std::string& json) {
  const char* path = std::getenv("CUFRAME_VIRTUAL_TRACE");
  if (!path || !*path) return;
  static auto* m = new std::mutex;
  static auto* open_path = new std::string;
  static FILE* f = nullptr;
  std::lock_guard hold(*m);
  if (*open_path != path) {
    if (f) std::fclose(f);
    f = std::fopen(path, "a");
    *open_path = path;
  }
  if (!f) return;
  std::fprintf(f, "%s\n", json.c_str());
  std::fflush(f);
}

std::string num(const void* p) { return std::to_string(reinterpret_cast<uintptr_t>(p)); }

// CUFRAME_VIRTUAL_NVENC_FAIL=CALL@N: true for the N-th call of `call` in the process.
bool injected_failure(const char* call) {
  static auto* m = new std::mutex;
  static auto* calls = new std::map<std::string, long>;
  const char* spec = std::getenv("CUFRAME_VIRTUAL_NVENC_FAIL");
  if (!spec || !*spec) return false;
  const std::string s = spec;
  const size_t at = s.find('@');
  if (at == std::string::npos || s.compare(0, at, call) != 0 || at != std::strlen(call)) return false;
  std::lock_guard hold(*m);
  return ++(*calls)[call] == std::atol(s.c_str() + at + 1);
}

// ---- RAII for FFmpeg ----

struct CodecCtxFree {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
using CodecCtx = std::unique_ptr<AVCodecContext, CodecCtxFree>;
using FramePtr = std::unique_ptr<AVFrame, FrameFree>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFree>;

// ---- the L4 model ----

int caps_value(bool hevc, NV_ENC_CAPS c) {
  switch (c) {
    case NV_ENC_CAPS_NUM_MAX_BFRAMES: return hevc ? 5 : 4;
    case NV_ENC_CAPS_SUPPORTED_RATECONTROL_MODES: return 0x3F;
    case NV_ENC_CAPS_SUPPORT_QPELMV: return 1;
    case NV_ENC_CAPS_SUPPORT_BDIRECT_MODE: return hevc ? 0 : 1;
    case NV_ENC_CAPS_SUPPORT_CABAC: return hevc ? 0 : 1;
    case NV_ENC_CAPS_SUPPORT_ADAPTIVE_TRANSFORM: return hevc ? 0 : 1;
    case NV_ENC_CAPS_NUM_MAX_TEMPORAL_LAYERS: return 4;
    case NV_ENC_CAPS_SUPPORT_HIERARCHICAL_PFRAMES: return 1;
    case NV_ENC_CAPS_SUPPORT_HIERARCHICAL_BFRAMES: return 1;
    case NV_ENC_CAPS_LEVEL_MAX: return hevc ? 186 : 62;
    case NV_ENC_CAPS_LEVEL_MIN: return hevc ? 30 : 10;
    case NV_ENC_CAPS_WIDTH_MAX: return hevc ? 8192 : 4096;
    case NV_ENC_CAPS_HEIGHT_MAX: return hevc ? 8192 : 4096;
    case NV_ENC_CAPS_WIDTH_MIN: return hevc ? 129 : 145;
    case NV_ENC_CAPS_HEIGHT_MIN: return hevc ? 33 : 49;
    case NV_ENC_CAPS_SUPPORT_TEMPORAL_SVC: return hevc ? 0 : 1;
    case NV_ENC_CAPS_SUPPORT_DYN_BITRATE_CHANGE: return 1;
    case NV_ENC_CAPS_SUPPORT_DYN_FORCE_CONSTQP: return 1;
    case NV_ENC_CAPS_SUPPORT_CONSTRAINED_ENCODING: return 1;
    case NV_ENC_CAPS_SUPPORT_INTRA_REFRESH: return 1;
    case NV_ENC_CAPS_SUPPORT_CUSTOM_VBV_BUF_SIZE: return 1;
    case NV_ENC_CAPS_SUPPORT_DYNAMIC_SLICE_MODE: return 1;
    case NV_ENC_CAPS_SUPPORT_REF_PIC_INVALIDATION: return 1;
    case NV_ENC_CAPS_MB_NUM_MAX: return hevc ? 8192 * 8192 / 256 : 4096 * 4096 / 256;
    case NV_ENC_CAPS_MB_PER_SEC_MAX: return hevc ? 3932160 : 1966080;
    case NV_ENC_CAPS_SUPPORT_YUV444_ENCODE: return 1;
    case NV_ENC_CAPS_SUPPORT_LOSSLESS_ENCODE: return 1;
    case NV_ENC_CAPS_SUPPORT_SAO: return hevc ? 1 : 0;
    case NV_ENC_CAPS_SUPPORT_MEONLY_MODE: return 1;
    case NV_ENC_CAPS_SUPPORT_LOOKAHEAD: return 1;
    case NV_ENC_CAPS_SUPPORT_TEMPORAL_AQ: return 1;
    case NV_ENC_CAPS_SUPPORT_10BIT_ENCODE: return hevc ? 1 : 0;
    case NV_ENC_CAPS_NUM_MAX_LTR_FRAMES: return hevc ? 7 : 8;
    case NV_ENC_CAPS_SUPPORT_WEIGHTED_PREDICTION: return 1;
    case NV_ENC_CAPS_SUPPORT_BFRAME_REF_MODE: return hevc ? 1 : 2;
    case NV_ENC_CAPS_SUPPORT_MULTIPLE_REF_FRAMES: return 1;
    case NV_ENC_CAPS_NUM_ENCODER_ENGINES: return 2;
    case NV_ENC_CAPS_SINGLE_SLICE_INTRA_REFRESH: return 1;
    default: return 0;  // async encode (Linux), field encoding, MVC, alpha, ...
  }
}

const GUID kPresets[] = {NV_ENC_PRESET_P1_GUID, NV_ENC_PRESET_P2_GUID, NV_ENC_PRESET_P3_GUID, NV_ENC_PRESET_P4_GUID,
                         NV_ENC_PRESET_P5_GUID, NV_ENC_PRESET_P6_GUID, NV_ENC_PRESET_P7_GUID};
const GUID kH264Profiles[] = {NV_ENC_H264_PROFILE_BASELINE_GUID, NV_ENC_H264_PROFILE_MAIN_GUID,
                              NV_ENC_H264_PROFILE_HIGH_GUID, NV_ENC_H264_PROFILE_HIGH_444_GUID,
                              NV_ENC_H264_PROFILE_PROGRESSIVE_HIGH_GUID, NV_ENC_H264_PROFILE_CONSTRAINED_HIGH_GUID};
const GUID kHevcProfiles[] = {NV_ENC_HEVC_PROFILE_MAIN_GUID, NV_ENC_HEVC_PROFILE_MAIN10_GUID,
                              NV_ENC_HEVC_PROFILE_FREXT_GUID};
const NV_ENC_BUFFER_FORMAT kH264Formats[] = {NV_ENC_BUFFER_FORMAT_NV12, NV_ENC_BUFFER_FORMAT_YUV444};
const NV_ENC_BUFFER_FORMAT kHevcFormats[] = {NV_ENC_BUFFER_FORMAT_NV12, NV_ENC_BUFFER_FORMAT_YUV420_10BIT,
                                             NV_ENC_BUFFER_FORMAT_YUV444, NV_ENC_BUFFER_FORMAT_YUV444_10BIT};

int preset_index(const GUID& g) {
  for (int i = 0; i < 7; ++i)
    if (same(g, kPresets[i])) return i;
  return -1;
}

// 0: not a modelled input format; else bytes per sample (1 or 2).
int sample_bytes(NV_ENC_BUFFER_FORMAT f) {
  switch (f) {
    case NV_ENC_BUFFER_FORMAT_NV12:
    case NV_ENC_BUFFER_FORMAT_YUV444: return 1;
    case NV_ENC_BUFFER_FORMAT_YUV420_10BIT:
    case NV_ENC_BUFFER_FORMAT_YUV444_10BIT: return 2;
    default: return 0;
  }
}
bool is444(NV_ENC_BUFFER_FORMAT f) {
  return f == NV_ENC_BUFFER_FORMAT_YUV444 || f == NV_ENC_BUFFER_FORMAT_YUV444_10BIT;
}
// Rows of pitch bytes the surface spans (luma + chroma).
size_t surface_rows(NV_ENC_BUFFER_FORMAT f, uint32_t h) { return is444(f) ? 3 * size_t{h} : size_t{h} + h / 2; }

void fill_preset(bool hevc, int preset, NV_ENC_TUNING_INFO tuning, NV_ENC_CONFIG& c) {
  const uint32_t version = c.version;
  c = NV_ENC_CONFIG{};
  c.version = version;
  c.profileGUID = NV_ENC_CODEC_PROFILE_AUTOSELECT_GUID;
  c.gopLength = 250;
  const bool b = (tuning == NV_ENC_TUNING_INFO_HIGH_QUALITY || tuning == NV_ENC_TUNING_INFO_LOSSLESS) && preset >= 2;
  c.frameIntervalP = b ? 3 : 1;
  c.frameFieldMode = NV_ENC_PARAMS_FRAME_FIELD_MODE_FRAME;
  c.mvPrecision = NV_ENC_MV_PRECISION_QUARTER_PEL;
  NV_ENC_RC_PARAMS& rc = c.rcParams;
  rc.version = NV_ENC_RC_PARAMS_VER;
  if (tuning == NV_ENC_TUNING_INFO_LOSSLESS) {
    rc.rateControlMode = NV_ENC_PARAMS_RC_CONSTQP;
  } else {
    rc.rateControlMode = tuning == NV_ENC_TUNING_INFO_HIGH_QUALITY ? NV_ENC_PARAMS_RC_VBR : NV_ENC_PARAMS_RC_CBR;
    rc.constQP = {28, 31, 25};
    rc.averageBitRate = 5000000;
  }
  const NV_ENC_BFRAME_REF_MODE ref = b ? NV_ENC_BFRAME_REF_MODE_MIDDLE : NV_ENC_BFRAME_REF_MODE_DISABLED;
  if (hevc) {
    NV_ENC_CONFIG_HEVC& h = c.encodeCodecConfig.hevcConfig;
    h.idrPeriod = c.gopLength;
    h.chromaFormatIDC = 1;
    h.useBFramesAsRef = ref;
    h.hevcVUIParameters.videoFormat = 5;
    h.hevcVUIParameters.colourPrimaries = h.hevcVUIParameters.transferCharacteristics = 2;
    h.hevcVUIParameters.colourMatrix = 2;
  } else {
    NV_ENC_CONFIG_H264& h = c.encodeCodecConfig.h264Config;
    h.idrPeriod = c.gopLength;
    h.chromaFormatIDC = 1;
    h.useBFramesAsRef = ref;
    h.h264VUIParameters.videoFormat = 5;
    h.h264VUIParameters.colourPrimaries = h.h264VUIParameters.transferCharacteristics = 2;
    h.h264VUIParameters.colourMatrix = 2;
  }
}

// Keeps the parameter-set NAL units (H.264 SPS/PPS, HEVC VPS/SPS/PPS) of an Annex-B buffer.
std::vector<uint8_t> parameter_sets(const uint8_t* d, size_t n, bool hevc) {
  std::vector<size_t> starts;  // offsets of start codes (3 or 4 bytes)
  for (size_t i = 0; i + 3 <= n; ++i)
    if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) starts.push_back(i > 0 && d[i - 1] == 0 ? i - 1 : i);
  std::vector<uint8_t> out;
  for (size_t k = 0; k < starts.size(); ++k) {
    const size_t s = starts[k], e = k + 1 < starts.size() ? starts[k + 1] : n;
    const size_t hdr = s + (d[s + 2] == 1 ? 3 : 4);
    if (hdr >= e) continue;
    const int type = hevc ? (d[hdr] >> 1) & 0x3F : d[hdr] & 0x1F;
    if (hevc ? (type >= 32 && type <= 34) : (type == 7 || type == 8)) out.insert(out.end(), d + s, d + e);
  }
  return out;
}

// ---- session state ----

struct Registered {
  void* ptr = nullptr;
  uint32_t width = 0, height = 0, pitch = 0;
  NV_ENC_BUFFER_FORMAT format = NV_ENC_BUFFER_FORMAT_UNDEFINED;
  void* mapped = nullptr;  // the live mapping's token, or null
};

enum class BufState { Idle, Pending, Ready, Locked };
struct Bitstream {
  BufState state = BufState::Idle;
  bool has_picture = false;
  std::vector<uint8_t> data;
  uint64_t timestamp = 0, duration = 0;
  uint32_t frame_idx = 0, avg_qp = 0;
  NV_ENC_PIC_TYPE type = NV_ENC_PIC_TYPE_UNKNOWN;
};

struct PictureMeta {
  uint64_t timestamp, duration;
  uint32_t frame_idx;
  bool headers;  // in-band parameter sets before this picture (when it is an IDR)
};

struct Session {
  std::mutex mutex;
  std::string last_error;
  void* cuda_ctx = nullptr;
  void* in_stream = nullptr;
  bool initialized = false, eos = false;
  // configuration
  bool hevc = false, chroma444 = false, ten_bit = false, headers_in_band = true, repeat_headers = false;
  uint32_t width = 0, height = 0, idr_period = 250, interval_p = 1;
  CodecCtx codec;
  std::vector<uint8_t> param_sets;
  // resources
  std::map<void*, Registered> registered;
  std::map<void*, void*> mapped;  // mapped token -> registered token
  std::map<void*, Bitstream> bitstreams;
  // pictures in flight
  uint64_t pictures = 0, since_anchor = 0;
  bool headers_sent = false;
  std::map<int64_t, PictureMeta> meta;  // by AVFrame pts (the picture counter)
  std::deque<void*> pending;            // submitted bitstream buffers, submission order
  std::deque<void*> unfilled;           // those still waiting for their packet

  NVENCSTATUS fail(NVENCSTATUS st, const std::string& msg) {
    last_error = msg;
    print(msg);
    return st;
  }
};

std::mutex g_registry_mutex;
std::map<void*, std::shared_ptr<Session>> g_sessions;
thread_local std::string t_sessionless_error;

NVENCSTATUS fail_sessionless(NVENCSTATUS st, const std::string& msg) {
  t_sessionless_error = msg;
  print(msg);
  return st;
}

std::shared_ptr<Session> find_session(void* enc) {
  std::lock_guard hold(g_registry_mutex);
  auto it = g_sessions.find(enc);
  return it == g_sessions.end() ? nullptr : it->second;
}

// Looks the session up and locks it, or returns the refusal.
#define CFVE_SESSION(call)                                                                                    \
  if (!encoder) return fail_sessionless(NV_ENC_ERR_INVALID_PTR, call ": the encoder handle is null");         \
  std::shared_ptr<Session> sp = find_session(encoder);                                                        \
  if (!sp)                                                                                                    \
    return fail_sessionless(NV_ENC_ERR_INVALID_ENCODERDEVICE,                                                 \
                            call ": not a live encoder session (never opened, or destroyed)");                \
  Session& s = *sp;                                                                                           \
  std::lock_guard session_lock(s.mutex)

#define CFVE_VERSION(p, expected, call, what)                                                                 \
  if (!(p)) return s.fail(NV_ENC_ERR_INVALID_PTR, call ": " what " is null");                                 \
  if ((p)->version != (expected))                                                                             \
    return s.fail(NV_ENC_ERR_INVALID_VERSION, call ": " what "->version is not " #expected)

NVENCSTATUS check_codec(Session& s, const GUID& codec, const char* call, bool& hevc) {
  if (same(codec, NV_ENC_CODEC_H264_GUID)) hevc = false;
  else if (same(codec, NV_ENC_CODEC_HEVC_GUID)) hevc = true;
  else return s.fail(NV_ENC_ERR_INVALID_PARAM, std::string(call) + ": the encode GUID is neither H.264 nor HEVC");
  return NV_ENC_SUCCESS;
}

template <typename T, size_t N>
NVENCSTATUS copy_list(const T (&src)[N], T* dst, uint32_t size, uint32_t* count) {
  uint32_t n = 0;
  for (; n < N && n < size; ++n) dst[n] = src[n];
  *count = n;
  return NV_ENC_SUCCESS;
}

// ---- the API ----

NVENCSTATUS NVENCAPI open_session_ex(NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS* p, void** encoder) {
  const char* call = "nvEncOpenEncodeSessionEx";
  if (!p || !encoder) return fail_sessionless(NV_ENC_ERR_INVALID_PTR, std::string(call) + ": a pointer is null");
  *encoder = nullptr;
  if (p->version != NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER)
    return fail_sessionless(NV_ENC_ERR_INVALID_VERSION,
                            std::string(call) + ": version is not NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER");
  if (p->apiVersion != NVENCAPI_VERSION)
    return fail_sessionless(NV_ENC_ERR_INVALID_VERSION, std::string(call) + ": apiVersion is not NVENCAPI_VERSION (11.1)");
  if (p->deviceType != NV_ENC_DEVICE_TYPE_CUDA)
    return fail_sessionless(NV_ENC_ERR_UNSUPPORTED_DEVICE,
                            std::string(call) + ": deviceType must be NV_ENC_DEVICE_TYPE_CUDA (the only one on Linux)");
  if (!p->device) return fail_sessionless(NV_ENC_ERR_INVALID_DEVICE, std::string(call) + ": device (a CUcontext) is null");
  if (cuCtxPushCurrent_v2(p->device) != 0)
    return fail_sessionless(NV_ENC_ERR_INVALID_DEVICE,
                            std::string(call) + ": device is not a live CUcontext (a retained primary context)");
  void* popped = nullptr;
  cuCtxPopCurrent_v2(&popped);
  if (!env_on("CUFRAME_VIRTUAL_NVENC")) {
    // The H100 model: no NVENC. Not an API misuse: nothing is printed.
    t_sessionless_error = std::string(call) + ": this GPU (H100 model) has no NVENC";
    return env_on("CUFRAME_VIRTUAL_NVENC_ERROR") ? NV_ENC_ERR_NO_ENCODE_DEVICE : NV_ENC_ERR_UNSUPPORTED_DEVICE;
  }
  auto session = std::make_shared<Session>();
  session->cuda_ctx = p->device;
  void* token = make_token(Kind::Session);
  std::lock_guard hold(g_registry_mutex);
  g_sessions.emplace(token, std::move(session));
  *encoder = token;
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI get_guid_count(void* encoder, uint32_t* count) {
  CFVE_SESSION("nvEncGetEncodeGUIDCount");
  if (!count) return s.fail(NV_ENC_ERR_INVALID_PTR, "nvEncGetEncodeGUIDCount: encodeGUIDCount is null");
  *count = 2;
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI get_guids(void* encoder, GUID* guids, uint32_t size, uint32_t* count) {
  CFVE_SESSION("nvEncGetEncodeGUIDs");
  if (!guids || !count) return s.fail(NV_ENC_ERR_INVALID_PTR, "nvEncGetEncodeGUIDs: a pointer is null");
  static const GUID codecs[] = {NV_ENC_CODEC_H264_GUID, NV_ENC_CODEC_HEVC_GUID};
  return copy_list(codecs, guids, size, count);
}

NVENCSTATUS NVENCAPI get_profile_count(void* encoder, GUID codec, uint32_t* count) {
  CFVE_SESSION("nvEncGetEncodeProfileGUIDCount");
  bool hevc = false;
  if (NVENCSTATUS st = check_codec(s, codec, "nvEncGetEncodeProfileGUIDCount", hevc)) return st;
  if (!count) return s.fail(NV_ENC_ERR_INVALID_PTR, "nvEncGetEncodeProfileGUIDCount: the count pointer is null");
  *count = hevc ? std::size(kHevcProfiles) : std::size(kH264Profiles);
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI get_profiles(void* encoder, GUID codec, GUID* guids, uint32_t size, uint32_t* count) {
  CFVE_SESSION("nvEncGetEncodeProfileGUIDs");
  bool hevc = false;
  if (NVENCSTATUS st = check_codec(s, codec, "nvEncGetEncodeProfileGUIDs", hevc)) return st;
  if (!guids || !count) return s.fail(NV_ENC_ERR_INVALID_PTR, "nvEncGetEncodeProfileGUIDs: a pointer is null");
  return hevc ? copy_list(kHevcProfiles, guids, size, count) : copy_list(kH264Profiles, guids, size, count);
}

NVENCSTATUS NVENCAPI get_format_count(void* encoder, GUID codec, uint32_t* count) {
  CFVE_SESSION("nvEncGetInputFormatCount");
  bool hevc = false;
  if (NVENCSTATUS st = check_codec(s, codec, "nvEncGetInputFormatCount", hevc)) return st;
  if (!count) return s.fail(NV_ENC_ERR_INVALID_PTR, "nvEncGetInputFormatCount: inputFmtCount is null");
  *count = hevc ? std::size(kHevcFormats) : std::size(kH264Formats);
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI get_formats(void* encoder, GUID codec, NV_ENC_BUFFER_FORMAT* fmts, uint32_t size,
                                 uint32_t* count) {
  CFVE_SESSION("nvEncGetInputFormats");
  bool hevc = false;
  if (NVENCSTATUS st = check_codec(s, codec, "nvEncGetInputFormats", hevc)) return st;
  if (!fmts || !count) return s.fail(NV_ENC_ERR_INVALID_PTR, "nvEncGetInputFormats: a pointer is null");
  return hevc ? copy_list(kHevcFormats, fmts, size, count) : copy_list(kH264Formats, fmts, size, count);
}

NVENCSTATUS NVENCAPI get_caps(void* encoder, GUID codec, NV_ENC_CAPS_PARAM* p, int* value) {
  CFVE_SESSION("nvEncGetEncodeCaps");
  bool hevc = false;
  if (NVENCSTATUS st = check_codec(s, codec, "nvEncGetEncodeCaps", hevc)) return st;
  CFVE_VERSION(p, NV_ENC_CAPS_PARAM_VER, "nvEncGetEncodeCaps", "capsParam");
  if (!value) return s.fail(NV_ENC_ERR_INVALID_PTR, "nvEncGetEncodeCaps: capsVal is null");
  if (p->capsToQuery < 0 || p->capsToQuery >= NV_ENC_CAPS_EXPOSED_COUNT)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, "nvEncGetEncodeCaps: capsToQuery is not an NV_ENC_CAPS value");
  *value = caps_value(hevc, p->capsToQuery);
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI get_preset_count(void* encoder, GUID codec, uint32_t* count) {
  CFVE_SESSION("nvEncGetEncodePresetCount");
  bool hevc = false;
  if (NVENCSTATUS st = check_codec(s, codec, "nvEncGetEncodePresetCount", hevc)) return st;
  if (!count) return s.fail(NV_ENC_ERR_INVALID_PTR, "nvEncGetEncodePresetCount: the count pointer is null");
  *count = std::size(kPresets);
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI get_presets(void* encoder, GUID codec, GUID* guids, uint32_t size, uint32_t* count) {
  CFVE_SESSION("nvEncGetEncodePresetGUIDs");
  bool hevc = false;
  if (NVENCSTATUS st = check_codec(s, codec, "nvEncGetEncodePresetGUIDs", hevc)) return st;
  if (!guids || !count) return s.fail(NV_ENC_ERR_INVALID_PTR, "nvEncGetEncodePresetGUIDs: a pointer is null");
  return copy_list(kPresets, guids, size, count);
}

NVENCSTATUS preset_config(Session& s, const char* call, GUID codec, GUID preset, NV_ENC_TUNING_INFO tuning,
                          NV_ENC_PRESET_CONFIG* p) {
  bool hevc = false;
  if (NVENCSTATUS st = check_codec(s, codec, call, hevc)) return st;
  const int index = preset_index(preset);
  if (index < 0) return s.fail(NV_ENC_ERR_INVALID_PARAM, std::string(call) + ": the preset GUID is not P1..P7");
  if (tuning <= NV_ENC_TUNING_INFO_UNDEFINED || tuning >= NV_ENC_TUNING_INFO_COUNT)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, std::string(call) + ": tuningInfo is not a defined NV_ENC_TUNING_INFO");
  if (!p) return s.fail(NV_ENC_ERR_INVALID_PTR, std::string(call) + ": presetConfig is null");
  if (p->version != NV_ENC_PRESET_CONFIG_VER)
    return s.fail(NV_ENC_ERR_INVALID_VERSION, std::string(call) + ": presetConfig->version is not NV_ENC_PRESET_CONFIG_VER");
  if (p->presetCfg.version != NV_ENC_CONFIG_VER)
    return s.fail(NV_ENC_ERR_INVALID_VERSION, std::string(call) + ": presetConfig->presetCfg.version is not NV_ENC_CONFIG_VER");
  fill_preset(hevc, index, tuning, p->presetCfg);
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI get_preset_config(void* encoder, GUID codec, GUID preset, NV_ENC_PRESET_CONFIG* p) {
  CFVE_SESSION("nvEncGetEncodePresetConfig");
  return preset_config(s, "nvEncGetEncodePresetConfig", codec, preset, NV_ENC_TUNING_INFO_HIGH_QUALITY, p);
}

NVENCSTATUS NVENCAPI get_preset_config_ex(void* encoder, GUID codec, GUID preset, NV_ENC_TUNING_INFO tuning,
                                          NV_ENC_PRESET_CONFIG* p) {
  CFVE_SESSION("nvEncGetEncodePresetConfigEx");
  return preset_config(s, "nvEncGetEncodePresetConfigEx", codec, preset, tuning, p);
}

// Opens libx264/libx265 for the session's configuration.
NVENCSTATUS open_codec(Session& s, const NV_ENC_INITIALIZE_PARAMS& init, const NV_ENC_CONFIG& c, bool lossless) {
  const char* call = "nvEncInitializeEncoder";
  const AVCodec* codec = avcodec_find_encoder_by_name(s.hevc ? "libx265" : "libx264");
  if (!codec) return s.fail(NV_ENC_ERR_GENERIC, std::string(call) + ": libavcodec has no " + (s.hevc ? "libx265" : "libx264"));
  CodecCtx ctx(avcodec_alloc_context3(codec));
  if (!ctx) return s.fail(NV_ENC_ERR_OUT_OF_MEMORY, std::string(call) + ": out of memory");
  ctx->width = static_cast<int>(s.width);
  ctx->height = static_cast<int>(s.height);
  ctx->pix_fmt = s.chroma444 ? (s.ten_bit ? AV_PIX_FMT_YUV444P10LE : AV_PIX_FMT_YUV444P)
                             : (s.ten_bit ? AV_PIX_FMT_YUV420P10LE : AV_PIX_FMT_YUV420P);
  ctx->time_base = AVRational{static_cast<int>(init.frameRateDen), static_cast<int>(init.frameRateNum)};
  ctx->framerate = AVRational{static_cast<int>(init.frameRateNum), static_cast<int>(init.frameRateDen)};
  ctx->gop_size = static_cast<int>(std::min<uint32_t>(s.idr_period, 1u << 30));
  ctx->max_b_frames = 0;
  ctx->thread_count = 1;
  ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;  // parameter sets placed by us (disableSPSPPS, repeatSPSPPS)
  if (init.darWidth && init.darHeight)
    av_reduce(&ctx->sample_aspect_ratio.num, &ctx->sample_aspect_ratio.den, int64_t{init.darWidth} * s.height,
              int64_t{init.darHeight} * s.width, 1 << 30);
  const NV_ENC_CONFIG_H264_VUI_PARAMETERS& vui =
      s.hevc ? c.encodeCodecConfig.hevcConfig.hevcVUIParameters : c.encodeCodecConfig.h264Config.h264VUIParameters;
  if (vui.videoSignalTypePresentFlag) {
    ctx->color_range = vui.videoFullRangeFlag ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    if (vui.colourDescriptionPresentFlag) {
      ctx->color_primaries = static_cast<AVColorPrimaries>(vui.colourPrimaries);
      ctx->color_trc = static_cast<AVColorTransferCharacteristic>(vui.transferCharacteristics);
      ctx->colorspace = static_cast<AVColorSpace>(vui.colourMatrix);
    }
  }
  if (vui.chromaSampleLocationFlag)
    ctx->chroma_sample_location = static_cast<AVChromaLocation>(vui.chromaSampleLocationTop + 1);

  std::string params = s.hevc ? "bframes=0:rc-lookahead=0:scenecut=0:cutree=0:frame-threads=1:pools=none:"
                                "lookahead-slices=0:info=0:log-level=error"
                              : "bframes=0:rc-lookahead=0:sync-lookahead=0:scenecut=0:mbtree=0";
  const NV_ENC_RC_PARAMS& rc = c.rcParams;
  auto opt = [&](const char* k, const std::string& v) { av_opt_set(ctx->priv_data, k, v.c_str(), 0); };
  if (!s.hevc) opt("tune", "zerolatency");
  opt("forced-idr", "1");
  if (rc.rateControlMode == NV_ENC_PARAMS_RC_CONSTQP) {
    const uint32_t qp = rc.constQP.qpInterP;
    if (lossless && s.hevc) params += ":lossless=1";
    else if (s.hevc) params += ":qp=" + std::to_string(qp);
    else opt("qp", std::to_string(qp));
    if (qp > 0 && rc.constQP.qpIntra != qp)  // I-picture QP through the I/P ratio
      ctx->i_quant_factor = static_cast<float>(std::pow(2.0, (double(rc.constQP.qpIntra) - qp) / 6.0));
  } else if (rc.rateControlMode == NV_ENC_PARAMS_RC_CBR) {
    ctx->bit_rate = ctx->rc_max_rate = rc.averageBitRate;
    ctx->rc_buffer_size = static_cast<int>(rc.vbvBufferSize ? rc.vbvBufferSize : rc.averageBitRate);
  } else if (rc.averageBitRate == 0) {  // VBR with a target quality: constant quality
    const double cq = rc.targetQuality + rc.targetQualityLSB / 256.0;
    opt("crf", std::to_string(cq > 0 ? cq : (s.hevc ? 28.0 : 23.0)));
  } else {
    ctx->bit_rate = rc.averageBitRate;
  }
  if (rc.rateControlMode != NV_ENC_PARAMS_RC_CONSTQP && rc.rateControlMode != NV_ENC_PARAMS_RC_CBR && rc.maxBitRate) {
    ctx->rc_max_rate = rc.maxBitRate;
    ctx->rc_buffer_size = static_cast<int>(rc.vbvBufferSize ? rc.vbvBufferSize : 2ull * rc.maxBitRate);
  }
  opt(s.hevc ? "x265-params" : "x264-params", params);
  if (int e = avcodec_open2(ctx.get(), codec, nullptr); e < 0)
    return s.fail(NV_ENC_ERR_GENERIC, std::string(call) + ": opening " + codec->name + " failed (" +
                                          std::to_string(e) + ") for this configuration");
  s.param_sets = parameter_sets(ctx->extradata, static_cast<size_t>(ctx->extradata_size), s.hevc);
  if (s.param_sets.empty()) return s.fail(NV_ENC_ERR_GENERIC, std::string(call) + ": the encoder gave no parameter sets");
  s.codec = std::move(ctx);
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI initialize(void* encoder, NV_ENC_INITIALIZE_PARAMS* p) {
  CFVE_SESSION("nvEncInitializeEncoder");
  const std::string call = "nvEncInitializeEncoder: ";
  if (s.initialized) return s.fail(NV_ENC_ERR_INVALID_CALL, call + "the session is already initialized (once per session)");
  CFVE_VERSION(p, NV_ENC_INITIALIZE_PARAMS_VER, "nvEncInitializeEncoder", "createEncodeParams");
  bool hevc = false;
  if (NVENCSTATUS st = check_codec(s, p->encodeGUID, "nvEncInitializeEncoder", hevc)) return st;
  const GUID zero{};
  const int preset = same(p->presetGUID, zero) ? 3 : preset_index(p->presetGUID);
  if (preset < 0) return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "presetGUID is not P1..P7");
  const NV_ENC_TUNING_INFO tuning = p->tuningInfo == NV_ENC_TUNING_INFO_UNDEFINED ? NV_ENC_TUNING_INFO_HIGH_QUALITY : p->tuningInfo;
  if (tuning >= NV_ENC_TUNING_INFO_COUNT) return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "tuningInfo is not an NV_ENC_TUNING_INFO");
  if (p->enableEncodeAsync) return s.fail(NV_ENC_ERR_UNSUPPORTED_PARAM, call + "enableEncodeAsync: asynchronous mode is not supported on Linux");
  if (!p->enablePTD) return s.fail(NV_ENC_ERR_UNSUPPORTED_PARAM, call + "enablePTD must be 1 (client picture-type decision is not modelled)");
  if (p->enableMEOnlyMode || p->enableOutputInVidmem || p->enableSubFrameWrite || p->enableExternalMEHints ||
      p->reportSliceOffsets)
    return s.fail(NV_ENC_ERR_UNSUPPORTED_PARAM, call + "ME-only, output in video memory, sub-frame write, ME hints and "
                                                       "slice offsets are not modelled");
  const int wmin = caps_value(hevc, NV_ENC_CAPS_WIDTH_MIN), hmin = caps_value(hevc, NV_ENC_CAPS_HEIGHT_MIN);
  const int wmax = caps_value(hevc, NV_ENC_CAPS_WIDTH_MAX), hmax = caps_value(hevc, NV_ENC_CAPS_HEIGHT_MAX);
  if (p->encodeWidth < uint32_t(wmin) || p->encodeHeight < uint32_t(hmin) || p->encodeWidth > uint32_t(wmax) ||
      p->encodeHeight > uint32_t(hmax))
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "encodeWidth x encodeHeight " + std::to_string(p->encodeWidth) + "x" +
                                                std::to_string(p->encodeHeight) + " is outside " + std::to_string(wmin) +
                                                "x" + std::to_string(hmin) + " .. " + std::to_string(wmax) + "x" +
                                                std::to_string(hmax) + " (NV_ENC_CAPS_WIDTH/HEIGHT_MIN/MAX)");
  if ((p->maxEncodeWidth && p->maxEncodeWidth < p->encodeWidth) || (p->maxEncodeHeight && p->maxEncodeHeight < p->encodeHeight))
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "maxEncodeWidth/Height is below encodeWidth/Height");
  if (p->frameRateNum == 0 || p->frameRateDen == 0 || p->frameRateNum > INT32_MAX || p->frameRateDen > INT32_MAX)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "frameRateNum and frameRateDen must be positive");

  NV_ENC_CONFIG c{};
  if (p->encodeConfig) {
    if (p->encodeConfig->version != NV_ENC_CONFIG_VER)
      return s.fail(NV_ENC_ERR_INVALID_VERSION, call + "encodeConfig->version is not NV_ENC_CONFIG_VER");
    c = *p->encodeConfig;
  } else {
    c.version = NV_ENC_CONFIG_VER;
    fill_preset(hevc, preset, tuning, c);
  }
  const int max_b = caps_value(hevc, NV_ENC_CAPS_NUM_MAX_BFRAMES);
  if (c.frameIntervalP < 0 || c.frameIntervalP > max_b + 1)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "encodeConfig->frameIntervalP " + std::to_string(c.frameIntervalP) +
                                                " is outside 0.." + std::to_string(max_b + 1) + " (NV_ENC_CAPS_NUM_MAX_BFRAMES + 1)");
  if (c.gopLength == 0) return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "encodeConfig->gopLength is 0");
  if (c.frameFieldMode != NV_ENC_PARAMS_FRAME_FIELD_MODE_FRAME)
    return s.fail(NV_ENC_ERR_UNSUPPORTED_PARAM, call + "frameFieldMode must be FRAME (field encoding: NV_ENC_CAPS_SUPPORT_FIELD_ENCODING is 0)");
  NV_ENC_RC_PARAMS& rc = c.rcParams;
  switch (rc.rateControlMode) {
    case NV_ENC_PARAMS_RC_CONSTQP: case NV_ENC_PARAMS_RC_VBR: case NV_ENC_PARAMS_RC_CBR: break;
    case NV_ENC_PARAMS_RC_VBR_HQ: rc.rateControlMode = NV_ENC_PARAMS_RC_VBR; break;  // deprecated aliases
    case NV_ENC_PARAMS_RC_CBR_HQ: case NV_ENC_PARAMS_RC_CBR_LOWDELAY_HQ: rc.rateControlMode = NV_ENC_PARAMS_RC_CBR; break;
    default: return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "rcParams.rateControlMode is not CONSTQP, VBR or CBR");
  }
  if (rc.rateControlMode == NV_ENC_PARAMS_RC_CONSTQP &&
      (rc.constQP.qpInterP > 51 || rc.constQP.qpIntra > 51 || rc.constQP.qpInterB > 51))
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "rcParams.constQP values must be 0..51");
  if (rc.rateControlMode == NV_ENC_PARAMS_RC_CBR && rc.averageBitRate == 0)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "CBR needs rcParams.averageBitRate");
  if (rc.targetQuality > 51) return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "rcParams.targetQuality must be 0..51");
  if (rc.enableLookahead && rc.lookaheadDepth > 32)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "rcParams.lookaheadDepth must be at most 32");

  uint32_t chroma = 0, idr = 0, depth_minus8 = 0, disable_headers = 0, repeat = 0;
  NV_ENC_BFRAME_REF_MODE bref = NV_ENC_BFRAME_REF_MODE_DISABLED;
  if (hevc) {
    const NV_ENC_CONFIG_HEVC& h = c.encodeCodecConfig.hevcConfig;
    chroma = h.chromaFormatIDC, idr = h.idrPeriod, depth_minus8 = h.pixelBitDepthMinus8;
    disable_headers = h.disableSPSPPS, repeat = h.repeatSPSPPS, bref = h.useBFramesAsRef;
    if (same(c.profileGUID, NV_ENC_HEVC_PROFILE_MAIN10_GUID)) depth_minus8 = 2;
  } else {
    const NV_ENC_CONFIG_H264& h = c.encodeCodecConfig.h264Config;
    chroma = h.chromaFormatIDC, idr = h.idrPeriod, disable_headers = h.disableSPSPPS, repeat = h.repeatSPSPPS;
    bref = h.useBFramesAsRef;
  }
  if (chroma == 0) chroma = 1;
  if (chroma != 1 && chroma != 3) return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "chromaFormatIDC must be 1 (4:2:0) or 3 (4:4:4)");
  if (depth_minus8 != 0 && depth_minus8 != 2) return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "pixelBitDepthMinus8 must be 0 or 2");
  const int bref_cap = caps_value(hevc, NV_ENC_CAPS_SUPPORT_BFRAME_REF_MODE);
  if ((bref == NV_ENC_BFRAME_REF_MODE_EACH && bref_cap != 1) || (bref != NV_ENC_BFRAME_REF_MODE_DISABLED && bref_cap == 0) ||
      bref > NV_ENC_BFRAME_REF_MODE_MIDDLE)
    return s.fail(NV_ENC_ERR_UNSUPPORTED_PARAM, call + "useBFramesAsRef is not supported (NV_ENC_CAPS_SUPPORT_BFRAME_REF_MODE is " +
                                                    std::to_string(bref_cap) + ")");
  if (chroma == 1 && (p->encodeWidth % 2 || p->encodeHeight % 2))
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "4:2:0 needs an even encodeWidth and encodeHeight");

  s.hevc = hevc;
  s.chroma444 = chroma == 3;
  s.ten_bit = depth_minus8 == 2;
  s.width = p->encodeWidth;
  s.height = p->encodeHeight;
  s.idr_period = idr ? idr : c.gopLength;
  s.interval_p = rc.zeroReorderDelay ? 1 : static_cast<uint32_t>(std::max(c.frameIntervalP, 1));
  s.headers_in_band = disable_headers == 0;
  s.repeat_headers = repeat != 0;
  const bool lossless = tuning == NV_ENC_TUNING_INFO_LOSSLESS ||
                        (rc.rateControlMode == NV_ENC_PARAMS_RC_CONSTQP && rc.constQP.qpInterP == 0 && !hevc);
  if (NVENCSTATUS st = open_codec(s, *p, c, lossless)) return st;
  s.initialized = true;
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI set_io_streams(void* encoder, NV_ENC_CUSTREAM_PTR in, NV_ENC_CUSTREAM_PTR out) {
  CFVE_SESSION("nvEncSetIOCudaStreams");
  if (!in || !out) return s.fail(NV_ENC_ERR_INVALID_PTR, "nvEncSetIOCudaStreams: inputStream and outputStream point to CUstreams; one is null");
  s.in_stream = *static_cast<void**>(in);  // the CUstream the pointer holds now
  return NV_ENC_SUCCESS;
}

NVENCSTATUS register_resource_checked(void* encoder, NV_ENC_REGISTER_RESOURCE* p) {
  CFVE_SESSION("nvEncRegisterResource");
  const std::string call = "nvEncRegisterResource: ";
  CFVE_VERSION(p, NV_ENC_REGISTER_RESOURCE_VER, "nvEncRegisterResource", "registerResParams");
  if (p->resourceType != NV_ENC_INPUT_RESOURCE_TYPE_CUDADEVICEPTR)
    return s.fail(NV_ENC_ERR_UNIMPLEMENTED, call + "only NV_ENC_INPUT_RESOURCE_TYPE_CUDADEVICEPTR resources are modelled");
  if (p->bufferUsage != NV_ENC_INPUT_IMAGE) return s.fail(NV_ENC_ERR_UNIMPLEMENTED, call + "bufferUsage must be NV_ENC_INPUT_IMAGE");
  const int bps = sample_bytes(p->bufferFormat);
  if (!bps) return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "bufferFormat is not NV12, YUV420_10BIT, YUV444 or YUV444_10BIT");
  if (p->width == 0 || p->height == 0) return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "width and height must be positive");
  if (p->pitch % 4 || p->pitch < p->width * uint32_t(bps))
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "pitch " + std::to_string(p->pitch) +
                                                " must be a multiple of 4 and at least width x bytes per sample");
  const auto* base = static_cast<const uint8_t*>(p->resourceToRegister);
  const size_t last = (surface_rows(p->bufferFormat, p->height) - 1) * p->pitch + size_t{p->width} * bps - 1;
  if (!base || cfvg_pointer_kind(base) != 1)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "resourceToRegister is not device memory (a CUdeviceptr from cuMemAlloc/cudaMalloc)");
  if (cfvg_pointer_kind(base + last) != 1)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "the surface (pitch x rows of the format) runs past its device allocation");
  void* token = make_token(Kind::Registered);
  s.registered[token] = Registered{p->resourceToRegister, p->width, p->height, p->pitch, p->bufferFormat, nullptr};
  p->registeredResource = token;
  return NV_ENC_SUCCESS;
}

NVENCSTATUS unregister_resource_checked(void* encoder, NV_ENC_REGISTERED_PTR res) {
  CFVE_SESSION("nvEncUnregisterResource");
  auto it = s.registered.find(res);
  if (it == s.registered.end())
    return s.fail(NV_ENC_ERR_RESOURCE_NOT_REGISTERED, "nvEncUnregisterResource: not a registered resource of this session");
  if (it->second.mapped)
    return s.fail(NV_ENC_ERR_INVALID_CALL, "nvEncUnregisterResource: the resource is still mapped (nvEncUnmapInputResource first)");
  s.registered.erase(it);
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI map_input(void* encoder, NV_ENC_MAP_INPUT_RESOURCE* p) {
  CFVE_SESSION("nvEncMapInputResource");
  CFVE_VERSION(p, NV_ENC_MAP_INPUT_RESOURCE_VER, "nvEncMapInputResource", "mapInputResParams");
  auto it = s.registered.find(p->registeredResource);
  if (it == s.registered.end())
    return s.fail(NV_ENC_ERR_RESOURCE_NOT_REGISTERED, "nvEncMapInputResource: registeredResource is not a registered resource of this session");
  if (it->second.mapped)
    return s.fail(NV_ENC_ERR_INVALID_CALL, "nvEncMapInputResource: the resource is already mapped (unmap it before mapping it again)");
  void* token = make_token(Kind::Mapped);
  it->second.mapped = token;
  s.mapped[token] = it->first;
  p->mappedResource = token;
  p->mappedBufferFmt = it->second.format;
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI unmap_input(void* encoder, NV_ENC_INPUT_PTR mapped) {
  CFVE_SESSION("nvEncUnmapInputResource");
  auto it = s.mapped.find(mapped);
  if (it == s.mapped.end())
    return s.fail(NV_ENC_ERR_RESOURCE_NOT_MAPPED, "nvEncUnmapInputResource: not a mapped resource of this session (unmapped already?)");
  s.registered[it->second].mapped = nullptr;
  s.mapped.erase(it);
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI create_bitstream(void* encoder, NV_ENC_CREATE_BITSTREAM_BUFFER* p) {
  CFVE_SESSION("nvEncCreateBitstreamBuffer");
  CFVE_VERSION(p, NV_ENC_CREATE_BITSTREAM_BUFFER_VER, "nvEncCreateBitstreamBuffer", "createBitstreamBufferParams");
  if (!s.initialized)
    return s.fail(NV_ENC_ERR_ENCODER_NOT_INITIALIZED, "nvEncCreateBitstreamBuffer: call nvEncInitializeEncoder first");
  void* token = make_token(Kind::Bitstream);
  s.bitstreams[token] = Bitstream{};
  p->bitstreamBuffer = token;
  return NV_ENC_SUCCESS;
}

void forget_pending(Session& s, void* buf) {
  for (auto* q : {&s.pending, &s.unfilled})
    for (auto it = q->begin(); it != q->end();) it = *it == buf ? q->erase(it) : it + 1;
}

NVENCSTATUS NVENCAPI destroy_bitstream(void* encoder, NV_ENC_OUTPUT_PTR buf) {
  CFVE_SESSION("nvEncDestroyBitstreamBuffer");
  auto it = s.bitstreams.find(buf);
  if (it == s.bitstreams.end())
    return s.fail(NV_ENC_ERR_INVALID_PARAM, "nvEncDestroyBitstreamBuffer: not a bitstream buffer of this session");
  if (it->second.state == BufState::Locked)
    return s.fail(NV_ENC_ERR_INVALID_CALL, "nvEncDestroyBitstreamBuffer: the buffer is locked (nvEncUnlockBitstream first)");
  if (it->second.state != BufState::Idle) print("nvEncDestroyBitstreamBuffer: warning: the buffer still held an unread picture");
  forget_pending(s, buf);
  s.bitstreams.erase(it);
  return NV_ENC_SUCCESS;
}

// Moves the encoder's packets into the submitted buffers, in order.
NVENCSTATUS collect(Session& s, const char* call) {
  PacketPtr pkt(av_packet_alloc());
  if (!pkt) return s.fail(NV_ENC_ERR_OUT_OF_MEMORY, std::string(call) + ": out of memory");
  for (;;) {
    const int r = avcodec_receive_packet(s.codec.get(), pkt.get());
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return NV_ENC_SUCCESS;
    if (r < 0) return s.fail(NV_ENC_ERR_GENERIC, std::string(call) + ": the encoder failed (" + std::to_string(r) + ")");
    auto m = s.meta.find(pkt->pts);
    if (s.unfilled.empty() || m == s.meta.end())
      return s.fail(NV_ENC_ERR_GENERIC, std::string(call) + ": internal: a packet without its picture");
    Bitstream& b = s.bitstreams[s.unfilled.front()];
    s.unfilled.pop_front();
    size_t qs_size = 0;
    const uint8_t* qs = av_packet_get_side_data(pkt.get(), AV_PKT_DATA_QUALITY_STATS, &qs_size);
    const bool idr = pkt->flags & AV_PKT_FLAG_KEY;
    b.type = idr ? NV_ENC_PIC_TYPE_IDR
                 : qs && qs_size >= 5 && qs[4] == AV_PICTURE_TYPE_I ? NV_ENC_PIC_TYPE_I
                 : qs && qs_size >= 5 && qs[4] == AV_PICTURE_TYPE_B ? NV_ENC_PIC_TYPE_B : NV_ENC_PIC_TYPE_P;
    b.avg_qp = qs && qs_size >= 4 ? (qs[0] | qs[1] << 8 | qs[2] << 16 | uint32_t(qs[3]) << 24) / FF_QP2LAMBDA : 0;
    b.data.clear();
    const bool headers = s.headers_in_band && idr && (!s.headers_sent || s.repeat_headers || m->second.headers);
    if (headers) b.data = s.param_sets;
    s.headers_sent = s.headers_sent || headers;
    b.data.insert(b.data.end(), pkt->data, pkt->data + pkt->size);
    b.timestamp = m->second.timestamp;
    b.duration = m->second.duration;
    b.frame_idx = m->second.frame_idx;
    b.has_picture = true;
    s.meta.erase(m);
    av_packet_unref(pkt.get());
  }
}

// Every pending buffer becomes lockable (they all hold their pictures by now).
NVENCSTATUS release_pending(Session& s, const char* call) {
  if (!s.unfilled.empty())
    return s.fail(NV_ENC_ERR_GENERIC, std::string(call) + ": internal: the encoder is behind the NVENC output model");
  for (void* b : s.pending) s.bitstreams[b].state = BufState::Ready;
  s.pending.clear();
  s.since_anchor = 0;
  return NV_ENC_SUCCESS;
}

// Reads the mapped surface from device memory (after the work queued on the input stream).
NVENCSTATUS read_frame(Session& s, const Registered& r, AVFrame* f) {
  const char* call = "nvEncEncodePicture";
  const int bps = sample_bytes(r.format);
  const size_t row = size_t{s.width} * bps, rows = surface_rows(r.format, s.height);
  // Contiguous host copy of the used part of each row; the chroma rows start at pitch x height.
  std::vector<uint8_t> host(row * rows);
  const auto* src = static_cast<const uint8_t*>(r.ptr);
  const size_t luma_rows = s.height, chroma_offset = size_t{r.pitch} * r.height;
  const auto stream = static_cast<cfvg_stream>(s.in_stream);
  int st = cfvg_memcpy2d(host.data(), row, src, r.pitch, row, luma_rows, CFVG_D2H, stream, 1);
  if (!st && is444(r.format)) {
    for (int k = 1; k <= 2 && !st; ++k)
      st = cfvg_memcpy2d(host.data() + row * luma_rows * k, row, src + chroma_offset * k, r.pitch, row, luma_rows,
                         CFVG_D2H, stream, 1);
  } else if (!st) {
    st = cfvg_memcpy2d(host.data() + row * luma_rows, row, src + chroma_offset, r.pitch, row, luma_rows / 2, CFVG_D2H,
                       stream, 1);
  }
  if (st)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, std::string(call) + ": reading the input surface from device memory failed: " +
                                                cfvg_last_message());
  // Converts a sample to the encoder's depth (10-bit inputs are MSB-aligned in 16 bits).
  auto sample = [&](size_t offset) -> unsigned {
    if (bps == 1) return s.ten_bit ? unsigned{host[offset]} << 2 : host[offset];
    const unsigned v = host[offset] | unsigned{host[offset + 1]} << 8;
    return s.ten_bit ? v >> 6 : v >> 8;
  };
  auto put = [&](int plane, unsigned x, unsigned y, unsigned v) {
    uint8_t* line = f->data[plane] + size_t(y) * f->linesize[plane];
    if (s.ten_bit) reinterpret_cast<uint16_t*>(line)[x] = static_cast<uint16_t>(v);
    else line[x] = static_cast<uint8_t>(v);
  };
  for (unsigned y = 0; y < s.height; ++y)
    for (unsigned x = 0; x < s.width; ++x) put(0, x, y, sample(y * row + size_t{x} * bps));
  if (is444(r.format)) {
    for (int k = 1; k <= 2; ++k)
      for (unsigned y = 0; y < s.height; ++y)
        for (unsigned x = 0; x < s.width; ++x) put(k, x, y, sample((k * luma_rows + y) * row + size_t{x} * bps));
  } else {
    for (unsigned y = 0; y < s.height / 2; ++y)
      for (unsigned x = 0; x < s.width / 2; ++x) {
        const size_t o = (luma_rows + y) * row + size_t{x} * 2 * bps;
        put(1, x, y, sample(o));
        put(2, x, y, sample(o + bps));
      }
  }
  return NV_ENC_SUCCESS;
}

NVENCSTATUS encode_picture_checked(void* encoder, NV_ENC_PIC_PARAMS* p) {
  CFVE_SESSION("nvEncEncodePicture");
  const std::string call = "nvEncEncodePicture: ";
  CFVE_VERSION(p, NV_ENC_PIC_PARAMS_VER, "nvEncEncodePicture", "encodePicParams");
  if (!s.initialized) return s.fail(NV_ENC_ERR_ENCODER_NOT_INITIALIZED, call + "call nvEncInitializeEncoder first");
  if (p->encodePicFlags & NV_ENC_PIC_FLAG_EOS) {
    if (p->inputBuffer) return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "an EOS picture (NV_ENC_PIC_FLAG_EOS) carries no inputBuffer");
    if (!s.eos) {
      s.eos = true;
      avcodec_send_frame(s.codec.get(), nullptr);
      if (NVENCSTATUS st = collect(s, "nvEncEncodePicture")) return st;
    }
    return release_pending(s, "nvEncEncodePicture");
  }
  if (s.eos) return s.fail(NV_ENC_ERR_INVALID_CALL, call + "a picture after EOS (NV_ENC_PIC_FLAG_EOS ends the stream)");
  if (!p->inputBuffer) return s.fail(NV_ENC_ERR_INVALID_PTR, call + "inputBuffer is null");
  auto mapping = s.mapped.find(p->inputBuffer);
  if (mapping == s.mapped.end()) {
    const Kind k = kind_of(p->inputBuffer);
    const char* why = k == Kind::Registered ? "it is a registered resource, not a mapped one (call nvEncMapInputResource and pass mappedResource)"
                      : k == Kind::Mapped   ? "it was unmapped (nvEncUnmapInputResource) or belongs to another session"
                      : cfvg_pointer_kind(p->inputBuffer) == 1 ? "it is a device pointer (register it, then call nvEncMapInputResource)"
                                                               : "it is not a handle nvEncMapInputResource returned";
    return s.fail(NV_ENC_ERR_RESOURCE_NOT_MAPPED, call + "the input buffer is not mapped: " + why);
  }
  const Registered& r = s.registered[mapping->second];
  auto out = s.bitstreams.find(p->outputBitstream);
  if (out == s.bitstreams.end()) return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "outputBitstream is not a bitstream buffer of this session");
  if (out->second.state != BufState::Idle)
    return s.fail(NV_ENC_ERR_INVALID_CALL, call + "outputBitstream is still in use (submitted, or holding a picture not yet locked and unlocked)");
  if (p->inputWidth != s.width || p->inputHeight != s.height)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "inputWidth x inputHeight must be the encode size (dynamic resolution is not modelled)");
  if (r.width < s.width || r.height < s.height)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "the registered surface is smaller than the encode size");
  if (p->inputPitch && p->inputPitch != r.pitch)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "inputPitch differs from the registered pitch");
  if (p->bufferFmt != r.format)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "bufferFmt differs from the mapped resource's (mappedBufferFmt)");
  if (is444(r.format) != s.chroma444 || (!s.hevc && sample_bytes(r.format) == 2))
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "the input format does not fit the session's chromaFormatIDC / codec");
  if (p->pictureStruct != NV_ENC_PIC_STRUCT_FRAME)
    return s.fail(NV_ENC_ERR_UNSUPPORTED_PARAM, call + "pictureStruct must be NV_ENC_PIC_STRUCT_FRAME");
  if (cfvg_pointer_kind(r.ptr) != 1)
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "the registered device memory was freed");

  FramePtr frame(av_frame_alloc());
  if (!frame) return s.fail(NV_ENC_ERR_OUT_OF_MEMORY, call + "out of memory");
  frame->format = s.codec->pix_fmt;
  frame->width = static_cast<int>(s.width);
  frame->height = static_cast<int>(s.height);
  if (av_frame_get_buffer(frame.get(), 0) < 0) return s.fail(NV_ENC_ERR_OUT_OF_MEMORY, call + "out of memory");
  if (NVENCSTATUS st = read_frame(s, r, frame.get())) return st;

  const bool idr = s.pictures % s.idr_period == 0 || (p->encodePicFlags & (NV_ENC_PIC_FLAG_FORCEIDR | NV_ENC_PIC_FLAG_FORCEINTRA));
  frame->pts = static_cast<int64_t>(s.pictures);
  frame->pict_type = idr ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  s.meta[frame->pts] = PictureMeta{p->inputTimeStamp, p->inputDuration, p->frameIdx,
                                   (p->encodePicFlags & NV_ENC_PIC_FLAG_OUTPUT_SPSPPS) != 0};
  out->second = Bitstream{};
  out->second.state = BufState::Pending;
  s.pending.push_back(out->first);
  s.unfilled.push_back(out->first);
  ++s.pictures;
  if (int e = avcodec_send_frame(s.codec.get(), frame.get()); e < 0)
    return s.fail(NV_ENC_ERR_GENERIC, call + "the encoder refused the picture (" + std::to_string(e) + ")");
  if (NVENCSTATUS st = collect(s, "nvEncEncodePicture")) return st;
  // Picture-type decision: a reference (P or IDR) ends the run of B pictures before it.
  ++s.since_anchor;
  if (idr || s.since_anchor >= s.interval_p) return release_pending(s, "nvEncEncodePicture");
  return NV_ENC_ERR_NEED_MORE_INPUT;
}

NVENCSTATUS lock_bitstream_checked(void* encoder, NV_ENC_LOCK_BITSTREAM* p) {
  CFVE_SESSION("nvEncLockBitstream");
  const std::string call = "nvEncLockBitstream: ";
  CFVE_VERSION(p, NV_ENC_LOCK_BITSTREAM_VER, "nvEncLockBitstream", "lockBitstreamBufferParams");
  auto it = s.bitstreams.find(p->outputBitstream);
  if (it == s.bitstreams.end()) return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "outputBitstream is not a bitstream buffer of this session");
  Bitstream& b = it->second;
  switch (b.state) {
    case BufState::Idle: return s.fail(NV_ENC_ERR_INVALID_CALL, call + "the buffer holds no picture (not submitted to nvEncEncodePicture)");
    case BufState::Locked: return s.fail(NV_ENC_ERR_INVALID_CALL, call + "the buffer is already locked");
    case BufState::Pending:
      if (p->doNotWait) return NV_ENC_ERR_LOCK_BUSY;
      return s.fail(NV_ENC_ERR_INVALID_CALL, call + "the picture is still pending (nvEncEncodePicture returned NV_ENC_ERR_NEED_MORE_INPUT "
                                                    "and no later call returned NV_ENC_SUCCESS): the lock would wait forever");
    case BufState::Ready: break;
  }
  b.state = BufState::Locked;
  p->bitstreamBufferPtr = b.data.data();
  p->bitstreamSizeInBytes = static_cast<uint32_t>(b.data.size());
  p->outputTimeStamp = b.timestamp;
  p->outputDuration = b.duration;
  p->frameIdx = b.frame_idx;
  p->pictureType = b.type;
  p->pictureStruct = NV_ENC_PIC_STRUCT_FRAME;
  p->frameAvgQP = b.avg_qp;
  p->hwEncodeStatus = 0;
  p->numSlices = 1;
  p->ltrFrame = 0;
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI unlock_bitstream(void* encoder, NV_ENC_OUTPUT_PTR buf) {
  CFVE_SESSION("nvEncUnlockBitstream");
  auto it = s.bitstreams.find(buf);
  if (it == s.bitstreams.end()) return s.fail(NV_ENC_ERR_INVALID_PARAM, "nvEncUnlockBitstream: not a bitstream buffer of this session");
  if (it->second.state != BufState::Locked) return s.fail(NV_ENC_ERR_INVALID_CALL, "nvEncUnlockBitstream: the buffer is not locked");
  it->second = Bitstream{};
  return NV_ENC_SUCCESS;
}

// The traced calls: a planted failure (CUFRAME_VIRTUAL_NVENC_FAIL) or the checked call,
// then one trace line with the status.
NVENCSTATUS planted_failure(void* encoder, const char* call) {
  const std::string msg = std::string(call) + ": planted failure (CUFRAME_VIRTUAL_NVENC_FAIL)";
  if (std::shared_ptr<Session> sp = encoder ? find_session(encoder) : nullptr) {
    std::lock_guard hold(sp->mutex);
    return sp->fail(NV_ENC_ERR_GENERIC, msg);
  }
  return fail_sessionless(NV_ENC_ERR_GENERIC, msg);
}

NVENCSTATUS NVENCAPI register_resource(void* encoder, NV_ENC_REGISTER_RESOURCE* p) {
  const char* call = "nvEncRegisterResource";
  const NVENCSTATUS st = injected_failure(call) ? planted_failure(encoder, call) : register_resource_checked(encoder, p);
  trace(std::string("{\"call\":\"") + call + "\",\"status\":" + std::to_string(st) + ",\"ptr\":" +
        num(p ? p->resourceToRegister : nullptr) + ",\"pitch\":" + std::to_string(p ? p->pitch : 0) +
        ",\"resource\":" + num(p && st == NV_ENC_SUCCESS ? p->registeredResource : nullptr) + "}");
  return st;
}

NVENCSTATUS NVENCAPI unregister_resource(void* encoder, NV_ENC_REGISTERED_PTR res) {
  const char* call = "nvEncUnregisterResource";
  const NVENCSTATUS st = injected_failure(call) ? planted_failure(encoder, call) : unregister_resource_checked(encoder, res);
  trace(std::string("{\"call\":\"") + call + "\",\"status\":" + std::to_string(st) + ",\"resource\":" + num(res) + "}");
  return st;
}

NVENCSTATUS NVENCAPI encode_picture(void* encoder, NV_ENC_PIC_PARAMS* p) {
  const char* call = "nvEncEncodePicture";
  const NVENCSTATUS st = injected_failure(call) ? planted_failure(encoder, call) : encode_picture_checked(encoder, p);
  const bool eos = p && (p->encodePicFlags & NV_ENC_PIC_FLAG_EOS);
  trace(std::string("{\"call\":\"") + call + "\",\"status\":" + std::to_string(st) + ",\"eos\":" +
        (eos ? "true" : "false") + ",\"input\":" + num(p ? p->inputBuffer : nullptr) + ",\"bitstream\":" +
        num(p ? p->outputBitstream : nullptr) + "}");
  return st;
}

NVENCSTATUS NVENCAPI lock_bitstream(void* encoder, NV_ENC_LOCK_BITSTREAM* p) {
  const char* call = "nvEncLockBitstream";
  const NVENCSTATUS st = injected_failure(call) ? planted_failure(encoder, call) : lock_bitstream_checked(encoder, p);
  trace(std::string("{\"call\":\"") + call + "\",\"status\":" + std::to_string(st) + ",\"bitstream\":" +
        num(p ? p->outputBitstream : nullptr) + "}");
  return st;
}

NVENCSTATUS NVENCAPI get_sequence_params(void* encoder, NV_ENC_SEQUENCE_PARAM_PAYLOAD* p) {
  CFVE_SESSION("nvEncGetSequenceParams");
  const std::string call = "nvEncGetSequenceParams: ";
  CFVE_VERSION(p, NV_ENC_SEQUENCE_PARAM_PAYLOAD_VER, "nvEncGetSequenceParams", "sequenceParamPayload");
  if (!s.initialized) return s.fail(NV_ENC_ERR_ENCODER_NOT_INITIALIZED, call + "call nvEncInitializeEncoder first");
  if (!p->spsppsBuffer || !p->outSPSPPSPayloadSize) return s.fail(NV_ENC_ERR_INVALID_PTR, call + "spsppsBuffer or outSPSPPSPayloadSize is null");
  if (p->spsId || p->ppsId) return s.fail(NV_ENC_ERR_UNSUPPORTED_PARAM, call + "spsId/ppsId other than 0 are not modelled");
  if (p->inBufferSize < s.param_sets.size())
    return s.fail(NV_ENC_ERR_INVALID_PARAM, call + "inBufferSize " + std::to_string(p->inBufferSize) + " is below the " +
                                                std::to_string(s.param_sets.size()) + " bytes of the parameter sets");
  std::memcpy(p->spsppsBuffer, s.param_sets.data(), s.param_sets.size());
  *p->outSPSPPSPayloadSize = static_cast<uint32_t>(s.param_sets.size());
  return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI destroy_encoder(void* encoder) {
  if (!encoder) return fail_sessionless(NV_ENC_ERR_INVALID_PTR, "nvEncDestroyEncoder: the encoder handle is null");
  std::shared_ptr<Session> sp;
  {
    std::lock_guard hold(g_registry_mutex);
    auto it = g_sessions.find(encoder);
    if (it == g_sessions.end())
      return fail_sessionless(NV_ENC_ERR_INVALID_ENCODERDEVICE, "nvEncDestroyEncoder: not a live encoder session (destroyed twice?)");
    sp = std::move(it->second);
    g_sessions.erase(it);
  }
  std::lock_guard hold(sp->mutex);
  trace("{\"call\":\"nvEncDestroyEncoder\",\"status\":0,\"registered\":" + std::to_string(sp->registered.size()) +
        ",\"mapped\":" + std::to_string(sp->mapped.size()) + ",\"bitstreams\":" + std::to_string(sp->bitstreams.size()) + "}");
  if (!sp->mapped.empty() || !sp->registered.empty() || !sp->bitstreams.empty())
    print("nvEncDestroyEncoder: warning: the session still had " + std::to_string(sp->registered.size()) +
          " registered resources (" + std::to_string(sp->mapped.size()) + " mapped) and " +
          std::to_string(sp->bitstreams.size()) + " bitstream buffers; freed with it");
  sp->codec.reset();
  return NV_ENC_SUCCESS;
}

const char* NVENCAPI last_error(void* encoder) {
  std::shared_ptr<Session> sp = encoder ? find_session(encoder) : nullptr;
  if (!sp) return t_sessionless_error.c_str();
  std::lock_guard hold(sp->mutex);
  return sp->last_error.c_str();
}

NVENCSTATUS unimplemented(void* encoder, const char* call) {
  const std::string msg = std::string(call) + ": not modelled by the virtual NVENC";
  if (std::shared_ptr<Session> sp = encoder ? find_session(encoder) : nullptr) {
    std::lock_guard hold(sp->mutex);
    return sp->fail(NV_ENC_ERR_UNIMPLEMENTED, msg);
  }
  return fail_sessionless(NV_ENC_ERR_UNIMPLEMENTED, msg);
}

#define CFVE_STUB(fn, call, ...) \
  NVENCSTATUS NVENCAPI fn(__VA_ARGS__) { return unimplemented(encoder, call); }
CFVE_STUB(open_session, "nvEncOpenEncodeSession", void*, uint32_t, void** encoder)
CFVE_STUB(create_input, "nvEncCreateInputBuffer", void* encoder, NV_ENC_CREATE_INPUT_BUFFER*)
CFVE_STUB(destroy_input, "nvEncDestroyInputBuffer", void* encoder, NV_ENC_INPUT_PTR)
CFVE_STUB(lock_input, "nvEncLockInputBuffer", void* encoder, NV_ENC_LOCK_INPUT_BUFFER*)
CFVE_STUB(unlock_input, "nvEncUnlockInputBuffer", void* encoder, NV_ENC_INPUT_PTR)
CFVE_STUB(get_stats, "nvEncGetEncodeStats", void* encoder, NV_ENC_STAT*)
CFVE_STUB(register_event, "nvEncRegisterAsyncEvent", void* encoder, NV_ENC_EVENT_PARAMS*)
CFVE_STUB(unregister_event, "nvEncUnregisterAsyncEvent", void* encoder, NV_ENC_EVENT_PARAMS*)
CFVE_STUB(invalidate_refs, "nvEncInvalidateRefFrames", void* encoder, uint64_t)
CFVE_STUB(reconfigure, "nvEncReconfigureEncoder", void* encoder, NV_ENC_RECONFIGURE_PARAMS*)
CFVE_STUB(create_mv, "nvEncCreateMVBuffer", void* encoder, NV_ENC_CREATE_MV_BUFFER*)
CFVE_STUB(destroy_mv, "nvEncDestroyMVBuffer", void* encoder, NV_ENC_OUTPUT_PTR)
CFVE_STUB(run_me_only, "nvEncRunMotionEstimationOnly", void* encoder, NV_ENC_MEONLY_PARAMS*)
CFVE_STUB(get_sequence_param_ex, "nvEncGetSequenceParamEx", void* encoder, NV_ENC_INITIALIZE_PARAMS*,
          NV_ENC_SEQUENCE_PARAM_PAYLOAD*)

}  // namespace

CFVE_EXPORT NVENCSTATUS NVENCAPI NvEncodeAPIGetMaxSupportedVersion(uint32_t* version) {
  if (!version) return NV_ENC_ERR_INVALID_PTR;
  *version = (NVENCAPI_MAJOR_VERSION << 4) | NVENCAPI_MINOR_VERSION;
  return NV_ENC_SUCCESS;
}

CFVE_EXPORT NVENCSTATUS NVENCAPI NvEncodeAPICreateInstance(NV_ENCODE_API_FUNCTION_LIST* f) {
  if (!f) return NV_ENC_ERR_INVALID_PTR;
  if (f->version != NV_ENCODE_API_FUNCTION_LIST_VER)
    return fail_sessionless(NV_ENC_ERR_INVALID_VERSION, "NvEncodeAPICreateInstance: version is not NV_ENCODE_API_FUNCTION_LIST_VER");
  f->nvEncOpenEncodeSession = open_session;
  f->nvEncGetEncodeGUIDCount = get_guid_count;
  f->nvEncGetEncodeProfileGUIDCount = get_profile_count;
  f->nvEncGetEncodeProfileGUIDs = get_profiles;
  f->nvEncGetEncodeGUIDs = get_guids;
  f->nvEncGetInputFormatCount = get_format_count;
  f->nvEncGetInputFormats = get_formats;
  f->nvEncGetEncodeCaps = get_caps;
  f->nvEncGetEncodePresetCount = get_preset_count;
  f->nvEncGetEncodePresetGUIDs = get_presets;
  f->nvEncGetEncodePresetConfig = get_preset_config;
  f->nvEncInitializeEncoder = initialize;
  f->nvEncCreateInputBuffer = create_input;
  f->nvEncDestroyInputBuffer = destroy_input;
  f->nvEncCreateBitstreamBuffer = create_bitstream;
  f->nvEncDestroyBitstreamBuffer = destroy_bitstream;
  f->nvEncEncodePicture = encode_picture;
  f->nvEncLockBitstream = lock_bitstream;
  f->nvEncUnlockBitstream = unlock_bitstream;
  f->nvEncLockInputBuffer = lock_input;
  f->nvEncUnlockInputBuffer = unlock_input;
  f->nvEncGetEncodeStats = get_stats;
  f->nvEncGetSequenceParams = get_sequence_params;
  f->nvEncRegisterAsyncEvent = register_event;
  f->nvEncUnregisterAsyncEvent = unregister_event;
  f->nvEncMapInputResource = map_input;
  f->nvEncUnmapInputResource = unmap_input;
  f->nvEncDestroyEncoder = destroy_encoder;
  f->nvEncInvalidateRefFrames = invalidate_refs;
  f->nvEncOpenEncodeSessionEx = open_session_ex;
  f->nvEncRegisterResource = register_resource;
  f->nvEncUnregisterResource = unregister_resource;
  f->nvEncReconfigureEncoder = reconfigure;
  f->nvEncCreateMVBuffer = create_mv;
  f->nvEncDestroyMVBuffer = destroy_mv;
  f->nvEncRunMotionEstimationOnly = run_me_only;
  f->nvEncGetLastErrorString = last_error;
  f->nvEncSetIOCudaStreams = set_io_streams;
  f->nvEncGetEncodePresetConfigEx = get_preset_config_ex;
  f->nvEncGetSequenceParamEx = get_sequence_param_ex;
  return NV_ENC_SUCCESS;
}

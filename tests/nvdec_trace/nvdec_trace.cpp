// cuframe_nvdec_trace: what the NVDEC parser and decoder of the libnvcuvid.so.1 this process
// loads do with a stream, as a trace that can be compared with the virtual NVDEC's.
//
//   cuframe_nvdec_trace preflight                 the driver, libnvcuvid.so.1 and H.264/HEVC
//                                                 decode caps; exit 3 with the reason if one
//                                                 is missing
//   cuframe_nvdec_trace record OUT.jsonl FILE     decode FILE's video stream, one JSON object
//                                                 per NVDEC call
//   cuframe_nvdec_trace compare EXPECTED ACTUAL   structural differences; exit 1 if any
//
// Note [NVDEC trace]: the virtual NVDEC is a model of NVIDIA's parser and decoder written
// from the SDK headers; only a real GPU can say where it is wrong. This program drives
// libnvcuvid.so.1 directly (ffnvcodec's loader, dlopen at run time: it builds without a
// driver and needs none until it runs), the way cuframe's NVDEC backend does — the
// container's parameter sets first, then one packet per access unit with
// CUVID_PKT_ENDOFPICTURE and the pts as CUVID_PKT_TIMESTAMP, ulClockRate 0,
// ulMaxDisplayDelay 2, min_num_decode_surfaces + 4 surfaces, the map and unmap inside the
// display callback (the engine maps later, in receive(); what the parser does is the same)
// — and writes each call in the format of the virtual NVDEC's
// CUFRAME_VIRTUAL_TRACE (tests/virtual_gpu/src/nvdec.cpp), at the same point of the call:
//   create        {"call":"create","coded":[w,h],"target":[w,h],"surfaces":n}
//   sequence      {"call":"sequence","codec":c,"coded":[w,h],"display":[l,t,r,b],"chroma":c,
//                  "depth":d,"min_surfaces":n,"returned":r}   (after the callback returns)
//   decode        {"call":"decode","index":CurrPicIdx,"serial":n}  (n-th decode callback)
//   display       {"call":"display","index":picture_index,"timestamp":t}
//   map / unmap   {"call":"map","index":i,"pitch":p} / {"call":"unmap","index":i}
//   reconfigure   {"call":"reconfigure","coded":[w,h],"target":[w,h]}
//   end_of_stream {"call":"end_of_stream","pending":n}  (decoded, not yet displayed)
// and, where the real driver does what the model never does, `display_null` (a display
// callback without picture) and `error` (a call that failed: "in", "code"). It does not
// depend on engine/src/decode: it records the driver, not cuframe's use of it, and on the
// virtual GPU its trace equals the model's own (the ctest nvdec_trace_model checks that).
// trace_compare.cpp says what a comparison looks at.
#define FFNV_LOG_FUNC(logctx, msg, ...) ((void)(logctx))
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...) ((void)(logctx))
#include <ffnvcodec/dynlink_loader.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
}

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "trace_compare.hpp"

namespace {

// ------------------------------------------------------------------ the driver

struct Driver {
  CudaFunctions* cu = nullptr;
  CuvidFunctions* cuvid = nullptr;
  ~Driver() {
    cuvid_free_functions(&cuvid);
    cuda_free_functions(&cu);
  }
};

std::string cu_text(const Driver& d, CUresult r) {
  const char* name = nullptr;
  if (d.cu && d.cu->cuGetErrorName) d.cu->cuGetErrorName(r, &name);
  return name ? std::string(name) : "CUresult " + std::to_string(static_cast<int>(r));
}

void check(const Driver& d, CUresult r, const char* call) {
  if (r != CUDA_SUCCESS) throw std::runtime_error(std::string(call) + ": " + cu_text(d, r));
}
#define TRACE_CHECK(d, call) check(d, (call), #call)

std::string library_path(void* handle) {
  link_map* lm = nullptr;
  if (handle && dlinfo(handle, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name) return lm->l_name;
  return "?";
}

/// The device's primary context, current on this thread for the object's life.
class Context {
 public:
  Context(const Driver& d, int ordinal) : d_(d) {
    TRACE_CHECK(d_, d_.cu->cuDeviceGet(&device_, ordinal));
    TRACE_CHECK(d_, d_.cu->cuDevicePrimaryCtxRetain(&ctx_, device_));
    if (d_.cu->cuCtxPushCurrent(ctx_) != CUDA_SUCCESS) {
      d_.cu->cuDevicePrimaryCtxRelease(device_);
      throw std::runtime_error("cuCtxPushCurrent failed");
    }
  }
  ~Context() {
    CUcontext popped = nullptr;
    d_.cu->cuCtxPopCurrent(&popped);
    d_.cu->cuDevicePrimaryCtxRelease(device_);
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  CUdevice device() const { return device_; }

 private:
  const Driver& d_;
  CUdevice device_ = 0;
  CUcontext ctx_ = nullptr;
};

/// Loads the driver libraries and initialises CUDA; throws with the reason.
void load(Driver& d) {
  if (cuda_load_functions(&d.cu, nullptr) != 0) {
    d.cu = nullptr;
    throw std::runtime_error("no NVIDIA driver: libcuda.so.1 cannot be loaded");
  }
  if (cuvid_load_functions(&d.cuvid, nullptr) != 0) {
    d.cuvid = nullptr;
    throw std::runtime_error(
        "libnvcuvid.so.1 cannot be loaded: the driver's video capability is missing (a container needs "
        "NVIDIA_DRIVER_CAPABILITIES to include video)");
  }
  TRACE_CHECK(d, d.cu->cuInit(0));
}

// ------------------------------------------------------------------ preflight

struct CapsRow {
  const char* name;
  cudaVideoCodec codec;
  bool required;  // H.264 and HEVC 4:2:0 8-bit: what the GPU tests and benchmarks decode
};

int preflight() {
  Driver d;
  try {
    load(d);
  } catch (const std::exception& e) {
    std::printf("preflight: FAIL: %s\n", e.what());
    return 3;
  }
  std::printf("libcuda.so.1     %s\n", library_path(d.cu->lib).c_str());
  std::printf("libnvcuvid.so.1  %s\n", library_path(d.cuvid->lib).c_str());
  using DriverGetVersion = CUresult (*)(int*);
  int version = 0;
  if (auto fn = reinterpret_cast<DriverGetVersion>(dlsym(d.cu->lib, "cuDriverGetVersion"))) fn(&version);
  std::printf("driver API       %d.%d\n", version / 1000, version % 1000 / 10);
  int count = 0;
  if (d.cu->cuDeviceGetCount(&count) != CUDA_SUCCESS || count == 0) {
    std::printf("preflight: FAIL: the driver sees no GPU\n");
    return 3;
  }
  try {
    Context ctx(d, 0);
    char name[256] = {};
    d.cu->cuDeviceGetName(name, sizeof name, ctx.device());
    std::printf("GPU 0            %s (%d GPU%s)\n", name, count, count > 1 ? "s" : "");
    if (!d.cuvid->cuvidGetDecoderCaps) {
      std::printf("preflight: FAIL: this libnvcuvid has no cuvidGetDecoderCaps\n");
      return 3;
    }
    const CapsRow rows[] = {{"H.264", cudaVideoCodec_H264, true}, {"HEVC", cudaVideoCodec_HEVC, true},
                            {"VP9", cudaVideoCodec_VP9, false},   {"AV1", cudaVideoCodec_AV1, false}};
    int missing = 0;
    for (const CapsRow& row : rows) {
      CUVIDDECODECAPS caps{};
      caps.eCodecType = row.codec;
      caps.eChromaFormat = cudaVideoChromaFormat_420;
      caps.nBitDepthMinus8 = 0;
      const CUresult r = d.cuvid->cuvidGetDecoderCaps(&caps);
      if (r != CUDA_SUCCESS) {
        std::printf("decode caps      %-5s 4:2:0 8-bit: cuvidGetDecoderCaps failed: %s\n", row.name, cu_text(d, r).c_str());
        missing += row.required;
        continue;
      }
      std::printf("decode caps      %-5s 4:2:0 8-bit: %s", row.name, caps.bIsSupported ? "yes" : "no");
      if (caps.bIsSupported)
        std::printf(", %ux%u to %ux%u, %u engine%s", caps.nMinWidth, caps.nMinHeight, caps.nMaxWidth, caps.nMaxHeight,
                    caps.nNumNVDECs, caps.nNumNVDECs == 1 ? "" : "s");
      std::printf("\n");
      if (!caps.bIsSupported) missing += row.required;
    }
    if (missing) {
      std::printf("preflight: FAIL: NVDEC reports no H.264 or no HEVC 4:2:0 8-bit decode\n");
      return 3;
    }
  } catch (const std::exception& e) {
    std::printf("preflight: FAIL: %s\n", e.what());
    return 3;
  }
  std::printf("preflight: ok\n");
  return 0;
}

// ------------------------------------------------------------------ the trace file

class TraceFile {
 public:
  explicit TraceFile(const std::string& path) : f_(std::fopen(path.c_str(), "w")) {
    if (!f_) throw std::runtime_error("cannot write " + path);
  }
  ~TraceFile() { std::fclose(f_); }
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;
  void line(const std::string& json) {  // flushed: a killed run keeps what it recorded
    std::fprintf(f_, "%s\n", json.c_str());
    std::fflush(f_);
  }

 private:
  FILE* f_;
};

std::string pair(unsigned a, unsigned b) {
  std::string s = "[";
  s += std::to_string(a);
  s += ',';
  s += std::to_string(b);
  return s + ']';
}

// The virtual NVDEC's fmt_json, field for field.
std::string format_json(const CUVIDEOFORMAT& f) {
  char b[256];
  std::snprintf(b, sizeof b,
                "\"codec\":%d,\"coded\":[%u,%u],\"display\":[%d,%d,%d,%d],\"chroma\":%d,\"depth\":%d,"
                "\"min_surfaces\":%d",
                static_cast<int>(f.codec), f.coded_width, f.coded_height, f.display_area.left, f.display_area.top,
                f.display_area.right, f.display_area.bottom, static_cast<int>(f.chroma_format),
                f.bit_depth_luma_minus8 + 8, f.min_num_decode_surfaces);
  return b;
}

// ------------------------------------------------------------------ demuxing (FFmpeg)

struct FormatCloser {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct BsfFreer {
  void operator()(AVBSFContext* c) const { av_bsf_free(&c); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
using FormatPtr = std::unique_ptr<AVFormatContext, FormatCloser>;
using BsfPtr = std::unique_ptr<AVBSFContext, BsfFreer>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFreer>;

PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  if (!p) throw std::runtime_error("av_packet_alloc failed");
  return p;
}

cudaVideoCodec nv_codec(AVCodecID id) {
  switch (id) {
    case AV_CODEC_ID_H264: return cudaVideoCodec_H264;
    case AV_CODEC_ID_HEVC: return cudaVideoCodec_HEVC;
    case AV_CODEC_ID_VP8: return cudaVideoCodec_VP8;
    case AV_CODEC_ID_VP9: return cudaVideoCodec_VP9;
    case AV_CODEC_ID_AV1: return cudaVideoCodec_AV1;
    case AV_CODEC_ID_MPEG2VIDEO: return cudaVideoCodec_MPEG2;
    case AV_CODEC_ID_MPEG4: return cudaVideoCodec_MPEG4;
    case AV_CODEC_ID_VC1: return cudaVideoCodec_VC1;
    default: throw std::runtime_error(std::string("no NVDEC codec for ") + avcodec_get_name(id));
  }
}

// ------------------------------------------------------------------ one decode session

unsigned align2(unsigned v) { return (v + 1u) & ~1u; }

class Session {
 public:
  Session(const Driver& d, TraceFile& trace, cudaVideoCodec codec) : d_(d), trace_(trace) {
    TRACE_CHECK(d_, d_.cu->cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING));
    CUVIDPARSERPARAMS p{};
    p.CodecType = codec;
    p.ulMaxNumDecodeSurfaces = 1;  // raised by the sequence callback's return value
    p.ulClockRate = 0;
    p.ulMaxDisplayDelay = 2;  // the engine's (nvdec_decoder.cpp kDisplayDelay)
    p.pUserData = this;
    p.pfnSequenceCallback = &Session::on_sequence;
    p.pfnDecodePicture = &Session::on_decode;
    p.pfnDisplayPicture = &Session::on_display;
    const CUresult r = d_.cuvid->cuvidCreateVideoParser(&parser_, &p);
    if (r != CUDA_SUCCESS) {
      d_.cu->cuStreamDestroy(stream_);
      throw std::runtime_error("cuvidCreateVideoParser: " + cu_text(d_, r));
    }
  }
  ~Session() {
    if (parser_) d_.cuvid->cuvidDestroyVideoParser(parser_);
    if (decoder_) d_.cuvid->cuvidDestroyDecoder(decoder_);
    d_.cu->cuStreamSynchronize(stream_);
    d_.cu->cuStreamDestroy(stream_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// One cuvidParseVideoData; rethrows the first error a callback stored.
  void parse(const uint8_t* data, size_t size, unsigned long flags, int64_t pts) {
    CUVIDSOURCEDATAPACKET pkt{};
    pkt.payload = data;
    pkt.payload_size = static_cast<unsigned long>(size);
    pkt.flags = flags;
    if (pts != AV_NOPTS_VALUE) {
      pkt.flags |= CUVID_PKT_TIMESTAMP;
      pkt.timestamp = pts;
    }
    if (flags & CUVID_PKT_ENDOFSTREAM)
      trace_.line("{\"call\":\"end_of_stream\",\"pending\":" + std::to_string(decodes_ - displays_) + "}");
    const CUresult r = d_.cuvid->cuvidParseVideoData(parser_, &pkt);
    if (r != CUDA_SUCCESS) error("cuvidParseVideoData", r);
    if (pending_) std::rethrow_exception(std::exchange(pending_, nullptr));
  }

  int64_t decodes() const { return decodes_; }
  int64_t displays() const { return displays_; }

 private:
  // Callbacks never throw (a C callback cannot carry an exception): the
  // first error is kept, the callback returns 0, parse() rethrows.
  static int CUDAAPI on_sequence(void* user, CUVIDEOFORMAT* f) {
    auto* self = static_cast<Session*>(user);
    try {
      return self->sequence(*f);
    } catch (...) {
      if (!self->pending_) self->pending_ = std::current_exception();
      return 0;
    }
  }
  static int CUDAAPI on_decode(void* user, CUVIDPICPARAMS* pic) {
    auto* self = static_cast<Session*>(user);
    try {
      return self->decode(*pic);
    } catch (...) {
      if (!self->pending_) self->pending_ = std::current_exception();
      return 0;
    }
  }
  static int CUDAAPI on_display(void* user, CUVIDPARSERDISPINFO* di) {
    auto* self = static_cast<Session*>(user);
    try {
      return self->display(di);
    } catch (...) {
      if (!self->pending_) self->pending_ = std::current_exception();
      return 0;
    }
  }

  void error(const char* call, CUresult r) {
    trace_.line(std::string("{\"call\":\"error\",\"in\":\"") + call + "\",\"code\":" + std::to_string(static_cast<int>(r)) +
                ",\"name\":\"" + cu_text(d_, r) + "\"}");
    if (!pending_) pending_ = std::make_exception_ptr(std::runtime_error(std::string(call) + ": " + cu_text(d_, r)));
  }

  int sequence(const CUVIDEOFORMAT& f) {
    int returned = 0;
    if (f.chroma_format == cudaVideoChromaFormat_420 || f.chroma_format == cudaVideoChromaFormat_444) {
      const unsigned surfaces = f.min_num_decode_surfaces + 4u;  // as cuframe's NVDEC backend
      // The display area rounded up to even within the coded size: NVDEC never scales.
      const unsigned w = std::min(align2(static_cast<unsigned>(f.display_area.right - f.display_area.left)), f.coded_width);
      const unsigned h = std::min(align2(static_cast<unsigned>(f.display_area.bottom - f.display_area.top)), f.coded_height);
      const bool same = decoder_ && f.coded_width == coded_w_ && f.coded_height == coded_h_ && w == target_w_ &&
                        h == target_h_ && f.codec == codec_ && f.chroma_format == chroma_ &&
                        f.bit_depth_luma_minus8 == depth_minus8_;
      if (same) {
        returned = static_cast<int>(surfaces_);
      } else if (decoder_ && f.codec == codec_ && f.chroma_format == chroma_ && f.bit_depth_luma_minus8 == depth_minus8_ &&
                 f.coded_width <= coded_w_ && f.coded_height <= coded_h_) {
        returned = reconfigure(f, w, h) ? static_cast<int>(surfaces_) : 0;
      } else {
        if (decoder_) d_.cuvid->cuvidDestroyDecoder(decoder_);
        decoder_ = nullptr;
        returned = create(f, w, h, surfaces) ? static_cast<int>(surfaces) : 0;
      }
    }
    trace_.line("{\"call\":\"sequence\"," + format_json(f) + ",\"returned\":" + std::to_string(returned) + "}");
    return returned;
  }

  bool create(const CUVIDEOFORMAT& f, unsigned w, unsigned h, unsigned surfaces) {
    const unsigned depth = f.bit_depth_luma_minus8;
    CUVIDDECODECREATEINFO ci{};
    ci.ulWidth = f.coded_width;
    ci.ulHeight = f.coded_height;
    ci.ulNumDecodeSurfaces = surfaces;
    ci.CodecType = f.codec;
    ci.ChromaFormat = f.chroma_format;
    ci.ulCreationFlags = cudaVideoCreate_PreferCUVID;
    ci.bitDepthMinus8 = depth;
    ci.ulMaxWidth = f.coded_width;
    ci.ulMaxHeight = f.coded_height;
    ci.display_area.left = static_cast<short>(f.display_area.left);
    ci.display_area.top = static_cast<short>(f.display_area.top);
    ci.display_area.right = static_cast<short>(f.display_area.left + static_cast<int>(w));
    ci.display_area.bottom = static_cast<short>(f.display_area.top + static_cast<int>(h));
    ci.OutputFormat = f.chroma_format == cudaVideoChromaFormat_444
                          ? (depth ? cudaVideoSurfaceFormat_YUV444_16Bit : cudaVideoSurfaceFormat_YUV444)
                          : (depth ? cudaVideoSurfaceFormat_P016 : cudaVideoSurfaceFormat_NV12);
    ci.DeinterlaceMode = cudaVideoDeinterlaceMode_Weave;
    ci.ulTargetWidth = w;
    ci.ulTargetHeight = h;
    ci.ulNumOutputSurfaces = 2;
    ci.vidLock = nullptr;
    const CUresult r = d_.cuvid->cuvidCreateDecoder(&decoder_, &ci);
    if (r != CUDA_SUCCESS) {
      decoder_ = nullptr;
      error("cuvidCreateDecoder", r);
      return false;
    }
    trace_.line("{\"call\":\"create\",\"coded\":" + pair(f.coded_width, f.coded_height) + ",\"target\":" + pair(w, h) +
                ",\"surfaces\":" + std::to_string(surfaces) + "}");
    codec_ = f.codec;
    chroma_ = f.chroma_format;
    depth_minus8_ = depth;
    coded_w_ = f.coded_width;
    coded_h_ = f.coded_height;
    target_w_ = w;
    target_h_ = h;
    surfaces_ = surfaces;
    return true;
  }

  bool reconfigure(const CUVIDEOFORMAT& f, unsigned w, unsigned h) {
    CUVIDRECONFIGUREDECODERINFO ri{};
    ri.ulWidth = f.coded_width;
    ri.ulHeight = f.coded_height;
    ri.ulTargetWidth = w;
    ri.ulTargetHeight = h;
    ri.ulNumDecodeSurfaces = surfaces_;
    ri.display_area.left = static_cast<short>(f.display_area.left);
    ri.display_area.top = static_cast<short>(f.display_area.top);
    ri.display_area.right = static_cast<short>(f.display_area.left + static_cast<int>(w));
    ri.display_area.bottom = static_cast<short>(f.display_area.top + static_cast<int>(h));
    const CUresult r = d_.cuvid->cuvidReconfigureDecoder(decoder_, &ri);
    if (r != CUDA_SUCCESS) {
      error("cuvidReconfigureDecoder", r);
      return false;
    }
    trace_.line("{\"call\":\"reconfigure\",\"coded\":" + pair(f.coded_width, f.coded_height) + ",\"target\":" +
                pair(w, h) + "}");
    target_w_ = w;
    target_h_ = h;
    return true;
  }

  int decode(CUVIDPICPARAMS& pic) {
    trace_.line("{\"call\":\"decode\",\"index\":" + std::to_string(pic.CurrPicIdx) + ",\"serial\":" +
                std::to_string(decodes_++) + "}");
    if (!decoder_) return 0;
    const CUresult r = d_.cuvid->cuvidDecodePicture(decoder_, &pic);
    if (r != CUDA_SUCCESS) {
      error("cuvidDecodePicture", r);
      return 0;
    }
    return 1;
  }

  int display(const CUVIDPARSERDISPINFO* di) {
    if (!di) {
      trace_.line("{\"call\":\"display_null\"}");
      return 1;
    }
    ++displays_;
    trace_.line("{\"call\":\"display\",\"index\":" + std::to_string(di->picture_index) + ",\"timestamp\":" +
                std::to_string(di->timestamp) + "}");
    if (!decoder_) return 0;
    CUVIDPROCPARAMS proc{};
    proc.progressive_frame = di->progressive_frame;
    proc.top_field_first = di->top_field_first;
    proc.second_field = 0;
    proc.unpaired_field = di->repeat_first_field < 0;
    proc.output_stream = stream_;
    unsigned long long ptr = 0;
    unsigned pitch = 0;
    CUresult r = d_.cuvid->cuvidMapVideoFrame(decoder_, di->picture_index, &ptr, &pitch, &proc);
    if (r != CUDA_SUCCESS) {
      error("cuvidMapVideoFrame", r);
      return 0;
    }
    trace_.line("{\"call\":\"map\",\"index\":" + std::to_string(di->picture_index) + ",\"pitch\":" + std::to_string(pitch) +
                "}");
    r = d_.cuvid->cuvidUnmapVideoFrame(decoder_, ptr);
    if (r != CUDA_SUCCESS) {
      error("cuvidUnmapVideoFrame", r);
      return 0;
    }
    trace_.line("{\"call\":\"unmap\",\"index\":" + std::to_string(di->picture_index) + "}");
    return 1;
  }

  const Driver& d_;
  TraceFile& trace_;
  CUstream stream_ = nullptr;
  CUvideoparser parser_ = nullptr;
  CUvideodecoder decoder_ = nullptr;
  cudaVideoCodec codec_ = cudaVideoCodec_NumCodecs;
  cudaVideoChromaFormat chroma_ = cudaVideoChromaFormat_Monochrome;
  unsigned depth_minus8_ = 0, coded_w_ = 0, coded_h_ = 0, target_w_ = 0, target_h_ = 0, surfaces_ = 0;
  int64_t decodes_ = 0, displays_ = 0;
  std::exception_ptr pending_;
};

int record(const std::string& out, const std::string& file, int ordinal) {
  Driver d;
  load(d);
  Context ctx(d, ordinal);
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, file.c_str(), nullptr, nullptr) < 0) throw std::runtime_error("cannot open " + file);
  FormatPtr fmt(raw);
  if (avformat_find_stream_info(fmt.get(), nullptr) < 0) throw std::runtime_error("no stream info in " + file);
  const int vi = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (vi < 0) throw std::runtime_error("no video stream in " + file);
  const AVStream* st = fmt->streams[vi];
  const AVCodecParameters* par = st->codecpar;
  const cudaVideoCodec codec = nv_codec(par->codec_id);

  // H.264/HEVC as stored in MP4/MKV (length-prefixed) -> Annex-B, as cuframe does.
  BsfPtr bsf;
  const char* filter = par->codec_id == AV_CODEC_ID_H264   ? "h264_mp4toannexb"
                       : par->codec_id == AV_CODEC_ID_HEVC ? "hevc_mp4toannexb"
                                                           : nullptr;
  if (filter) {
    AVBSFContext* b = nullptr;
    if (av_bsf_alloc(av_bsf_get_by_name(filter), &b) < 0) throw std::runtime_error(std::string("no ") + filter);
    bsf.reset(b);
    avcodec_parameters_copy(b->par_in, par);
    b->time_base_in = st->time_base;
    if (av_bsf_init(b) < 0) throw std::runtime_error(std::string("cannot initialise ") + filter);
  }
  const AVCodecParameters* out_par = bsf ? bsf->par_out : par;

  TraceFile trace(out);
  Session s(d, trace, codec);
  if (out_par->extradata && out_par->extradata_size > 0 && par->codec_id != AV_CODEC_ID_AV1)
    s.parse(out_par->extradata, static_cast<size_t>(out_par->extradata_size), 0, AV_NOPTS_VALUE);
  PacketPtr pkt = make_packet(), conv = make_packet();
  while (av_read_frame(fmt.get(), pkt.get()) >= 0) {
    if (pkt->stream_index != vi) {
      av_packet_unref(pkt.get());
      continue;
    }
    if (!bsf) {
      s.parse(pkt->data, static_cast<size_t>(pkt->size), CUVID_PKT_ENDOFPICTURE, pkt->pts);
      av_packet_unref(pkt.get());
      continue;
    }
    if (av_bsf_send_packet(bsf.get(), pkt.get()) < 0) throw std::runtime_error("Annex-B conversion failed");
    while (av_bsf_receive_packet(bsf.get(), conv.get()) == 0) {
      s.parse(conv->data, static_cast<size_t>(conv->size), CUVID_PKT_ENDOFPICTURE, conv->pts);
      av_packet_unref(conv.get());
    }
  }
  s.parse(nullptr, 0, CUVID_PKT_ENDOFSTREAM, AV_NOPTS_VALUE);
  char name[256] = {};
  d.cu->cuDeviceGetName(name, sizeof name, ctx.device());
  std::printf("nvdec trace: %s on %s: %lld decode and %lld display callbacks -> %s\n", file.c_str(), name,
              static_cast<long long>(s.decodes()), static_cast<long long>(s.displays()), out.c_str());
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: cuframe_nvdec_trace preflight\n"
               "       cuframe_nvdec_trace record OUT.jsonl FILE [--device N]\n"
               "       cuframe_nvdec_trace compare EXPECTED.jsonl ACTUAL.jsonl\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage();
  try {
    if (args[0] == "preflight" && args.size() == 1) return preflight();
    if (args[0] == "record" && (args.size() == 3 || (args.size() == 5 && args[3] == "--device")))
      return record(args[1], args[2], args.size() == 5 ? std::stoi(args[4]) : 0);
    if (args[0] == "compare" && args.size() == 3) return cuframe::trace::compare_files(args[1], args[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cuframe_nvdec_trace: %s\n", e.what());
    return 1;
  }
  return usage();
}

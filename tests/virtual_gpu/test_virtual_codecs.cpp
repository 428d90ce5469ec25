// The virtual NVDEC and NVENC (docs/VIRTUAL_GPU.md) refuse what the SDK documents as
// invalid: planted defects, each caught with the SDK's error code. Only in the virtual-gpu
// build; the calls go through the engine's own loader (nv/api.hpp).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cuframe/demuxer.hpp"
#include "cuframe/input.hpp"
#include "nv/api.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

namespace cuframe::vgpu_test {
namespace {

using detail::nv_api;

// ffnvcodec's dynlink_cuda.h names only a few CUresult values.
constexpr CUresult CUDA_ERROR_INVALID_VALUE = static_cast<CUresult>(1);
constexpr CUresult CUDA_ERROR_INVALID_HANDLE = static_cast<CUresult>(400);

struct Context {
  Context() {
    const detail::NvApi& api = nv_api();
    if (!api.cuda || !api.cuvid) return;
    ok = api.cuda->cuDeviceGet(&dev, 0) == CUDA_SUCCESS && api.cuda->cuDevicePrimaryCtxRetain(&ctx, dev) == CUDA_SUCCESS &&
         api.cuda->cuCtxPushCurrent(ctx) == CUDA_SUCCESS;
  }
  ~Context() {
    if (!ok) return;
    CUcontext popped = nullptr;
    nv_api().cuda->cuCtxPopCurrent(&popped);
    nv_api().cuda->cuDevicePrimaryCtxRelease(dev);
  }
  bool ok = false;
  CUdevice dev = 0;
  CUcontext ctx = nullptr;
};

CUVIDDECODECREATEINFO qcif_h264(unsigned target_w = 176, unsigned target_h = 144) {
  CUVIDDECODECREATEINFO ci{};
  ci.ulWidth = 176;
  ci.ulHeight = 144;
  ci.ulNumDecodeSurfaces = 8;
  ci.CodecType = cudaVideoCodec_H264;
  ci.ChromaFormat = cudaVideoChromaFormat_420;
  ci.OutputFormat = cudaVideoSurfaceFormat_NV12;
  ci.ulTargetWidth = target_w;
  ci.ulTargetHeight = target_h;
  ci.display_area.right = static_cast<short>(target_w);
  ci.display_area.bottom = static_cast<short>(target_h);
  ci.ulNumOutputSurfaces = 1;
  return ci;
}

TEST(VirtualNvdec, OddTargetSizeIsRefused) {
  Context c;
  ASSERT_TRUE(c.ok) << "the virtual device and NVDEC must load";
  CUvideodecoder d = nullptr;
  CUVIDDECODECREATEINFO ci = qcif_h264(175, 144);  // the planted defect: an odd ulTargetWidth
  EXPECT_EQ(nv_api().cuvid->cuvidCreateDecoder(&d, &ci), CUDA_ERROR_INVALID_VALUE);
  ci = qcif_h264();
  ASSERT_EQ(nv_api().cuvid->cuvidCreateDecoder(&d, &ci), CUDA_SUCCESS);
  EXPECT_EQ(nv_api().cuvid->cuvidDestroyDecoder(d), CUDA_SUCCESS);
}

TEST(VirtualNvdec, CallOnADestroyedDecoderIsRefused) {
  Context c;
  ASSERT_TRUE(c.ok);
  CUvideodecoder d = nullptr;
  CUVIDDECODECREATEINFO ci = qcif_h264();
  ASSERT_EQ(nv_api().cuvid->cuvidCreateDecoder(&d, &ci), CUDA_SUCCESS);
  ASSERT_EQ(nv_api().cuvid->cuvidDestroyDecoder(d), CUDA_SUCCESS);
  CUVIDPICPARAMS pic{};
  EXPECT_EQ(nv_api().cuvid->cuvidDecodePicture(d, &pic), CUDA_ERROR_INVALID_HANDLE);  // the planted defect
  EXPECT_EQ(nv_api().cuvid->cuvidDecodePicture(nullptr, &pic), CUDA_ERROR_INVALID_HANDLE);
  EXPECT_EQ(nv_api().cuvid->cuvidDestroyDecoder(d), CUDA_ERROR_INVALID_HANDLE);
}

TEST(VirtualNvdec, ReconfigureOutsideTheSequenceCallbackIsRefused) {
  Context c;
  ASSERT_TRUE(c.ok);
  CUvideodecoder d = nullptr;
  CUVIDDECODECREATEINFO ci = qcif_h264();
  ASSERT_EQ(nv_api().cuvid->cuvidCreateDecoder(&d, &ci), CUDA_SUCCESS);
  CUVIDRECONFIGUREDECODERINFO ri{};
  ri.ulWidth = 176;
  ri.ulHeight = 144;
  ri.ulTargetWidth = 176;
  ri.ulTargetHeight = 144;
  ri.display_area.right = 176;
  ri.display_area.bottom = 144;
  EXPECT_EQ(nv_api().cuvid->cuvidReconfigureDecoder(d, &ri), CUDA_ERROR_INVALID_VALUE);  // the planted defect
  nv_api().cuvid->cuvidDestroyDecoder(d);
}

// A parser over a raw H.264 stream whose callbacks keep what the virtual NVDEC answered.
struct Session {
  CUvideoparser parser = nullptr;
  CUvideodecoder decoder = nullptr;
  CUstream stream = nullptr;
  bool unmap = true;          // the display callback unmaps what it maps
  unsigned outputs = 1;
  std::vector<CUresult> maps, decodes;
  std::vector<unsigned long long> mapped;

  static int CUDAAPI sequence(void* user, CUVIDEOFORMAT* f) {
    auto* s = static_cast<Session*>(user);
    if (s->decoder) return 1;
    CUVIDDECODECREATEINFO ci{};
    ci.ulWidth = f->coded_width;
    ci.ulHeight = f->coded_height;
    ci.ulNumDecodeSurfaces = f->min_num_decode_surfaces;
    ci.CodecType = f->codec;
    ci.ChromaFormat = f->chroma_format;
    ci.OutputFormat = cudaVideoSurfaceFormat_NV12;
    ci.ulTargetWidth = static_cast<unsigned>(f->display_area.right - f->display_area.left);
    ci.ulTargetHeight = static_cast<unsigned>(f->display_area.bottom - f->display_area.top);
    ci.display_area.right = static_cast<short>(f->display_area.right);
    ci.display_area.bottom = static_cast<short>(f->display_area.bottom);
    ci.ulNumOutputSurfaces = s->outputs;
    return nv_api().cuvid->cuvidCreateDecoder(&s->decoder, &ci) == CUDA_SUCCESS ? f->min_num_decode_surfaces : 0;
  }
  static int CUDAAPI decode(void* user, CUVIDPICPARAMS* pic) {
    auto* s = static_cast<Session*>(user);
    s->decodes.push_back(nv_api().cuvid->cuvidDecodePicture(s->decoder, pic));
    return s->decodes.back() == CUDA_SUCCESS;
  }
  static int CUDAAPI display(void* user, CUVIDPARSERDISPINFO* d) {
    auto* s = static_cast<Session*>(user);
    if (!d) return 1;
    CUVIDPROCPARAMS proc{};
    proc.progressive_frame = 1;
    proc.output_stream = s->stream;
    CUdeviceptr p = 0;
    unsigned pitch = 0;
    s->maps.push_back(nv_api().cuvid->cuvidMapVideoFrame(s->decoder, d->picture_index, &p, &pitch, &proc));
    if (s->maps.back() == CUDA_SUCCESS) {
      if (s->unmap) nv_api().cuvid->cuvidUnmapVideoFrame(s->decoder, p);
      else s->mapped.push_back(p);
    }
    return 1;
  }

  void run(const std::string& file) {
    ASSERT_EQ(nv_api().cuda->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), CUDA_SUCCESS);
    CUVIDPARSERPARAMS pp{};
    pp.CodecType = cudaVideoCodec_H264;
    pp.ulMaxNumDecodeSurfaces = 1;
    pp.ulMaxDisplayDelay = 0;
    pp.pUserData = this;
    pp.pfnSequenceCallback = &Session::sequence;
    pp.pfnDecodePicture = &Session::decode;
    pp.pfnDisplayPicture = &Session::display;
    ASSERT_EQ(nv_api().cuvid->cuvidCreateVideoParser(&parser, &pp), CUDA_SUCCESS);
    Demuxer demux(InputSource::file(file));  // raw Annex-B .264: packets as the parser wants them
    Packet pkt;
    while (demux.read(pkt)) {
      CUVIDSOURCEDATAPACKET sp{};
      sp.payload = pkt.data().data();
      sp.payload_size = static_cast<unsigned long>(pkt.data().size());
      sp.flags = CUVID_PKT_ENDOFPICTURE;
      nv_api().cuvid->cuvidParseVideoData(parser, &sp);
    }
    CUVIDSOURCEDATAPACKET eos{};
    eos.flags = CUVID_PKT_ENDOFSTREAM;
    nv_api().cuvid->cuvidParseVideoData(parser, &eos);
  }
  ~Session() {
    if (parser) nv_api().cuvid->cuvidDestroyVideoParser(parser);
    for (unsigned long long p : mapped) nv_api().cuvid->cuvidUnmapVideoFrame(decoder, p);
    if (decoder) nv_api().cuvid->cuvidDestroyDecoder(decoder);
    if (stream) nv_api().cuda->cuStreamDestroy(stream);
  }
};

std::string qcif_stream() { return (test::data_dir() / "h264" / "BA_MW_D.264").string(); }

TEST(VirtualNvdec, MapWithoutUnmapIsRefused) {
  Context c;
  ASSERT_TRUE(c.ok);
  Session s;
  s.unmap = false;  // the planted defect: maps are never unmapped
  s.run(qcif_stream());
  ASSERT_GE(s.maps.size(), 2u);
  EXPECT_EQ(s.maps[0], CUDA_SUCCESS);
  EXPECT_EQ(s.maps[1], CUDA_ERROR_INVALID_VALUE) << "one output surface: a second map must wait for the unmap";
  // Destroying a decoder with a frame still mapped is refused too.
  EXPECT_EQ(nv_api().cuvid->cuvidDestroyDecoder(s.decoder), CUDA_ERROR_INVALID_VALUE);
  s.decoder = nullptr;
  s.mapped.clear();
}

TEST(VirtualNvdec, SurfaceReusedWhileMappedIsRefused) {
  Context c;
  ASSERT_TRUE(c.ok);
  Session s;
  s.unmap = false;  // the planted defect: the first picture's surface stays mapped
  s.outputs = 64;   // so that only the surface reuse can fail
  s.run(qcif_stream());
  bool refused = false;
  for (CUresult r : s.decodes) refused |= r == CUDA_ERROR_INVALID_VALUE;
  EXPECT_TRUE(refused) << "decoding into a mapped surface must be refused";
}

TEST(VirtualNvdec, CleanSessionDecodesEveryPicture) {
  Context c;
  ASSERT_TRUE(c.ok);
  Session s;
  s.run(qcif_stream());
  ASSERT_FALSE(s.decodes.empty());
  for (CUresult r : s.decodes) EXPECT_EQ(r, CUDA_SUCCESS);
  for (CUresult r : s.maps) EXPECT_EQ(r, CUDA_SUCCESS);
  EXPECT_EQ(s.maps.size(), s.decodes.size()) << "every decoded picture displayed once";
}

// NVENC: the L4-class model (CUFRAME_VIRTUAL_NVENC=1) refuses an input that is registered
// but not mapped.
TEST(VirtualNvenc, InputEncodedWhileNotMappedIsRefused) {
  setenv("CUFRAME_VIRTUAL_NVENC", "1", 1);
  Context c;
  ASSERT_TRUE(c.ok);
  const detail::NvApi& api = nv_api();
  ASSERT_NE(api.nvenc, nullptr) << "the virtual libnvidia-encode.so.1 must load";
  NV_ENCODE_API_FUNCTION_LIST fn{};
  fn.version = NV_ENCODE_API_FUNCTION_LIST_VER;
  ASSERT_EQ(api.nvenc->NvEncodeAPICreateInstance(&fn), NV_ENC_SUCCESS);
  NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS open{};
  open.version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER;
  open.deviceType = NV_ENC_DEVICE_TYPE_CUDA;
  open.device = c.ctx;
  open.apiVersion = NVENCAPI_VERSION;
  void* enc = nullptr;
  ASSERT_EQ(fn.nvEncOpenEncodeSessionEx(&open, &enc), NV_ENC_SUCCESS);
  NV_ENC_INITIALIZE_PARAMS init{};
  init.version = NV_ENC_INITIALIZE_PARAMS_VER;
  init.encodeGUID = NV_ENC_CODEC_H264_GUID;
  init.presetGUID = NV_ENC_PRESET_P4_GUID;
  init.encodeWidth = init.darWidth = 320;
  init.encodeHeight = init.darHeight = 240;
  init.frameRateNum = 30;
  init.frameRateDen = 1;
  init.enablePTD = 1;
  ASSERT_EQ(fn.nvEncInitializeEncoder(enc, &init), NV_ENC_SUCCESS);
  CUdeviceptr frame = 0;
  const size_t pitch = 512;
  ASSERT_EQ(api.cuda->cuMemAlloc(&frame, pitch * 240 * 3 / 2), CUDA_SUCCESS);
  NV_ENC_REGISTER_RESOURCE reg{};
  reg.version = NV_ENC_REGISTER_RESOURCE_VER;
  reg.resourceType = NV_ENC_INPUT_RESOURCE_TYPE_CUDADEVICEPTR;
  reg.resourceToRegister = reinterpret_cast<void*>(frame);
  reg.width = 320;
  reg.height = 240;
  reg.pitch = pitch;
  reg.bufferFormat = NV_ENC_BUFFER_FORMAT_NV12;
  ASSERT_EQ(fn.nvEncRegisterResource(enc, &reg), NV_ENC_SUCCESS);
  NV_ENC_CREATE_BITSTREAM_BUFFER bs{};
  bs.version = NV_ENC_CREATE_BITSTREAM_BUFFER_VER;
  ASSERT_EQ(fn.nvEncCreateBitstreamBuffer(enc, &bs), NV_ENC_SUCCESS);
  NV_ENC_PIC_PARAMS pic{};
  pic.version = NV_ENC_PIC_PARAMS_VER;
  pic.inputWidth = 320;
  pic.inputHeight = 240;
  pic.inputPitch = pitch;
  pic.bufferFmt = NV_ENC_BUFFER_FORMAT_NV12;
  pic.pictureStruct = NV_ENC_PIC_STRUCT_FRAME;
  pic.inputBuffer = reg.registeredResource;  // the planted defect: registered, never mapped
  pic.outputBitstream = bs.bitstreamBuffer;
  EXPECT_EQ(fn.nvEncEncodePicture(enc, &pic), NV_ENC_ERR_RESOURCE_NOT_MAPPED);
  fn.nvEncDestroyBitstreamBuffer(enc, bs.bitstreamBuffer);
  fn.nvEncUnregisterResource(enc, reg.registeredResource);
  fn.nvEncDestroyEncoder(enc);
  api.cuda->cuMemFree(frame);
}

// GPU review item 14: with two GPUs and `--device cuda:1`, every pipeline thread must make
// device 1 current before it launches on device 1's streams. (NVDEC's host wait inside the
// display callback, item 16, is only reported here, so that the transcode reaches its ops.)
TEST(VirtualGpuPipeline, TranscodeOnTheSecondGpuLaunchesOnItsOwnDevice) {
  const std::string out = (test::temp_dir() / "second_gpu.mp4").string();
  test::ProcessOptions o;
  o.env = {"CUFRAME_VIRTUAL_GPUS=2", "CUFRAME_VIRTUAL_NVDEC_CALLBACK_SYNC=warn"};
  const test::ProcessResult r = test::run_process(
      {test::cli_path(), "transcode", test::sample("nasa_13013_rotated.mp4").string(), out, "--device", "cuda:1",
       "--ops", "resize=96x64,gray", "--no-audio"},
      o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("while device 0 is current"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cuframe::vgpu_test

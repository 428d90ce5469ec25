// Read a whole video into (GPU) memory, turn every frame gray, save it.
//
//   example_gray_in_memory IN OUT.mp4
//
// The seed's "video in memory" recipe, the engine's way: ResidentClip decodes every
// frame into ONE allocation (device memory with NVDEC, host memory otherwise), one
// OpChain launch per op covers all frames, and the encoder + muxer write it out.
#include <cstdio>

#include "cuframe/cuframe.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s IN OUT.mp4\n", argv[0]);
    return 2;
  }
  try {
    using namespace cuframe;
    ResidentClip clip = ResidentClip::load(InputSource::file(argv[1]));
    FrameBatch& frames = clip.frames();
    std::printf("resident: %lld frames, %.1f MiB in %s memory (%s)\n", static_cast<long long>(clip.size()),
                static_cast<double>(clip.bytes()) / (1 << 20), frames.memory() == MemoryKind::Device ? "device" : "host",
                clip.decoder_description().c_str());

    std::optional<CudaStream> stream;
    if (frames.memory() == MemoryKind::Device) stream.emplace(frames.device());
    OpChain gray(parse_ops("gray"), frames.layout(), frames.capacity(), frames.memory(), frames.device());
    FrameBatch& result = gray.run(frames, stream ? &*stream : nullptr);  // in place: chroma neutral
    if (stream) stream->synchronize();

    const VideoStreamInfo& v = clip.info().video;
    EncodeParams params;
    params.width = result.layout().width;
    params.height = result.layout().height;
    params.format = result.layout().format;
    params.bit_depth = result.layout().bit_depth;
    params.color = v.color;
    params.time_base = v.time_base;
    params.frame_rate = v.fps;
    params.sar = v.sar;
    Muxer mux(argv[2], MuxOptions{});
    params.global_header = wants_global_header(mux.format());
    std::unique_ptr<Encoder> encoder = open_encoder(params);  // NVENC if the GPU has it, else libx264
    std::printf("encoder: %s\n", encoder->description().c_str());
    mux.add_video({Codec::H264, params, encoder->extradata()});
    mux.begin();

    // The CPU encoder reads host frames: stage device frames through one pinned chunk.
    const int chunk = 32;
    const bool stage = result.memory() == MemoryKind::Device && encoder->backend() == EncoderBackend::Cpu;
    std::optional<FrameBatch> host;
    if (stage) host.emplace(result.layout(), chunk, MemoryKind::Pinned, result.device());
    Packet packet;
    for (int i = 0; i < result.size(); i += chunk) {
      const int n = std::min(chunk, result.size() - i);
      FrameBatch part = result.view(i, n);
      const FrameBatch* in = &part;
      if (stage) {
        host->resize(n);
        for (int f = 0; f < n; ++f) copy_frame(part, f, *host, f);
        in = &*host;
      }
      encoder->send(*in, stream ? &*stream : nullptr);
      while (encoder->receive(packet)) mux.write_video(packet);
    }
    encoder->flush();
    while (encoder->receive(packet)) mux.write_video(packet);
    mux.finish();
    std::printf("wrote %s\n", argv[2]);
    return 0;
  } catch (const cuframe::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

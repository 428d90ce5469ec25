// Read a whole video into (GPU) memory, turn every frame gray, save it.
//
//   example_gray_in_memory IN OUT.mp4
//
// The seed's "video in memory" recipe, the engine's way: ResidentClip decodes every
// frame into ONE allocation (device memory with NVDEC, host memory otherwise), one
// OpChain launch covers all frames, and a VideoWriter encodes them (NVENC if the GPU has
// it, else libx264) into OUT with IN's timing, colour tags, rotation and aspect ratio.
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
    std::printf("resident: %lld frames in %s memory (%s)\n", static_cast<long long>(clip.size()),
                frames.memory() == MemoryKind::Device ? "device" : "host", clip.decoder_description().c_str());
    std::optional<CudaStream> stream;  // device frames: GPU work goes on a stream
    if (frames.memory() == MemoryKind::Device) stream.emplace(frames.device());
    OpChain gray(parse_ops("gray"), frames.layout(), frames.capacity(), frames.memory(), frames.device());
    FrameBatch& result = gray.run(frames, stream ? &*stream : nullptr);  // in place: chroma neutral

    VideoWriter out(argv[2], WriterSettings::like(InputSource::file(argv[1])));
    out.write(result, stream ? &*stream : nullptr);
    out.close();
    std::printf("wrote %s (%s)\n", argv[2], out.description().c_str());
    return 0;
  } catch (const cuframe::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

// Probes a file with the installed library and prints "frames=N".
#include <cstdio>

#include <cuframe/cuframe.hpp>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  try {
    const cuframe::MediaInfo info = cuframe::probe(cuframe::InputSource::file(argv[1]));
    std::printf("cuframe %s frames=%lld codec=%s\n", cuframe::version(), static_cast<long long>(info.video.frames),
                info.video.codec_name.c_str());
    return 0;
  } catch (const cuframe::Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}

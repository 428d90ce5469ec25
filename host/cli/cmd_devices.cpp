// cuframe devices [--json] [--caps]: driver, GPUs, NVDEC/NVENC capability tables.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "cuframe/cuframe.hpp"

namespace cuframe::cli {

namespace {

struct DevicesArgs {
  bool json = false;
  bool caps = false;
};

nlohmann::ordered_json caps_json(const CodecCapsReport& r) {
  nlohmann::ordered_json dec = nlohmann::ordered_json::array();
  for (const DecodeCaps& d : r.decode)
    dec.push_back({{"codec", to_string(d.codec)}, {"chroma", to_string(d.chroma)}, {"bit_depth", d.bit_depth},
                   {"supported", d.supported}, {"engines", d.engines}, {"max_width", d.max_width},
                   {"max_height", d.max_height}, {"min_width", d.min_width}, {"min_height", d.min_height},
                   {"max_macroblocks", d.max_macroblocks}, {"output_format_mask", d.output_format_mask}});
  nlohmann::ordered_json enc = nlohmann::ordered_json::array();
  for (const EncodeCaps& e : r.encode)
    enc.push_back({{"codec", to_string(e.codec)}, {"supported", e.supported}, {"max_width", e.max_width},
                   {"max_height", e.max_height}, {"ten_bit", e.ten_bit}, {"yuv444", e.yuv444},
                   {"max_b_frames", e.max_b_frames}});
  return {{"device", r.device},       {"nvdec_engines", r.nvdec_engines}, {"decode_problem", r.decode_problem},
          {"decode", dec},            {"encode_problem", r.encode_problem}, {"encode", enc}};
}

void print_caps(const CodecCapsReport& r) {
  std::printf("  NVDEC: %s\n", r.decode_problem.empty() ? ("engines " + std::to_string(r.nvdec_engines)).c_str()
                                                        : r.decode_problem.c_str());
  for (const DecodeCaps& d : r.decode)
    if (d.supported)
      std::printf("    %-10s %s %2d-bit  up to %dx%d (min %dx%d), engines %d\n", to_string(d.codec),
                  to_string(d.chroma), d.bit_depth, d.max_width, d.max_height, d.min_width, d.min_height, d.engines);
  std::printf("  NVENC: %s\n", r.encode_problem.empty() ? "available" : r.encode_problem.c_str());
  for (const EncodeCaps& e : r.encode)
    std::printf("    %-10s %s up to %dx%d, 10-bit %s, 4:4:4 %s, B-frames %d\n", to_string(e.codec),
                e.supported ? "yes" : "no ", e.max_width, e.max_height, e.ten_bit ? "yes" : "no",
                e.yuv444 ? "yes" : "no", e.max_b_frames);
}

}  // namespace

Runner add_devices(CLI::App& app) {
  auto args = std::make_shared<DevicesArgs>();
  CLI::App* sub = app.add_subcommand("devices", "Show the NVIDIA driver, the GPUs and their codec engines");
  sub->add_flag("--json", args->json, "Print one JSON object");
  sub->add_flag("--caps", args->caps, "Query NVDEC/NVENC capability tables");
  return [args]() {
    const DriverStatus st = driver_status();
    const std::vector<DeviceInfo> gpus = devices();
    if (args->json) {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const DeviceInfo& d : gpus) {
        nlohmann::ordered_json j = {{"ordinal", d.ordinal},
                                    {"name", d.name},
                                    {"compute_capability", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)},
                                    {"total_memory", d.total_memory},
                                    {"multiprocessors", d.multiprocessors},
                                    {"pci_bus_id", d.pci_bus_id}};
        if (args->caps) j["caps"] = caps_json(query_codec_caps(d.ordinal));
        list.push_back(j);
      }
      nlohmann::ordered_json root = {{"cuda_built", cuda_built()},
                                     {"required_driver_api", required_driver_version()},
                                     {"libcuda", st.libcuda},
                                     {"libnvcuvid", st.libnvcuvid},
                                     {"libnvidia_encode", st.libnvidia_encode},
                                     {"driver_api_version", st.driver_api_version},
                                     {"driver_release", st.driver_release},
                                     {"problem", st.problem},
                                     {"devices", list}};
      std::printf("%s\n", root.dump(2).c_str());
      return 0;
    }
    std::printf("build: %s, %s\n", cuda_built() ? "CUDA" : "CPU-only", build_info());
    std::printf("driver: libcuda %s, libnvcuvid %s, libnvidia-encode %s", st.libcuda ? "yes" : "no",
                st.libnvcuvid ? "yes" : "no", st.libnvidia_encode ? "yes" : "no");
    if (st.driver_api_version)
      std::printf(", CUDA %d.%d", st.driver_api_version / 1000, st.driver_api_version % 1000 / 10);
    if (!st.driver_release.empty()) std::printf(", release %s", st.driver_release.c_str());
    std::printf("\n");
    if (!st.problem.empty()) std::printf("no usable GPU: %s\n", st.problem.c_str());
    for (const DeviceInfo& d : gpus) {
      std::printf("GPU %d: %s, sm_%d%d, %.1f GiB, %d SMs, %s\n", d.ordinal, d.name.c_str(), d.cc_major, d.cc_minor,
                  static_cast<double>(d.total_memory) / (1 << 30), d.multiprocessors, d.pci_bus_id.c_str());
      if (args->caps) print_caps(query_codec_caps(d.ordinal));
    }
    return 0;
  };
}

}  // namespace cuframe::cli

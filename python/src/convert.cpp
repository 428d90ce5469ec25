// `.to(format, **settings)`: the settings, and the kernels they plan (Converter).
#include <algorithm>
#include <functional>
#include <map>

#include <nanobind/stl/optional.h>

#include "binding.hpp"

namespace cuframe::py {

namespace {

bool is_yuv(PixelFormat f) {
  return f == PixelFormat::NV12 || f == PixelFormat::P016 || f == PixelFormat::YUV444P || f == PixelFormat::YUV444P16;
}
bool is_float(PixelFormat f) { return f == PixelFormat::RGBPF32 || f == PixelFormat::RGBPF16; }

[[noreturn]] void bad(const std::string& what, const std::string& why) {
  throw Error(Errc::InvalidArgument, what, why);
}

template <std::size_t N>
std::array<float, N> floats(const nb::handle& h, const char* key) {
  std::array<float, N> out{};
  if (nb::isinstance<nb::float_>(h) || nb::isinstance<nb::int_>(h)) {
    out.fill(nb::cast<float>(h));
    return out;
  }
  const nb::sequence seq = nb::borrow<nb::sequence>(h);
  if (nb::len(seq) != N) bad(key, "expected " + std::to_string(N) + " numbers (one per channel) or one number");
  for (std::size_t i = 0; i < N; ++i) out[i] = nb::cast<float>(seq[i]);
  return out;
}

}  // namespace

PixelFormat parse_format(const std::string& name) {
  static const std::map<std::string, PixelFormat> names = {
      {"nv12", PixelFormat::NV12},       {"p016", PixelFormat::P016},       {"yuv444p", PixelFormat::YUV444P},
      {"yuv444p16", PixelFormat::YUV444P16}, {"rgb24", PixelFormat::RGB24}, {"bgr24", PixelFormat::BGR24},
      {"rgba", PixelFormat::RGBA},       {"rgbp", PixelFormat::RGBP},       {"gray", PixelFormat::Gray8},
      {"rgbpf32", PixelFormat::RGBPF32}, {"rgbpf16", PixelFormat::RGBPF16}};
  const auto it = names.find(name);
  if (it == names.end())
    bad("format " + name, "unknown pixel format: use native, nv12, p016, yuv444p, yuv444p16, rgb24, bgr24, rgba, rgbp, "
                          "gray, rgbpf32 or rgbpf16");
  return it->second;
}

bool ToSettings::empty_for(PixelFormat from) const {
  return format == from && !color.matrix && !color.range && width == 0 && !crop && !normalize;
}

ToSettings parse_to_settings(PixelFormat format, const nb::dict& settings) {
  ToSettings s;
  s.format = format;
  for (auto [k, v] : settings) {
    const std::string key = nb::cast<std::string>(k);
    if (v.is_none()) continue;
    if (key == "matrix") {
      const std::string m = nb::cast<std::string>(v);
      if (m == "bt601") s.color.matrix = ColorMatrix::BT601;
      else if (m == "bt709") s.color.matrix = ColorMatrix::BT709;
      else if (m == "bt2020") s.color.matrix = ColorMatrix::BT2020;
      else bad("matrix=" + m, "use bt601, bt709 or bt2020");
    } else if (key == "range") {
      const std::string r = nb::cast<std::string>(v);
      if (r == "limited") s.color.range = ColorRange::Limited;
      else if (r == "full") s.color.range = ColorRange::Full;
      else bad("range=" + r, "use limited or full");
    } else if (key == "width") {
      s.width = nb::cast<int>(v);
    } else if (key == "height") {
      s.height = nb::cast<int>(v);
    } else if (key == "filter") {
      const std::string f = nb::cast<std::string>(v);
      if (f == "nearest") s.filter = ResizeFilter::Nearest;
      else if (f == "bilinear") s.filter = ResizeFilter::Bilinear;
      else if (f == "bicubic") s.filter = ResizeFilter::Bicubic;
      else if (f == "area") s.filter = ResizeFilter::Area;
      else bad("filter=" + f, "use nearest, bilinear, bicubic or area");
    } else if (key == "crop") {
      const auto c = floats<4>(v, "crop");
      s.crop = kernels::CropRect{static_cast<int>(c[0]), static_cast<int>(c[1]), static_cast<int>(c[2]),
                                 static_cast<int>(c[3])};
      if (s.crop->width <= 0 || s.crop->height <= 0) bad("crop", "width and height must be positive");
    } else if (key == "mean" || key == "stddev") {
      if (!s.normalize) s.normalize = kernels::Normalize{};
      const auto c = floats<3>(v, key.c_str());
      std::copy(c.begin(), c.end(), key == "mean" ? s.normalize->mean : s.normalize->stddev);
    } else {
      bad(key, "unknown setting: use matrix, range, width, height, filter, crop, mean or stddev");
    }
  }
  if ((s.width == 0) != (s.height == 0)) bad("width/height", "a resize needs both width and height");
  if (s.width < 0 || s.height < 0) bad("width/height", "must be positive");
  return s;
}

struct Converter::Step {
  FrameLayout out;
  std::function<void(const FrameBatch&, FrameBatch&, const CudaStream*)> run;
};

Converter::Converter(const FrameLayout& input, const ToSettings& s, int capacity, MemoryKind memory, int device) {
  FrameLayout cur = input;
  auto add = [&](const FrameLayout& out, std::function<void(const FrameBatch&, FrameBatch&, const CudaStream*)> fn) {
    steps_.push_back(std::make_shared<Step>(Step{out, std::move(fn)}));
    cur = out;
  };
  const std::string from = to_string(input.format), to = to_string(s.format);
  if (is_yuv(cur.format) && is_float(s.format) && (s.crop || s.width || s.normalize)) {
    // The fused deep-learning path: one pass (kernels::crop_resize_normalize).
    const kernels::CropRect rect = s.crop.value_or(kernels::CropRect{0, 0, cur.width, cur.height});
    const int w = s.width ? s.width : rect.width, h = s.height ? s.height : rect.height;
    const kernels::Normalize norm = s.normalize.value_or(kernels::Normalize{});
    const kernels::ColorSettings color = s.color;
    add(make_layout(s.format, w, h), [rect, norm, color](const FrameBatch& a, FrameBatch& b, const CudaStream* st) {
      kernels::crop_resize_normalize(a, b, rect, norm, color, st);
    });
  } else {
    if (s.normalize)
      bad("mean/stddev", "normalising is the fused path: format rgbpf32 or rgbpf16 from a YUV batch (this is " + from +
                             " to " + to + ")");
    if (s.crop) {
      const kernels::CropRect c = *s.crop;
      add(kernels::cropped_layout(cur, c.x, c.y, c.width, c.height),
          [c](const FrameBatch& a, FrameBatch& b, const CudaStream* st) { kernels::crop(a, b, c.x, c.y, st); });
    }
    if (s.format != cur.format) {
      if (is_yuv(cur.format) && !is_yuv(s.format)) {
        const kernels::ColorSettings color = s.color;
        add(kernels::converted_layout(cur, s.format), [color](const FrameBatch& a, FrameBatch& b, const CudaStream* st) {
          kernels::convert_color(a, b, color, st);
        });
      } else if (!is_yuv(cur.format) && (s.format == PixelFormat::NV12 || s.format == PixelFormat::P016)) {
        const ColorMatrix matrix = s.color.matrix.value_or(cur.height >= 720 ? ColorMatrix::BT709 : ColorMatrix::BT601);
        const ColorRange range = s.color.range.value_or(ColorRange::Limited);
        add(kernels::yuv_layout(cur, s.format, s.format == PixelFormat::P016 ? 10 : 8),
            [matrix, range](const FrameBatch& a, FrameBatch& b, const CudaStream* st) {
              kernels::convert_to_yuv(a, b, matrix, range, st);
            });
      } else {
        throw Error(Errc::Unsupported, "to(" + to + ")",
                    "cannot convert " + from + " to " + to +
                        ": YUV batches convert to rgb24, bgr24, rgba, rgbp, gray, rgbpf32 and rgbpf16, and those to nv12 "
                        "and p016");
      }
    }
    if (s.width && (s.width != cur.width || s.height != cur.height)) {
      const ResizeFilter filter = s.filter;
      add(kernels::resized_layout(cur, s.width, s.height),
          [filter](const FrameBatch& a, FrameBatch& b, const CudaStream* st) { kernels::resize(a, b, filter, st); });
    }
  }
  if (steps_.empty()) throw Error(Errc::Internal, "to(" + to + ")", "nothing to convert");
  for (std::size_t i = 0; i + 1 < steps_.size(); ++i) buffers_.emplace_back(steps_[i]->out, capacity, memory, device);
  output_ = cur;
}

void Converter::run(const FrameBatch& src, FrameBatch& dst, const CudaStream* stream) {
  const FrameBatch* in = &src;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    FrameBatch& out = i + 1 < steps_.size() ? buffers_[i] : dst;
    steps_[i]->run(*in, out, stream);
    out.resize(in->size());
    out.time_base = in->time_base;
    in = &out;
  }
}

}  // namespace cuframe::py

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "cuframe/error.hpp"
#include "cuframe/ops.hpp"

namespace cuframe {

namespace {

[[noreturn]] void bad(size_t index, std::string_view item, const std::string& why) {
  throw Error(Errc::InvalidArgument, "--ops",
              "item " + std::to_string(index + 1) + " '" + std::string(item) + "': " + why);
}

// Whole-string integer in [lo, hi].
bool to_int(std::string_view s, int lo, int hi, int& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, out);
  return r.ec == std::errc() && r.ptr == end && out >= lo && out <= hi;
}

// Whole-string finite decimal in [lo, hi] (plain notation: digits, one '.', a sign).
bool to_double(std::string_view s, double lo, double hi, double& out) {
  if (s.empty() || s.size() > 32) return false;
  size_t dots = 0, digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') ++dots;
    else if (c >= '0' && c <= '9') ++digits;
    else if (!((c == '-' || c == '+') && i == 0)) return false;
  }
  if (dots > 1 || digits == 0) return false;
  const std::string copy(s);
  char* end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(out)) return false;
  // Values have a resolution of 1e-9: the text form then always fits the parser again
  // (found by fuzzing: ".000…001" at the length limit printed one character longer).
  out = std::round(out * 1e9) / 1e9;
  if (out == 0.0) out = 0.0;  // no "-0"
  return out >= lo && out <= hi;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    const size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

constexpr int kMaxSide = 65536;

Op parse_one(size_t index, std::string_view item) {
  const size_t eq = item.find('=');
  const std::string_view name = item.substr(0, eq);
  const std::string_view arg = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
  const bool has_arg = eq != std::string_view::npos;
  if (name == "gray") {
    if (has_arg) bad(index, item, "gray takes no value");
    return GrayOp{};
  }
  if (!has_arg) bad(index, item, "expected NAME=VALUE (resize=WxH, crop=X:Y:W:H, gray, blur=SIGMA, flip=h|v, rotate=90|180|270, brightness=B, contrast=C)");
  if (name == "resize") {
    ResizeOp op;
    const auto parts = split(arg, ':');
    if (parts.size() > 2) bad(index, item, "expected resize=WxH or resize=WxH:FILTER");
    const auto wh = split(parts[0], 'x');
    if (wh.size() != 2 || !to_int(wh[0], 1, kMaxSide, op.width) || !to_int(wh[1], 1, kMaxSide, op.height))
      bad(index, item, "expected WxH with W and H in 1.." + std::to_string(kMaxSide));
    if (parts.size() == 2) {
      if (parts[1] == "nearest") op.filter = ResizeFilter::Nearest;
      else if (parts[1] == "bilinear") op.filter = ResizeFilter::Bilinear;
      else if (parts[1] == "bicubic") op.filter = ResizeFilter::Bicubic;
      else if (parts[1] == "area") op.filter = ResizeFilter::Area;
      else bad(index, item, "filter must be nearest, bilinear, bicubic or area");
    }
    return op;
  }
  if (name == "crop") {
    CropOp op;
    const auto p = split(arg, ':');
    if (p.size() != 4 || !to_int(p[0], 0, kMaxSide - 1, op.x) || !to_int(p[1], 0, kMaxSide - 1, op.y) ||
        !to_int(p[2], 1, kMaxSide, op.width) || !to_int(p[3], 1, kMaxSide, op.height))
      bad(index, item, "expected crop=X:Y:W:H with X, Y >= 0 and W, H >= 1");
    return op;
  }
  if (name == "blur") {
    BlurOp op;
    if (!to_double(arg, 0.0, 100.0, op.sigma) || op.sigma <= 0.0) bad(index, item, "sigma must be in (0, 100]");
    return op;
  }
  if (name == "flip") {
    if (arg == "h") return FlipOp{FlipAxis::Horizontal};
    if (arg == "v") return FlipOp{FlipAxis::Vertical};
    bad(index, item, "expected flip=h or flip=v");
  }
  if (name == "rotate") {
    RotateOp op;
    if (!to_int(arg, 0, 360, op.degrees) || (op.degrees != 90 && op.degrees != 180 && op.degrees != 270))
      bad(index, item, "rotation must be 90, 180 or 270 (clockwise)");
    return op;
  }
  if (name == "brightness") {
    BrightnessOp op;
    if (!to_double(arg, -1.0, 1.0, op.value)) bad(index, item, "brightness must be in [-1, 1]");
    return op;
  }
  if (name == "contrast") {
    ContrastOp op;
    if (!to_double(arg, 0.0, 10.0, op.value)) bad(index, item, "contrast must be in [0, 10]");
    return op;
  }
  bad(index, item, "unknown op (resize, crop, gray, blur, flip, rotate, brightness, contrast)");
}

// Plain-notation text of a parsed value (resolution 1e-9, see to_double): nine decimals,
// trailing zeros dropped. Parsing it gives the same double back.
std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

}  // namespace

std::vector<Op> parse_ops(std::string_view list) {
  std::vector<Op> ops;
  if (list.empty()) return ops;
  if (list.size() > 4096) throw Error(Errc::InvalidArgument, "--ops", "the list is longer than 4096 characters");
  const auto items = split(list, ',');
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].empty()) bad(i, items[i], "empty item (two commas, or a comma at an end)");
    ops.push_back(parse_one(i, items[i]));
  }
  return ops;
}

std::string to_string(const Op& op) {
  struct Text {
    std::string operator()(const ResizeOp& o) const {
      static const char* const f[] = {"nearest", "bilinear", "bicubic", "area"};
      return "resize=" + std::to_string(o.width) + "x" + std::to_string(o.height) + ":" + f[static_cast<int>(o.filter)];
    }
    std::string operator()(const CropOp& o) const {
      return "crop=" + std::to_string(o.x) + ":" + std::to_string(o.y) + ":" + std::to_string(o.width) + ":" +
             std::to_string(o.height);
    }
    std::string operator()(const GrayOp&) const { return "gray"; }
    std::string operator()(const BlurOp& o) const { return "blur=" + number(o.sigma); }
    std::string operator()(const FlipOp& o) const { return o.axis == FlipAxis::Horizontal ? "flip=h" : "flip=v"; }
    std::string operator()(const RotateOp& o) const { return "rotate=" + std::to_string(o.degrees); }
    std::string operator()(const BrightnessOp& o) const { return "brightness=" + number(o.value); }
    std::string operator()(const ContrastOp& o) const { return "contrast=" + number(o.value); }
  };
  return std::visit(Text{}, op);
}

}  // namespace cuframe

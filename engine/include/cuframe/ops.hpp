// cuframe/ops.hpp — the operations of an `--ops` chain, as typed values.
//
// The CLI's `--ops` is a comma list applied in order:
//   resize=WxH[:nearest|bilinear|bicubic|area]   crop=X:Y:W:H   gray   blur=SIGMA
//   flip=h|v   rotate=90|180|270   brightness=B (-1..1)   contrast=C (0..10)
// parse_ops() turns it into Ops once; nothing deeper in the engine sees strings. Decimal
// values are plain notation (no exponents) with a resolution of 1e-9.
//
// An Op is a std::variant of one struct per kind, so an op carries only the fields that
// mean something for it; std::visit (or std::get_if) reads it. The resize filter and the
// flip axis are the kernels' own enums (cuframe/kernels/geometry_types.hpp), shared by both.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cuframe/kernels/geometry_types.hpp"

namespace cuframe {

using kernels::FlipAxis;
using kernels::ResizeFilter;

/// resize=WxH[:FILTER]: to width x height (each 1..65536).
struct ResizeOp {
  int width = 0, height = 0;
  ResizeFilter filter = ResizeFilter::Bilinear;
  friend bool operator==(const ResizeOp&, const ResizeOp&) = default;
};
/// crop=X:Y:W:H: the width x height rectangle at (x, y); 4:2:0 frames need even x, y.
struct CropOp {
  int x = 0, y = 0, width = 0, height = 0;
  friend bool operator==(const CropOp&, const CropOp&) = default;
};
/// gray: chroma set to neutral (the frames stay YUV).
struct GrayOp {
  friend bool operator==(const GrayOp&, const GrayOp&) = default;
};
/// blur=SIGMA: a Gaussian blur, sigma in (0, 100].
struct BlurOp {
  double sigma = 1.0;
  friend bool operator==(const BlurOp&, const BlurOp&) = default;
};
/// flip=h|v.
struct FlipOp {
  FlipAxis axis = FlipAxis::Horizontal;
  friend bool operator==(const FlipOp&, const FlipOp&) = default;
};
/// rotate=90|180|270, clockwise.
struct RotateOp {
  int degrees = 90;
  friend bool operator==(const RotateOp&, const RotateOp&) = default;
};
/// brightness=B: B in [-1, 1] added to luma (1 = the full range).
struct BrightnessOp {
  double value = 0.0;
  friend bool operator==(const BrightnessOp&, const BrightnessOp&) = default;
};
/// contrast=C: luma scaled by C in [0, 10] about mid-grey.
struct ContrastOp {
  double value = 1.0;
  friend bool operator==(const ContrastOp&, const ContrastOp&) = default;
};

using Op = std::variant<ResizeOp, CropOp, GrayOp, BlurOp, FlipOp, RotateOp, BrightnessOp, ContrastOp>;

/// Parses an `--ops` list. Throws cuframe::Error (Errc::InvalidArgument, subject
/// "--ops") naming the item, its position and what was expected. An empty list is no ops.
std::vector<Op> parse_ops(std::string_view list);

/// The canonical text of one op (parse_ops(to_string(op)) == {op}).
std::string to_string(const Op& op);

}  // namespace cuframe

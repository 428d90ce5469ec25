// cuframe/ops.hpp — the operations of an `--ops` chain, as typed values.
//
// The CLI's `--ops` is a comma list applied in order:
//   resize=WxH[:nearest|bilinear|bicubic|area]   crop=X:Y:W:H   gray   blur=SIGMA
//   flip=h|v   rotate=90|180|270   brightness=B (-1..1)   contrast=C (0..10)
// parse_ops() turns it into Ops once; nothing deeper in the engine sees strings. Decimal
// values are plain notation (no exponents) with a resolution of 1e-9.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cuframe {

enum class OpKind { Resize, Crop, Gray, Blur, Flip, Rotate, Brightness, Contrast };
enum class ResizeFilter { Nearest, Bilinear, Bicubic, Area };

struct Op {
  OpKind kind = OpKind::Gray;
  int width = 0, height = 0;  ///< resize target; crop size
  int x = 0, y = 0;           ///< crop origin
  ResizeFilter filter = ResizeFilter::Bilinear;
  double value = 0;           ///< blur sigma, brightness, contrast
  bool horizontal = true;     ///< flip axis
  int degrees = 0;            ///< rotate (clockwise)
  friend bool operator==(const Op&, const Op&) = default;
};

/// Parses an `--ops` list. Throws cuframe::Error (Errc::InvalidArgument, subject
/// "--ops") naming the item, its position and what was expected. An empty list is no ops.
std::vector<Op> parse_ops(std::string_view list);

/// The canonical text of one op (parse_ops(to_string(op)) == {op}).
std::string to_string(const Op& op);

}  // namespace cuframe

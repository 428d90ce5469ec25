#include "cuframe/op_chain.hpp"

#include <algorithm>
#include <optional>
#include <variant>

#include "cuframe/error.hpp"
#include "cuframe/kernels/filter.hpp"
#include "cuframe/kernels/geometry.hpp"

namespace cuframe {

namespace {

bool is_yuv(PixelFormat f) {
  return f == PixelFormat::NV12 || f == PixelFormat::P016 || f == PixelFormat::YUV444P || f == PixelFormat::YUV444P16;
}

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

bool in_place(const Op& op) {
  return std::holds_alternative<GrayOp>(op) || std::holds_alternative<BrightnessOp>(op) ||
         std::holds_alternative<ContrastOp>(op);
}

// The layout after one op, with the op named in errors.
FrameLayout step_layout(const Op& op, const FrameLayout& in) {
  try {
    return std::visit(Overloaded{
                          [&](const ResizeOp& o) { return kernels::resized_layout(in, o.width, o.height); },
                          [&](const CropOp& o) { return kernels::cropped_layout(in, o.x, o.y, o.width, o.height); },
                          [&](const RotateOp& o) { return kernels::rotated_layout(in, o.degrees); },
                          [&](const auto&) { return in; },
                      },
                      op);
  } catch (const Error& e) {
    throw Error(Errc::InvalidArgument, "--ops " + to_string(op), e.reason());
  }
}

}  // namespace

FrameLayout layout_after(const std::vector<Op>& ops, const FrameLayout& input) {
  if (!is_yuv(input.format))
    throw Error(Errc::Unsupported, "ops", std::string("transcode ops run on YUV frames, not ") + to_string(input.format));
  FrameLayout l = input;
  for (const Op& op : ops) l = step_layout(op, l);
  return l;
}

std::size_t planned_chain_bytes(const std::vector<Op>& ops, const FrameLayout& input, int capacity) {
  layout_after(ops, input);  // the same refusals
  const std::size_t n = static_cast<std::size_t>(std::max(capacity, 0));
  std::size_t bytes = 0;
  FrameLayout l = input;
  for (const Op& op : ops) {
    const FrameLayout next = step_layout(op, l);
    if (!in_place(op)) bytes += next.frame_stride * n;
    if (std::holds_alternative<BlurOp>(op)) bytes += 4 * l.frame_stride * n;  // float samples: at most 4x the frame
    l = next;
  }
  return bytes;
}

struct OpChain::Impl {
  std::vector<Op> ops;
  std::vector<std::optional<FrameBatch>> buffers;  // per op: its output, if out of place
  std::vector<std::unique_ptr<kernels::GaussianBlur>> blurs;
  FrameLayout output;
  std::size_t bytes = 0;
};

OpChain::OpChain(std::vector<Op> ops, const FrameLayout& input, int capacity, MemoryKind memory, int device)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.output = layout_after(ops, input);
  m.ops = std::move(ops);
  FrameLayout l = input;
  for (const Op& op : m.ops) {
    const FrameLayout next = step_layout(op, l);
    if (const auto* b = std::get_if<BrightnessOp>(&op); b && !(b->value >= -1.0 && b->value <= 1.0))
      throw Error(Errc::InvalidArgument, "--ops " + to_string(op), "brightness must be in [-1, 1]");
    if (const auto* c = std::get_if<ContrastOp>(&op); c && !(c->value >= 0.0 && c->value <= 10.0))
      throw Error(Errc::InvalidArgument, "--ops " + to_string(op), "contrast must be in [0, 10]");
    if (in_place(op)) {
      m.buffers.emplace_back();
      m.blurs.emplace_back();
    } else {
      m.buffers.emplace_back(FrameBatch(next, capacity, memory, device));
      m.bytes += m.buffers.back()->bytes();
      if (const auto* blur = std::get_if<BlurOp>(&op)) {
        try {
          m.blurs.push_back(std::make_unique<kernels::GaussianBlur>(l, capacity, blur->sigma, memory, device));
        } catch (const Error& e) {
          throw Error(Errc::InvalidArgument, "--ops " + to_string(op), e.reason());
        }
      } else {
        m.blurs.emplace_back();
      }
    }
    l = next;
  }
}

OpChain::~OpChain() = default;
OpChain::OpChain(OpChain&&) noexcept = default;
OpChain& OpChain::operator=(OpChain&&) noexcept = default;

const FrameLayout& OpChain::output_layout() const noexcept { return impl_->output; }
const std::vector<Op>& OpChain::ops() const noexcept { return impl_->ops; }
std::size_t OpChain::bytes() const noexcept { return impl_->bytes; }

FrameBatch& OpChain::run(FrameBatch& in, const CudaStream* stream) {
  Impl& m = *impl_;
  FrameBatch* cur = &in;
  for (size_t i = 0; i < m.ops.size(); ++i) {
    const Op& op = m.ops[i];
    FrameBatch* out = m.buffers[i] ? &*m.buffers[i] : cur;
    std::visit(Overloaded{
                   [&](const ResizeOp& o) { kernels::resize(*cur, *out, o.filter, stream); },
                   [&](const CropOp& o) { kernels::crop(*cur, *out, o.x, o.y, stream); },
                   [&](const FlipOp& o) { kernels::flip(*cur, *out, o.axis, stream); },
                   [&](const RotateOp& o) { kernels::rotate(*cur, *out, o.degrees, stream); },
                   [&](const BlurOp&) {
                     out->resize(cur->size());
                     m.blurs[i]->run(*cur, *out, stream);
                     for (int f = 0; f < cur->size(); ++f) out->info(f) = cur->info(f);
                     out->color = cur->color;
                     out->time_base = cur->time_base;
                   },
                   [&](const GrayOp&) { kernels::neutral_chroma(*cur, stream); },
                   [&](const BrightnessOp& o) { kernels::adjust_brightness_contrast(*cur, o.value, 1.0, stream); },
                   [&](const ContrastOp& o) { kernels::adjust_brightness_contrast(*cur, 0.0, o.value, stream); },
               },
               op);
    if (out != cur) out->time_base = cur->time_base;
    cur = out;
  }
  return *cur;
}

}  // namespace cuframe

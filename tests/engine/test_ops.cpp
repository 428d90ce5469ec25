// The --ops parser: every documented op, strict numbers, clear errors naming the item,
// and text round trips.
#include <gtest/gtest.h>

#include <variant>

#include "cuframe/error.hpp"
#include "cuframe/ops.hpp"
#include "support/helpers.hpp"

namespace cuframe {
namespace {

TEST(OpsParser, EveryDocumentedOp) {
  const auto ops = parse_ops("resize=640x360,crop=10:20:300:200,gray,blur=1.5,flip=h,flip=v,rotate=270,brightness=-0.25,"
                             "contrast=1.3,resize=32x16:area");
  ASSERT_EQ(ops.size(), 10u);
  EXPECT_EQ(ops[0], Op(ResizeOp{640, 360, ResizeFilter::Bilinear}));
  EXPECT_EQ(ops[1], Op(CropOp{10, 20, 300, 200}));
  EXPECT_TRUE(std::holds_alternative<GrayOp>(ops[2]));
  ASSERT_TRUE(std::holds_alternative<BlurOp>(ops[3]));
  EXPECT_DOUBLE_EQ(std::get<BlurOp>(ops[3]).sigma, 1.5);
  EXPECT_EQ(ops[4], Op(FlipOp{FlipAxis::Horizontal}));
  EXPECT_EQ(ops[5], Op(FlipOp{FlipAxis::Vertical}));
  EXPECT_EQ(ops[6], Op(RotateOp{270}));
  ASSERT_TRUE(std::holds_alternative<BrightnessOp>(ops[7]));
  EXPECT_DOUBLE_EQ(std::get<BrightnessOp>(ops[7]).value, -0.25);
  ASSERT_TRUE(std::holds_alternative<ContrastOp>(ops[8]));
  EXPECT_DOUBLE_EQ(std::get<ContrastOp>(ops[8]).value, 1.3);
  EXPECT_EQ(ops[9], Op(ResizeOp{32, 16, ResizeFilter::Area}));
  // A typed op has only its own fields: an Op of one kind never equals one of another.
  EXPECT_NE(Op(BrightnessOp{0.5}), Op(ContrastOp{0.5}));
  EXPECT_TRUE(parse_ops("").empty());
}

TEST(OpsParser, RefusesWithTheItemAndTheReason) {
  struct Bad {
    const char* text;
    const char* says;
  };
  for (const Bad b : {Bad{"resize=640", "WxH"}, Bad{"resize=0x10", "WxH"}, Bad{"resize=10x10:lanczos", "filter"},
                      Bad{"resize=1e3x10", "WxH"}, Bad{"resize=99999999999x10", "WxH"}, Bad{"crop=1:2:3", "X:Y:W:H"},
                      Bad{"crop=-1:0:10:10", "X:Y:W:H"}, Bad{"gray=1", "no value"}, Bad{"blur", "NAME=VALUE"},
                      Bad{"blur=0", "sigma"}, Bad{"blur=nan", "sigma"}, Bad{"blur=1e2", "sigma"}, Bad{"flip=x", "flip=h"},
                      Bad{"rotate=45", "90, 180 or 270"}, Bad{"brightness=2", "[-1, 1]"}, Bad{"contrast=-1", "[0, 10]"},
                      Bad{"sharpen=3", "unknown op"}, Bad{"gray,,gray", "empty item"}, Bad{"gray,", "empty item"},
                      Bad{"resize=10x10 ", "WxH"}}) {
    const auto e = test::error_of([&] { parse_ops(b.text); });
    ASSERT_TRUE(e.has_value()) << b.text << " was accepted";
    EXPECT_EQ(e->code(), Errc::InvalidArgument) << b.text;
    EXPECT_EQ(e->subject(), "--ops");
    EXPECT_NE(e->reason().find(b.says), std::string::npos) << b.text << ": " << e->what();
  }
  const auto e = test::error_of([] { parse_ops("gray,rotate=91"); });
  ASSERT_TRUE(e.has_value());
  EXPECT_NE(e->reason().find("item 2 'rotate=91'"), std::string::npos) << e->what();
}

TEST(OpsParser, TextRoundTrips) {
  const auto ops = parse_ops("resize=7x5:nearest,crop=0:2:3:4,gray,blur=0.125,flip=v,rotate=90,brightness=1,contrast=0");
  for (const Op& op : ops) {
    const auto again = parse_ops(to_string(op));
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0], op) << to_string(op);
  }
}

}  // namespace
}  // namespace cuframe

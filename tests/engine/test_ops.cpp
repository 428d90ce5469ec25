// The --ops parser: every documented op, strict numbers, clear errors naming the item,
// and text round trips.
#include <gtest/gtest.h>

#include "cuframe/error.hpp"
#include "cuframe/ops.hpp"
#include "support/helpers.hpp"

namespace cuframe {
namespace {

TEST(OpsParser, EveryDocumentedOp) {
  const auto ops = parse_ops("resize=640x360,crop=10:20:300:200,gray,blur=1.5,flip=h,flip=v,rotate=270,brightness=-0.25,"
                             "contrast=1.3,resize=32x16:area");
  ASSERT_EQ(ops.size(), 10u);
  EXPECT_EQ(ops[0].kind, OpKind::Resize);
  EXPECT_EQ(ops[0].width, 640);
  EXPECT_EQ(ops[0].height, 360);
  EXPECT_EQ(ops[0].filter, ResizeFilter::Bilinear);
  EXPECT_EQ(ops[1].kind, OpKind::Crop);
  EXPECT_EQ(ops[1].x, 10);
  EXPECT_EQ(ops[1].y, 20);
  EXPECT_EQ(ops[1].width, 300);
  EXPECT_EQ(ops[1].height, 200);
  EXPECT_EQ(ops[2].kind, OpKind::Gray);
  EXPECT_EQ(ops[3].kind, OpKind::Blur);
  EXPECT_DOUBLE_EQ(ops[3].value, 1.5);
  EXPECT_TRUE(ops[4].horizontal);
  EXPECT_FALSE(ops[5].horizontal);
  EXPECT_EQ(ops[6].degrees, 270);
  EXPECT_DOUBLE_EQ(ops[7].value, -0.25);
  EXPECT_DOUBLE_EQ(ops[8].value, 1.3);
  EXPECT_EQ(ops[9].filter, ResizeFilter::Area);
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

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "cuframe/error.hpp"
#include "cuframe/media_info.hpp"

namespace cuframe {

TEST(Error, WhatJoinsSubjectAndReason) {
  const Error e(Errc::InvalidData, "in.mp4", "file is truncated");
  EXPECT_STREQ(e.what(), "in.mp4: file is truncated");
  EXPECT_EQ(e.code(), Errc::InvalidData);
  EXPECT_EQ(e.subject(), "in.mp4");
  EXPECT_EQ(e.reason(), "file is truncated");
}

TEST(Error, EmptySubjectGivesReasonOnly) {
  const Error e(Errc::InvalidArgument, "", "unknown op 'sharpen'");
  EXPECT_STREQ(e.what(), "unknown op 'sharpen'");
}

TEST(Error, EveryCodeHasADistinctName) {
  std::set<std::string> names;
  for (int c = static_cast<int>(Errc::InvalidArgument); c <= static_cast<int>(Errc::Internal); ++c)
    names.insert(to_string(static_cast<Errc>(c)));
  EXPECT_EQ(names.size(), static_cast<size_t>(Errc::Internal) + 1);
  EXPECT_EQ(names.count("unknown error"), 0u);
}

TEST(MediaInfo, EnumNames) {
  EXPECT_STREQ(to_string(ColorMatrix::BT2020), "bt2020");
  EXPECT_STREQ(to_string(ColorMatrix::Identity), "gbr");
  EXPECT_STREQ(to_string(ColorRange::Full), "full");
  EXPECT_STREQ(to_string(ChromaLocation::TopLeft), "topleft");
  EXPECT_STREQ(to_string(ChromaFormat::Gray), "400");
  EXPECT_STREQ(to_string(Codec::MPEG2), "mpeg2video");
}

}  // namespace cuframe

#include "storage/localfs/local_blob_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/sha256.h"
#include "test_dir.h"

namespace plinth::storage {
namespace {

TEST(LocalBlobStore, PutIsContentAddressedAndIdempotent) {
  testing::TestDir dir;
  auto store = LocalBlobStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  auto a = (*store)->Put("model bytes");
  auto b = (*store)->Put("model bytes");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->sha256, Sha256Hex("model bytes"));
  EXPECT_EQ(a->sha256, b->sha256);
  EXPECT_EQ(a->size, 11);
  auto got = (*store)->Get(a->sha256);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "model bytes");
}

TEST(LocalBlobStore, CorruptedContentIsNeverReturned) {
  testing::TestDir dir;
  auto store = LocalBlobStore::Open(dir.path());
  auto info = (*store)->Put("the real model");
  { std::ofstream(( *store)->PathFor(info->sha256), std::ios::trunc) << "tampered"; }
  auto got = (*store)->Get(info->sha256);
  EXPECT_EQ(got.status().code(), StatusCode::kInternal);
  EXPECT_NE(got.status().message().find("SHA-256"), std::string::npos);
}

TEST(LocalBlobStore, MissingAndMalformedNames) {
  testing::TestDir dir;
  auto store = LocalBlobStore::Open(dir.path());
  EXPECT_EQ((*store)->Get(Sha256Hex("never stored")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*store)->Get("../../etc/passwd").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE((*store)->Contains("../x"));
}

}  // namespace
}  // namespace plinth::storage

// Tests the llama2.c tokenizer: loading, validation of broken files, llama2.c and SentencePiece agreement.
#include "shrink/model/tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "shrink/core/error.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;
using testing::CatchError;
using testing::ReadBytes;
using testing::ScratchDir;
using testing::SharedPath;
using testing::WriteBytes;

const std::string kTok512Path = SharedPath("models/stories260K/tok512.bin");
const std::string kLlama2Path = SharedPath("models/llama2-tokenizer/tokenizer.bin");
const std::string kTextPath = SharedPath("data/tinystories/tinystories_val.txt");
const std::string kTokensPath = SharedPath("data/tinystories/tinystories_val.tok512.u16");

// Returns the name llama2.c's export gives the byte piece for `byte`: "<0xXX>".
std::string BytePieceName(int byte) {
  char name[8];
  std::snprintf(name, sizeof(name), "<0x%02X>", byte);
  return name;
}

// Returns the bytes of a tokenizer.bin holding `pieces` (text, score) after `max_token_length`.
std::vector<uint8_t> TokenizerFileBytes(int32_t max_token_length,
                                        const std::vector<std::pair<std::string, float>>& pieces) {
  std::vector<uint8_t> bytes;
  auto put32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  put32(static_cast<uint32_t>(max_token_length));
  for (const auto& [text, score] : pieces) {
    uint32_t bits;
    std::memcpy(&bits, &score, sizeof(bits));
    put32(bits);
    put32(static_cast<uint32_t>(text.size()));
    bytes.insert(bytes.end(), text.begin(), text.end());
  }
  return bytes;
}

// Returns the special pieces and 256 byte pieces every SentencePiece export starts with, then `rest`.
std::vector<std::pair<std::string, float>> WithSpecialPieces(const std::vector<std::pair<std::string, float>>& rest) {
  std::vector<std::pair<std::string, float>> pieces = {{"<unk>", 0.0f}, {"\n<s>\n", 0.0f}, {"\n</s>\n", 0.0f}};
  for (int b = 0; b < 256; ++b) pieces.emplace_back(BytePieceName(b), 0.0f);
  pieces.insert(pieces.end(), rest.begin(), rest.end());
  return pieces;
}

// Returns the contents of `path` as a string.
std::string ReadText(const std::string& path) {
  const std::vector<uint8_t> bytes = ReadBytes(path);
  return std::string(bytes.begin(), bytes.end());
}

// Returns the little-endian uint16 token ids stored in `path`.
std::vector<int32_t> ReadU16Tokens(const std::string& path) {
  const std::vector<uint8_t> bytes = ReadBytes(path);
  std::vector<int32_t> tokens(bytes.size() / 2);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = bytes[2 * i] | bytes[2 * i + 1] << 8;
  return tokens;
}

// Encodes `text` by a literal transcription of llama2.c's encode(): the O(n^2) reference the
// heap-based Tokenizer::Encode must reproduce token for token.
class NaiveEncoder {
 public:
  explicit NaiveEncoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {
    for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) ids_.emplace(tokenizer.piece(id), id);  // first id wins
  }

  // Returns llama2.c's tokens for `text` (no BOS/EOS, no whitespace normalization).
  std::vector<int32_t> Encode(const std::string& text) const {
    std::vector<int32_t> tokens;
    if (text.empty()) return tokens;
    tokens.push_back(Lookup(" "));
    auto is_continuation = [](char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; };
    std::string buffer;
    for (size_t i = 0; i < text.size(); ++i) {
      if (!is_continuation(text[i])) buffer.clear();
      buffer.push_back(text[i]);
      if (i + 1 < text.size() && is_continuation(text[i + 1]) && buffer.size() < 4) continue;
      const int32_t id = Lookup(buffer);
      if (id != -1) {
        tokens.push_back(id);
      } else {
        for (const char c : buffer) tokens.push_back(static_cast<uint8_t>(c) + 3);
      }
      buffer.clear();
    }
    while (true) {
      float best_score = -1e10f;
      int32_t best_id = -1;
      size_t best_index = 0;
      for (size_t i = 0; i + 1 < tokens.size(); ++i) {
        const int32_t id = Lookup(tokenizer_.piece(tokens[i]) + tokenizer_.piece(tokens[i + 1]));
        if (id != -1 && tokenizer_.score(id) > best_score) {
          best_score = tokenizer_.score(id);
          best_id = id;
          best_index = i;
        }
      }
      if (best_id == -1) break;
      tokens[best_index] = best_id;
      tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best_index) + 1);
    }
    return tokens;
  }

 private:
  int32_t Lookup(const std::string& text) const {
    const auto it = ids_.find(text);
    return it == ids_.end() ? -1 : it->second;
  }

  const Tokenizer& tokenizer_;
  std::unordered_map<std::string, int32_t> ids_;
};

// Returns a random string of `count` fragments: letters, spaces, punctuation, newlines, multi-byte
// UTF-8 (é, —, emoji, CJK) and some invalid UTF-8 (stray, truncated and over-long sequences).
std::string RandomText(std::mt19937& rng, int count) {
  static const std::vector<std::string> kFragments = {
      "a", "b", "c", "d", "e", "h", "i", "n", "o", "s", "t", "y", "T", "S", "L", "the", "and", "ing",
      " ", " ", " ", "  ", "   ", ",", ".", "!", "?", "\"", "'", "-", "\n", "\n\n", "\t", "0", "7",
      "\xC3\xA9" /* é */, "\xE2\x80\x94" /* — */, "\xF0\x9F\x98\x80" /* emoji */, "\xE6\x97\xA5" /* 日 */,
      "\xC3" /* truncated */, "\x80" /* stray continuation */, "\xF0\x9F\x98\x80\x80\x80" /* too long */,
      "\xFF", std::string(1, '\0'), "<0x41>", "<s>"};
  std::uniform_int_distribution<size_t> pick(0, kFragments.size() - 1);
  std::string text;
  for (int i = 0; i < count; ++i) text += kFragments[pick(rng)];
  return text;
}

// Returns how many leading elements `a` and `b` share.
size_t CommonPrefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

// Returns the text of tokens [begin, end) for failure messages.
std::string Context(const Tokenizer& tokenizer, const std::vector<int32_t>& tokens, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end && i < tokens.size(); ++i) out += "[" + tokenizer.piece(tokens[i]) + "]";
  return out;
}

TEST(TokenizerTest, LoadsTok512) {
  SHRINK_REQUIRE_FILE(kTok512Path);
  const Tokenizer tok = Tokenizer::Load(kTok512Path, 512);
  EXPECT_EQ(tok.vocab_size(), 512);
  EXPECT_EQ(tok.piece(Tokenizer::kUnk), "<unk>");
  EXPECT_EQ(tok.piece(Tokenizer::kBos), "\n<s>\n");
  EXPECT_EQ(tok.piece(Tokenizer::kEos), "\n</s>\n");
  for (int b = 0; b < 256; ++b) {
    ASSERT_EQ(tok.piece(b + 3), BytePieceName(b));
    EXPECT_EQ(tok.Find(BytePieceName(b)), b + 3);
  }
  // The first merge SentencePiece learned on TinyStories, then the ranks that follow it.
  EXPECT_EQ(tok.piece(259), " t");
  EXPECT_EQ(tok.piece(260), "he");
  EXPECT_EQ(tok.score(260), -1.0f);
  EXPECT_EQ(tok.Find(" the"), 265);
  EXPECT_EQ(tok.Find("no such piece"), -1);
  EXPECT_GE(tok.Find(" "), 0);
  EXPECT_EQ(CatchError([&] { tok.piece(512); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([&] { tok.score(-1); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([&] { tok.Decode(-1, 100000); }).code(), ErrorCode::kInvalidArgument);
}

TEST(TokenizerTest, EncodesSpecialCasesLikeLlama2c) {
  SHRINK_REQUIRE_FILE(kTok512Path);
  const Tokenizer tok = Tokenizer::Load(kTok512Path, 512);
  EXPECT_TRUE(tok.Encode("", false, false).empty());
  EXPECT_EQ(tok.Encode("", true, true), (std::vector<int32_t>{Tokenizer::kBos, Tokenizer::kEos}));
  // " the" is one piece; the dummy prefix supplies its space.
  EXPECT_EQ(tok.Encode("the", true, true), (std::vector<int32_t>{Tokenizer::kBos, 265, Tokenizer::kEos}));
  // A newline is not a piece of tok512, so it falls back to the byte token <0x0A> = 10 + 3.
  const std::vector<int32_t> newline = tok.Encode("\n", false, false);
  ASSERT_EQ(newline.size(), 2u);
  EXPECT_EQ(newline[1], 13);
  // Decode drops the dummy space only right after BOS, and turns byte pieces into raw bytes.
  EXPECT_EQ(tok.Decode(Tokenizer::kBos, 265), "the");
  EXPECT_EQ(tok.Decode(300, 265), " the");
  EXPECT_EQ(tok.Decode(-1, 13), "\n");
  EXPECT_EQ(tok.Decode(Tokenizer::kBos, 3 + ' '), " ");  // a byte space is text, not a prefix
  EXPECT_EQ(tok.DecodeAll({Tokenizer::kBos, 265, Tokenizer::kEos}), "the");
  EXPECT_EQ(tok.DecodeAll({265, 265}), " the the");
}

TEST(TokenizerTest, RoundTripsSamplesAndRealText) {
  SHRINK_REQUIRE_FILE(kTok512Path);
  const Tokenizer tok = Tokenizer::Load(kTok512Path, 512);
  const std::vector<std::string> samples = {
      "Once upon a time, there was a little girl named Lily.",
      "She said, \"Wow, look at the big, red ball!\"\n\nThe end.",
      " leading space", "trailing space ", "two  spaces", "\n", " ", "x",
      "caf\xC3\xA9 na\xC3\xAFve \xE2\x80\x94 \xF0\x9F\x98\x80 \xE6\x97\xA5\xE6\x9C\xAC",
      "invalid \xFF\xC3 bytes \x80\x80 \xF0\x9F\x98\x80\x80\x80 end", std::string("nul\0byte", 8)};
  for (const std::string& text : samples) {
    SCOPED_TRACE(text);
    const std::vector<int32_t> tokens = tok.Encode(text, true, true);
    for (const int32_t id : tokens) ASSERT_TRUE(id >= 0 && id < tok.vocab_size());
    EXPECT_EQ(tok.DecodeAll(tokens), text);
  }
  SHRINK_REQUIRE_FILE(kTextPath);
  const std::string text = ReadText(kTextPath).substr(0, 20000);
  const std::vector<int32_t> tokens = tok.Encode(text, true, false);
  EXPECT_EQ(tok.DecodeAll(tokens), text);
  // BPE must actually compress: TinyStories English with a 512-piece vocabulary is ~2 bytes/token.
  EXPECT_LT(tokens.size(), text.size() * 6 / 10);
}

TEST(TokenizerTest, MatchesNaiveLlama2cOnRandomAndRealText) {
  SHRINK_REQUIRE_FILE(kTok512Path);
  const Tokenizer tok = Tokenizer::Load(kTok512Path, 512);
  const NaiveEncoder naive(tok);
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 300; ++trial) {
    const std::string text = RandomText(rng, trial % 60);
    ASSERT_EQ(tok.Encode(text, false, false), naive.Encode(text)) << "text: " << text;
    ASSERT_EQ(tok.DecodeAll(tok.Encode(text, true, false)), text);
  }
  SHRINK_REQUIRE_FILE(kTextPath);
  const std::string all = ReadText(kTextPath);
  for (size_t start : {size_t{0}, size_t{100000}, size_t{383000}, size_t{600000}, all.size() - 1500}) {
    const std::string text = all.substr(start, 1500);
    ASSERT_EQ(tok.Encode(text, false, false), naive.Encode(text)) << "real text at byte " << start;
  }
}

// Tie-breaking and the score threshold only show with equal scores, which real vocabularies lack:
// this synthetic vocabulary has many equal scores, some below -1e10 and a NaN.
TEST(TokenizerTest, MatchesNaiveLlama2cOnTiesAndThresholds) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto pieces = WithSpecialPieces({{" ", -1}, {"a", -1}, {"b", -1}, {"c", -1}, {"ab", 0}, {"ba", 0},
                                         {"aa", 0}, {"bc", -2}, {" a", 0}, {" b", -1e10f}, {"abc", 0},
                                         {"aab", -2}, {"cab", -3}, {"bb", nan}, {"ca", -1e11f}, {"abab", 0},
                                         {"  ", -0.0f}, {" ab", 0}, {"baa", -1}});
  ScratchDir dir;
  const std::string path = dir.File("tie.bin");
  WriteBytes(path, TokenizerFileBytes(8, pieces));
  const Tokenizer tok = Tokenizer::Load(path, static_cast<int64_t>(pieces.size()));
  const NaiveEncoder naive(tok);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> letter(0, 4);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text;
    const int length = trial % 40;
    for (int i = 0; i < length; ++i) text.push_back("abc  "[letter(rng)]);
    ASSERT_EQ(tok.Encode(text, false, false), naive.Encode(text)) << "text: '" << text << "'";
    ASSERT_EQ(tok.DecodeAll(tok.Encode(text, true, false)), text);
  }
  // " bab": " b" is below the threshold, "ba" and "ab" tie at score 0 and the leftmost merges.
  EXPECT_EQ(tok.Encode("bab", false, false), (std::vector<int32_t>{tok.Find(" "), tok.Find("ba"), tok.Find("b")}));
}

// tinystories_val.tok512.u16 is SentencePiece's own encoding of the whole file as one string.
TEST(TokenizerTest, MatchesSentencePieceOnTinyStories) {
  SHRINK_REQUIRE_FILE(kTok512Path);
  SHRINK_REQUIRE_FILE(kTextPath);
  SHRINK_REQUIRE_FILE(kTokensPath);
  const std::string text = ReadText(kTextPath);
  const std::vector<int32_t> expected = ReadU16Tokens(kTokensPath);
  ASSERT_EQ(expected.size(), 393013u);

  TokenizerOptions sentencepiece;
  sentencepiece.remove_extra_whitespaces = true;  // tok512.model's normalizer_spec
  const Tokenizer tok = Tokenizer::Load(kTok512Path, 512, sentencepiece);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<int32_t> tokens = tok.Encode(text, true, false);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("Encode of %zu bytes: %zu tokens in %.1f ms\n", text.size(), tokens.size(), seconds * 1e3);
  EXPECT_LT(seconds, 10.0);  // an O(n^2) merge loop takes hours here
  const size_t same = CommonPrefix(tokens, expected);
  EXPECT_EQ(same, expected.size()) << "first mismatch at token " << same << ": ours "
                                   << Context(tok, tokens, same > 5 ? same - 5 : 0, same + 5) << " vs SentencePiece "
                                   << Context(tok, expected, same > 5 ? same - 5 : 0, same + 5);
  EXPECT_EQ(tokens, expected);

  // llama2.c's behaviour (no whitespace normalization) departs from it only at the file's six runs
  // of two spaces, each of which adds one " " token; the first starts at byte 383436 ("jump.  His").
  const Tokenizer plain = Tokenizer::Load(kTok512Path, 512);
  const std::vector<int32_t> raw = plain.Encode(text, true, false);
  const size_t raw_same = CommonPrefix(raw, expected);
  std::printf("without remove_extra_whitespaces: identical on the first %zu of %zu tokens, %zu vs %zu tokens\n",
              raw_same, expected.size(), raw.size(), expected.size());
  EXPECT_EQ(raw_same, plain.Encode(text.substr(0, 383437), true, false).size() - 1);  // at its " "
  EXPECT_EQ(raw.size(), expected.size() + 6);
}

TEST(TokenizerTest, LoadsLlama2Tokenizer) {
  SHRINK_REQUIRE_FILE(kLlama2Path);
  const Tokenizer tok = Tokenizer::Load(kLlama2Path, 32000);
  EXPECT_EQ(tok.vocab_size(), 32000);
  EXPECT_EQ(tok.piece(Tokenizer::kBos), "\n<s>\n");
  // Llama 2's well-known ids: "Hello" = 15043, " world" = 3186.
  const std::vector<int32_t> tokens = tok.Encode("Hello world", true, false);
  EXPECT_EQ(tokens, (std::vector<int32_t>{Tokenizer::kBos, 15043, 3186}));
  EXPECT_EQ(tok.DecodeAll(tokens), "Hello world");
  const std::string mixed = "Caf\xC3\xA9  \xE2\x80\x94 emoji \xF0\x9F\x98\x80\n\ttabs";
  EXPECT_EQ(tok.DecodeAll(tok.Encode(mixed, true, true)), mixed);
  const NaiveEncoder naive(tok);
  EXPECT_EQ(tok.Encode(mixed, false, false), naive.Encode(mixed));
}

// Writes `bytes`, loads them with `vocab_size`, and expects kCorruptData naming the file and `word`.
void ExpectCorrupt(const std::vector<uint8_t>& bytes, int64_t vocab_size, const std::string& word) {
  ScratchDir dir;
  const std::string path = dir.File("broken_tokenizer.bin");
  WriteBytes(path, bytes);
  const Error e = CatchError([&] { Tokenizer::Load(path, vocab_size); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << e.what();
  EXPECT_THAT(e.message(), HasSubstr(path));
  EXPECT_THAT(e.message(), HasSubstr(word));
}

TEST(TokenizerTest, RejectsBrokenFiles) {
  const auto pieces = WithSpecialPieces({{" ", -1}, {"a", -2}, {"hello", -3}});
  const int64_t vocab = static_cast<int64_t>(pieces.size());
  const std::vector<uint8_t> good = TokenizerFileBytes(6, pieces);
  {
    ScratchDir dir;
    WriteBytes(dir.File("good.bin"), good);
    EXPECT_EQ(Tokenizer::Load(dir.File("good.bin"), vocab).piece(static_cast<int32_t>(vocab - 1)), "hello");
  }
  // Truncated inside the header, inside a record's score/length, and inside the last piece.
  ExpectCorrupt({}, vocab, "too short for the 4-byte max_token_length");
  ExpectCorrupt(std::vector<uint8_t>(good.begin(), good.begin() + 3), vocab, "max_token_length");
  ExpectCorrupt(std::vector<uint8_t>(good.begin(), good.begin() + 4), vocab, "too short for vocab_size");
  ExpectCorrupt(std::vector<uint8_t>(good.end() - 2, good.end()), vocab, "too short");
  ExpectCorrupt(std::vector<uint8_t>(good.begin(), good.end() - 9), vocab, "inside the score and length of record");
  ExpectCorrupt(std::vector<uint8_t>(good.begin(), good.end() - 2), vocab, "runs past the end");
  // Proper prefixes of the file (the first 40, every 61st, the last 16) are rejected, and so is
  // an extension of it.
  ScratchDir prefixes;
  for (size_t n = 0; n < good.size(); ++n) {
    if (n >= 40 && n % 61 != 0 && n + 16 < good.size()) continue;
    WriteBytes(prefixes.File("t.bin"),
               std::vector<uint8_t>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)));
    EXPECT_EQ(CatchError([&] { Tokenizer::Load(prefixes.File("t.bin"), vocab); }).code(), ErrorCode::kCorruptData)
        << "prefix of " << n << " bytes";
  }
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  ExpectCorrupt(longer, vocab, "follow the last");
  ExpectCorrupt(good, vocab - 1, "does the vocabulary size match");

  // A negative length, a length above max_token_length, and one that runs past the end.
  auto with_last_length = [&](int32_t length) {
    std::vector<uint8_t> bytes = good;
    const size_t at = bytes.size() - 5 - 4;  // the length field of the last record ("hello")
    const uint32_t bits = static_cast<uint32_t>(length);
    for (int i = 0; i < 4; ++i) bytes[at + static_cast<size_t>(i)] = static_cast<uint8_t>(bits >> (8 * i));
    return bytes;
  };
  ExpectCorrupt(with_last_length(-1), vocab, "piece length -1");
  ExpectCorrupt(with_last_length(7), vocab, "outside [0, max_token_length = 6]");
  std::vector<uint8_t> lax = with_last_length(6);  // within max_token_length, one byte past the end
  ExpectCorrupt(lax, vocab, "runs past the end of the file");

  // A huge or negative max_token_length.
  auto with_max_length = [&](uint32_t value) {
    std::vector<uint8_t> bytes = good;
    for (int i = 0; i < 4; ++i) bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
    return bytes;
  };
  ExpectCorrupt(with_max_length(0x7FFFFFFF), vocab, "max_token_length 2147483647 is outside");
  ExpectCorrupt(with_max_length(0x80000000u), vocab, "max_token_length -2147483648 is outside");
  // A vocab_size no file of this size can hold is refused before anything is allocated.
  ExpectCorrupt(good, std::numeric_limits<int32_t>::max(), "too short for vocab_size 2147483647");

  ScratchDir dir;
  WriteBytes(dir.File("good.bin"), good);
  EXPECT_EQ(CatchError([&] { Tokenizer::Load(dir.File("good.bin"), 2); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([&] { Tokenizer::Load(dir.File("good.bin"), int64_t{1} << 40); }).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([&] { Tokenizer::Load(dir.File("absent.bin"), vocab); }).code(), ErrorCode::kNotFound);
}

// Random corruption of a real tokenizer either loads or throws shrink::Error; nothing crashes.
TEST(TokenizerTest, SurvivesRandomCorruption) {
  SHRINK_REQUIRE_FILE(kTok512Path);
  const std::vector<uint8_t> good = ReadBytes(kTok512Path);
  std::mt19937 rng(99);
  ScratchDir dir;
  const std::string path = dir.File("fuzzed.bin");
  int rejected = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint8_t> bytes = good;
    for (int flips = 0; flips < 1 + trial % 4; ++flips) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    WriteBytes(path, bytes);
    try {
      const Tokenizer tok = Tokenizer::Load(path, 512);
      const std::vector<int32_t> tokens = tok.Encode("Once upon a time \xC3\xA9\n", true, true);
      for (const int32_t id : tokens) ASSERT_TRUE(id >= 0 && id < 512);
      tok.DecodeAll(tokens);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace shrink

// Tokenizer: loads llama2.c's tokenizer.bin (a SentencePiece BPE vocabulary) and encodes/decodes text.
#ifndef SHRINK_MODEL_TOKENIZER_H_
#define SHRINK_MODEL_TOKENIZER_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shrink {

// Chooses how Tokenizer::Encode prepares text before the BPE merges.
struct TokenizerOptions {
  // Drops leading and trailing ' ' (U+0020 only; not tabs or newlines) and collapses every run of
  // ' ' into one before encoding, as SentencePiece does when the model's
  // normalizer_spec.remove_extra_whitespaces is true. tokenizer.bin does not record this flag, so
  // the caller supplies it: true for stories260K's tok512 (trained with SentencePiece's default),
  // false for Llama 2's tokenizer and for llama2.c's own run.c, which never normalizes.
  bool remove_extra_whitespaces = false;
};

// A BPE tokenizer in llama2.c's tokenizer.bin format, as written by llama2.c's tokenizer.py from a
// SentencePiece model: '▁' is stored as ' ', BOS and EOS as "\n<s>\n" and "\n</s>\n", byte pieces
// as "<0xXX>".
//
// File layout (little-endian): int32 max_token_length, then vocab_size records of
// {float32 score, int32 length, `length` bytes of UTF-8 (no NUL)}. Load validates every count
// before it reads or allocates, and the file must end right after the last record.
//
// Encode reproduces llama2.c's encode() exactly (tests compare it with a literal transcription):
//  1. When the (normalized) text is non-empty, a dummy-prefix " " is put in front of it.
//  2. The bytes are grouped as llama2.c groups them: a group starts at a byte that is not a UTF-8
//     continuation byte (10xxxxxx) or once the current group holds 4 bytes; each group is looked up
//     as a piece, and a group that is not a piece becomes one byte token per byte (the piece
//     "<0xXX>", id byte + 3 in every SentencePiece export; <unk> if a vocabulary lacks it).
//     Invalid UTF-8 is therefore kept as bytes (SentencePiece would substitute U+FFFD).
//  3. While some adjacent pair of symbols concatenates to a piece whose score is > -1e10, the pair
//     whose piece has the highest score is merged; among equal scores the leftmost pair wins.
//     Symbols are compared through their stored piece text, and when a vocabulary holds the same
//     piece twice the lower id is used. Step 3 runs in O(n log n) (a heap of candidate pairs over
//     a linked list of symbols), so a whole 800 KB file can be encoded as one string.
// With TokenizerOptions::remove_extra_whitespaces = true and stories260K's tok512, Encode(text,
// true, false) is identical to SentencePiece's encoding of the same text (checked on the whole
// 794 KB tinystories_val.txt against tinystories_val.tok512.u16: all 393,013 tokens).
class Tokenizer {
 public:
  static constexpr int32_t kUnk = 0;  // SentencePiece's <unk>
  static constexpr int32_t kBos = 1;  // beginning of sequence, "<s>"
  static constexpr int32_t kEos = 2;  // end of sequence, "</s>"

  // Loads the tokenizer.bin at `path` holding exactly `vocab_size` records (the model config's
  // vocab size: 512 for stories260K, 32000 for Llama 2). Throws kNotFound or kIo when the file
  // cannot be opened, kInvalidArgument when vocab_size is below 3 or above INT32_MAX, and
  // kCorruptData, naming the file, the record and the problem, when the file fails validation.
  static Tokenizer Load(const std::string& path, int64_t vocab_size, const TokenizerOptions& options = {});

  // Returns the number of pieces (token ids are [0, vocab_size)).
  int64_t vocab_size() const { return static_cast<int64_t>(pieces_.size()); }
  // Returns the options Encode applies.
  const TokenizerOptions& options() const { return options_; }

  // Encodes the UTF-8 (or arbitrary byte) string `text` as described in the class comment,
  // prepending kBos when `bos` and appending kEos when `eos`. Every id is < vocab_size().
  std::vector<int32_t> Encode(std::string_view text, bool bos, bool eos) const;

  // Returns the text of `token` when it follows `previous`, as llama2.c's decode() does: after
  // kBos a leading ' ' is dropped (the dummy prefix), and a byte piece "<0xXX>" becomes that raw
  // byte. `previous` may be any value (-1 for none). Throws kInvalidArgument when `token` is not
  // in [0, vocab_size).
  std::string Decode(int32_t previous, int32_t token) const;

  // Returns the concatenated Decode(tokens[i - 1], tokens[i]) of a sequence (previous = -1 for
  // the first token), skipping kBos and kEos. DecodeAll(Encode(text, true, false)) == text for
  // every byte string when remove_extra_whitespaces is off and the vocabulary holds the piece " "
  // (every SentencePiece export does). Throws kInvalidArgument on an id outside [0, vocab_size).
  std::string DecodeAll(const std::vector<int32_t>& tokens) const;

  // Returns the stored text of `token` (' ' in place of SentencePiece's '▁'). Throws
  // kInvalidArgument when `token` is not in [0, vocab_size).
  const std::string& piece(int32_t token) const;
  // Returns the merge score of `token` (higher merges first). Throws kInvalidArgument when
  // `token` is not in [0, vocab_size).
  float score(int32_t token) const;
  // Returns the lowest id whose piece is exactly `text`, or -1 when there is none.
  int32_t Find(std::string_view text) const;

 private:
  Tokenizer() = default;
  // Throws kInvalidArgument unless `token` is a valid id.
  void CheckToken(int32_t token) const;
  // Builds the hash index and the byte-token table from pieces_.
  void BuildIndex();
  // Encodes `text` (already normalized) without BOS/EOS into `out`.
  void EncodeNormalized(std::string_view text, std::vector<int32_t>* out) const;

  TokenizerOptions options_;
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::vector<int32_t> merge_ranks_;       // rank of score among distinct scores > -1e10, -1 = never merged
  size_t max_piece_bytes_ = 0;             // longest piece actually stored
  std::vector<int32_t> slots_;             // open-addressing hash table of ids, -1 = empty
  std::array<int32_t, 256> byte_ids_{};    // id of "<0xXX>" per byte (kUnk when absent)
};

}  // namespace shrink

#endif  // SHRINK_MODEL_TOKENIZER_H_

// llama2.c tokenizer.bin loading, validation, and BPE encoding with a heap of candidate merges.
#include "shrink/model/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <utility>

#include "shrink/core/error.h"
#include "shrink/io/mapped_file.h"

namespace shrink {
namespace {

// Longest piece accepted in a file; real vocabularies stay below 64 bytes.
constexpr int64_t kMaxTokenLengthLimit = int64_t{1} << 20;
// llama2.c only merges pairs whose score beats its initial best of -1e10.
constexpr float kMinMergeScore = -1e10f;
// Bytes of one record before its piece text: float32 score and int32 length.
constexpr uint64_t kRecordHeaderBytes = 8;

uint32_t LoadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

int32_t LoadLeInt32(const uint8_t* p) {
  const uint32_t bits = LoadLe32(p);
  int32_t value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

float LoadLeFloat(const uint8_t* p) {
  const uint32_t bits = LoadLe32(p);
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// Returns the FNV-1a hash of `text`.
uint64_t HashBytes(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : text) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

bool IsContinuationByte(char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; }

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Returns true and sets *byte when `text` is exactly a byte piece "<0xXX>".
bool ParseBytePiece(std::string_view text, uint8_t* byte) {
  if (text.size() != 6 || text.compare(0, 3, "<0x") != 0 || text[5] != '>') return false;
  const int hi = HexDigitValue(text[3]);
  const int lo = HexDigitValue(text[4]);
  if (hi < 0 || lo < 0) return false;
  *byte = static_cast<uint8_t>(hi * 16 + lo);
  return true;
}

// Returns `text` with leading and trailing ' ' removed and inner runs of ' ' collapsed to one.
std::string RemoveExtraWhitespaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (const char c : text) {
    if (c == ' ') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// One symbol of the sequence being merged: a token id in a doubly linked list over positions.
struct Symbol {
  int32_t id;    // -1 once merged into its left neighbour
  int32_t prev;  // position of the previous live symbol, -1 at the start
  int32_t next;  // position of the next live symbol, -1 at the end
};

// Packs a candidate merge into one heap key: the merged piece's rank (0 = highest score) in the
// high half, the position of the pair's left symbol in the low half, so that the smallest key is
// the best pair under llama2.c's rule (highest score, then leftmost).
uint64_t CandidateKey(int32_t rank, int32_t left) {
  return static_cast<uint64_t>(static_cast<uint32_t>(rank)) << 32 | static_cast<uint32_t>(left);
}

}  // namespace

Tokenizer Tokenizer::Load(const std::string& path, int64_t vocab_size, const TokenizerOptions& options) {
  if (vocab_size < 3 || vocab_size > std::numeric_limits<int32_t>::max()) {
    Fail(ErrorCode::kInvalidArgument, path, ": vocab_size ", vocab_size,
         " is outside [3, 2^31 - 1] (ids 0-2 are <unk>, <s> and </s>)");
  }
  const auto file = MappedFile::Open(path);
  const uint8_t* data = file->data();
  const uint64_t size = file->size();
  if (size < 4) {
    Fail(ErrorCode::kCorruptData, path, ": the file is ", size,
         " bytes, too short for the 4-byte max_token_length header of a tokenizer.bin");
  }
  const int32_t max_token_length = LoadLeInt32(data);
  if (max_token_length < 0 || max_token_length > kMaxTokenLengthLimit) {
    Fail(ErrorCode::kCorruptData, path, ": max_token_length ", max_token_length, " is outside [0, ",
         kMaxTokenLengthLimit, "]");
  }
  // Every record takes at least 8 bytes, so this bounds vocab_size before anything is allocated.
  const uint64_t max_records = (size - 4) / kRecordHeaderBytes;
  if (static_cast<uint64_t>(vocab_size) > max_records) {
    Fail(ErrorCode::kCorruptData, path, ": the file is ", size, " bytes, too short for vocab_size ", vocab_size,
         " records (it can hold at most ", max_records, "); is it truncated, or for a different model?");
  }

  Tokenizer t;
  t.options_ = options;
  t.pieces_.reserve(static_cast<size_t>(vocab_size));
  t.scores_.reserve(static_cast<size_t>(vocab_size));
  uint64_t offset = 4;
  for (int64_t i = 0; i < vocab_size; ++i) {
    if (size - offset < kRecordHeaderBytes) {
      Fail(ErrorCode::kCorruptData, path, ": the file ends at byte ", size, " inside the score and length of record ",
           i, " (of ", vocab_size, "), which start at byte ", offset, "; the file is truncated");
    }
    const float score = LoadLeFloat(data + offset);
    const int32_t length = LoadLeInt32(data + offset + 4);
    offset += kRecordHeaderBytes;
    if (length < 0 || length > max_token_length) {
      Fail(ErrorCode::kCorruptData, path, ": record ", i, " has piece length ", length, " at byte ", offset - 4,
           ", outside [0, max_token_length = ", max_token_length, "]");
    }
    if (static_cast<uint64_t>(length) > size - offset) {
      Fail(ErrorCode::kCorruptData, path, ": the piece of record ", i, " (", length, " bytes at byte ", offset,
           ") runs past the end of the file (", size, " bytes); the file is truncated");
    }
    t.pieces_.emplace_back(reinterpret_cast<const char*>(data + offset), static_cast<size_t>(length));
    t.scores_.push_back(score);
    t.max_piece_bytes_ = std::max(t.max_piece_bytes_, static_cast<size_t>(length));
    offset += static_cast<uint64_t>(length);
  }
  if (offset != size) {
    Fail(ErrorCode::kCorruptData, path, ": ", size - offset, " bytes follow the last of the vocab_size ", vocab_size,
         " records; does the vocabulary size match the model?");
  }
  t.BuildIndex();
  return t;
}

void Tokenizer::BuildIndex() {
  size_t capacity = 16;
  while (capacity < 2 * pieces_.size()) capacity *= 2;
  slots_.assign(capacity, -1);
  const size_t mask = capacity - 1;
  for (size_t id = 0; id < pieces_.size(); ++id) {
    size_t slot = HashBytes(pieces_[id]) & mask;
    bool duplicate = false;
    while (slots_[slot] >= 0) {
      if (pieces_[static_cast<size_t>(slots_[slot])] == pieces_[id]) {
        duplicate = true;  // keep the lower id
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (!duplicate) slots_[slot] = static_cast<int32_t>(id);
  }
  // Rank the distinct merge scores, highest first; equal scores (0.0 and -0.0 too) share a rank.
  std::vector<float> distinct;
  for (const float s : scores_) {
    if (s > kMinMergeScore) distinct.push_back(s);  // also drops NaN
  }
  std::sort(distinct.begin(), distinct.end(), std::greater<float>());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  merge_ranks_.assign(scores_.size(), -1);
  for (size_t id = 0; id < scores_.size(); ++id) {
    if (!(scores_[id] > kMinMergeScore)) continue;
    const auto it = std::lower_bound(distinct.begin(), distinct.end(), scores_[id], std::greater<float>());
    merge_ranks_[id] = static_cast<int32_t>(it - distinct.begin());
  }
  char name[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    const int32_t id = Find(name);
    byte_ids_[static_cast<size_t>(b)] = id >= 0 ? id : kUnk;
  }
}

int32_t Tokenizer::Find(std::string_view text) const {
  if (text.size() > max_piece_bytes_ || slots_.empty()) return -1;
  const size_t mask = slots_.size() - 1;
  size_t slot = HashBytes(text) & mask;
  while (slots_[slot] >= 0) {
    const int32_t id = slots_[slot];
    if (pieces_[static_cast<size_t>(id)] == text) return id;
    slot = (slot + 1) & mask;
  }
  return -1;
}

void Tokenizer::CheckToken(int32_t token) const {
  if (token < 0 || static_cast<size_t>(token) >= pieces_.size()) {
    Fail(ErrorCode::kInvalidArgument, "token id ", token, " is outside [0, ", pieces_.size(), ")");
  }
}

const std::string& Tokenizer::piece(int32_t token) const {
  CheckToken(token);
  return pieces_[static_cast<size_t>(token)];
}

float Tokenizer::score(int32_t token) const {
  CheckToken(token);
  return scores_[static_cast<size_t>(token)];
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool bos, bool eos) const {
  std::vector<int32_t> tokens;
  tokens.reserve(text.size() / 2 + 3);
  if (bos) tokens.push_back(kBos);
  if (options_.remove_extra_whitespaces) {
    EncodeNormalized(RemoveExtraWhitespaces(text), &tokens);
  } else {
    EncodeNormalized(text, &tokens);
  }
  if (eos) tokens.push_back(kEos);
  return tokens;
}

void Tokenizer::EncodeNormalized(std::string_view text, std::vector<int32_t>* out) const {
  if (text.empty()) return;
  if (text.size() >= static_cast<size_t>(std::numeric_limits<int32_t>::max() / 2)) {
    Fail(ErrorCode::kInvalidArgument, "cannot encode ", text.size(), " bytes of text in one call (limit 1 GiB)");
  }
  // Step 1 and 2: the dummy prefix, then llama2.c's byte groups, looked up or spelled as bytes.
  std::vector<Symbol> symbols;
  symbols.reserve(text.size() + 1);
  auto add_group = [&](std::string_view group) {
    const int32_t id = Find(group);
    if (id >= 0) {
      symbols.push_back({id, 0, 0});
      return;
    }
    for (const char c : group) symbols.push_back({byte_ids_[static_cast<uint8_t>(c)], 0, 0});
  };
  add_group(" ");
  size_t start = 0;
  while (start < text.size()) {
    size_t end = start + 1;
    while (end < text.size() && end - start < 4 && IsContinuationByte(text[end])) ++end;
    add_group(text.substr(start, end - start));
    start = end;
  }
  const int32_t count = static_cast<int32_t>(symbols.size());
  for (int32_t i = 0; i < count; ++i) {
    symbols[static_cast<size_t>(i)].prev = i - 1;
    symbols[static_cast<size_t>(i)].next = i + 1 < count ? i + 1 : -1;
  }

  // Step 3: merge the best pair until none is left. The heap holds a key for every adjacent pair
  // that merges; keys of pairs that have since changed are recognised when popped and skipped.
  std::string joined;
  joined.reserve(2 * max_piece_bytes_);
  // Returns the id the pair (left, right) merges into, or -1.
  auto merged_id = [&](int32_t left, int32_t right) {
    const std::string& a = pieces_[static_cast<size_t>(symbols[static_cast<size_t>(left)].id)];
    const std::string& b = pieces_[static_cast<size_t>(symbols[static_cast<size_t>(right)].id)];
    if (a.size() + b.size() > max_piece_bytes_) return -1;
    joined.assign(a);
    joined.append(b);
    const int32_t id = Find(joined);
    return id >= 0 && merge_ranks_[static_cast<size_t>(id)] >= 0 ? id : -1;
  };
  std::vector<uint64_t> heap;
  const std::greater<uint64_t> later;  // makes std::push_heap & co. keep the smallest key on top
  for (int32_t i = 0; i + 1 < count; ++i) {
    const int32_t id = merged_id(i, i + 1);
    if (id >= 0) heap.push_back(CandidateKey(merge_ranks_[static_cast<size_t>(id)], i));
  }
  std::make_heap(heap.begin(), heap.end(), later);
  auto push_pair = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const int32_t id = merged_id(left, right);
    if (id < 0) return;
    heap.push_back(CandidateKey(merge_ranks_[static_cast<size_t>(id)], left));
    std::push_heap(heap.begin(), heap.end(), later);
  };
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const uint64_t key = heap.back();
    heap.pop_back();
    const int32_t rank = static_cast<int32_t>(key >> 32);
    const int32_t left = static_cast<int32_t>(key & 0xFFFFFFFFu);
    Symbol& symbol = symbols[static_cast<size_t>(left)];
    const int32_t right = symbol.next;
    if (symbol.id < 0 || right < 0) continue;
    // The pair now at `left` is current; if its rank equals the key's, it is a best pair (even if
    // this key was pushed for an older pair there), because every current pair has a key.
    const int32_t id = merged_id(left, right);
    if (id < 0 || merge_ranks_[static_cast<size_t>(id)] != rank) continue;
    Symbol& gone = symbols[static_cast<size_t>(right)];
    symbol.id = id;
    symbol.next = gone.next;
    if (gone.next >= 0) symbols[static_cast<size_t>(gone.next)].prev = left;
    gone.id = -1;
    push_pair(symbol.prev, left);
    push_pair(left, symbol.next);
  }
  // Position 0 is never merged away (only right-hand symbols are), so the list starts there.
  for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
    out->push_back(symbols[static_cast<size_t>(i)].id);
  }
}

std::string Tokenizer::Decode(int32_t previous, int32_t token) const {
  CheckToken(token);
  std::string_view text = pieces_[static_cast<size_t>(token)];
  if (previous == kBos && !text.empty() && text[0] == ' ') text.remove_prefix(1);
  uint8_t byte = 0;
  if (ParseBytePiece(text, &byte)) return std::string(1, static_cast<char>(byte));
  return std::string(text);
}

std::string Tokenizer::DecodeAll(const std::vector<int32_t>& tokens) const {
  std::string out;
  int32_t previous = -1;
  for (const int32_t token : tokens) {
    if (token != kBos && token != kEos) out += Decode(previous, token);
    previous = token;
  }
  return out;
}

}  // namespace shrink

// Tests the conversion kernels against the Ref codecs on every target, and the Refs by brute force.
#include "shrink/core/convert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "shrink/core/dtype.h"
#include "shrink/core/float_codec.h"
#include "shrink/core/simd.h"

namespace shrink {

// Prints a SimdTarget in GoogleTest messages.
static void PrintTo(const SimdTarget& target, std::ostream* os) { *os << target.name; }

namespace {

// Number of random f32 bit patterns each encoder sees on each target.
constexpr size_t kRandomCount = 2'000'000;

// Returns the bits of a converted element (f32 bits, or the code itself).
uint32_t Bits(float value) { return F32Bits(value); }
uint32_t Bits(uint16_t code) { return code; }
uint32_t Bits(uint8_t code) { return code; }

// Returns `value` as hex text.
std::string Hex(uint32_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << std::uppercase << value;
  return out.str();
}

// Compares kernel output with the Ref for each input element; names the first mismatches.
template <typename In, typename Out, typename Ref>
::testing::AssertionResult MatchesRef(const In* in, const Out* out, size_t count, Ref ref) {
  size_t mismatches = 0;
  std::ostringstream first;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t expected = Bits(ref(in[i]));
    const uint32_t actual = Bits(out[i]);
    if (expected != actual) {
      if (++mismatches <= 8) {
        first << "\n  [" << i << "] input " << Hex(Bits(in[i])) << ": kernel " << Hex(actual)
              << ", ref " << Hex(expected);
      }
    }
  }
  if (mismatches == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << mismatches << " of " << count << " elements differ" << first.str();
}

// Runs `kernel` on all of `inputs` and compares with `ref` element by element.
template <typename Out, typename In, typename Kernel, typename Ref>
::testing::AssertionResult KernelMatchesRef(Kernel kernel, Ref ref, const std::vector<In>& inputs) {
  std::vector<Out> out(inputs.size());
  kernel(inputs.data(), out.data(), inputs.size());
  return MatchesRef(inputs.data(), out.data(), inputs.size(), ref);
}

// Returns every code of a `code_bits`-bit format, in order.
template <typename Code>
std::vector<Code> AllCodes() {
  std::vector<Code> codes(size_t{1} << (8 * sizeof(Code)));
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<Code>(i);
  return codes;
}

// Appends `value` and its f32 neighbours up to two ulps away on either side, for both signs.
void AppendNeighbourhood(float value, std::vector<float>* out) {
  const uint32_t bits = F32Bits(value) & 0x7FFFFFFFu;
  for (uint32_t sign : {0u, 0x80000000u}) {
    for (int delta = -2; delta <= 2; ++delta) {
      out->push_back(F32FromBits(sign | ((bits + static_cast<uint32_t>(delta)) & 0x7FFFFFFFu)));
    }
  }
}

// Returns the encoder edge cases of a format whose positive codes are 0..max_code (decoded by
// `decode`): every value, every midpoint between neighbours (the ties), the midpoint above the
// largest finite value, each with +-2 ulps and both signs; plus zeros, infinities, NaNs with
// various payloads, f32 subnormals and the overflow thresholds of all formats.
template <typename Decode>
std::vector<float> EdgeInputs(Decode decode, uint32_t max_code) {
  std::vector<float> inputs;
  for (uint32_t code = 0; code <= max_code; ++code) {
    const float value = decode(code);
    AppendNeighbourhood(value, &inputs);
    if (code < max_code) {
      const double next = decode(code + 1);
      AppendNeighbourhood(static_cast<float>((value + next) / 2), &inputs);
    } else {
      const double step = static_cast<double>(value) - decode(code - 1);
      AppendNeighbourhood(static_cast<float>(value + step / 2), &inputs);
    }
  }
  for (float value : {0.0f, 65504.0f, 65520.0f, 65536.0f, 448.0f, 464.0f, 480.0f, 512.0f, 57344.0f,
                      61440.0f, 1.0f, std::numeric_limits<float>::min(),
                      std::numeric_limits<float>::max(), std::numeric_limits<float>::infinity()}) {
    AppendNeighbourhood(value, &inputs);
  }
  for (uint32_t bits :
       {0x00000001u, 0x00000002u, 0x00400000u, 0x007FFFFFu, 0x7F800001u, 0x7F800FFFu, 0x7F801000u,
        0x7F802000u, 0x7F810000u, 0x7FA00000u, 0x7FBFFFFFu, 0x7FC00000u, 0x7FC00001u, 0x7FE00000u,
        0x7FFFE000u, 0x7FFFFFFFu}) {
    inputs.push_back(F32FromBits(bits));
    inputs.push_back(F32FromBits(bits | 0x80000000u));
  }
  return inputs;
}

// Returns `count` f32 values with uniformly random bit patterns (NaNs and infinities included).
const std::vector<float>& RandomBitInputs() {
  static const std::vector<float> inputs = [] {
    std::vector<float> values(kRandomCount);
    std::mt19937 rng(20240601);
    for (float& v : values) v = F32FromBits(static_cast<uint32_t>(rng()));
    return values;
  }();
  return inputs;
}

float DecodeF16(uint32_t code) { return F16ToF32Ref(static_cast<uint16_t>(code)); }
float DecodeBF16(uint32_t code) { return BF16ToF32Ref(static_cast<uint16_t>(code)); }
float DecodeE4M3(uint32_t code) { return F8E4M3ToF32Ref(static_cast<uint8_t>(code)); }
float DecodeE5M2(uint32_t code) { return F8E5M2ToF32Ref(static_cast<uint8_t>(code)); }

// ---------------------------------------------------------------- kernels vs Ref, per target

// Runs each test with dispatch forced to one SIMD target.
class ConvertTest : public ::testing::TestWithParam<SimdTarget> {
 protected:
  void SetUp() override {
    ForceSimdTarget(GetParam().id);
    ASSERT_EQ(CurrentSimdTarget().id, GetParam().id) << "dispatch did not switch target";
  }
  void TearDown() override { ForceSimdTarget(0); }
};

TEST_P(ConvertTest, F16ToF32_AllCodesMatchRef) {
  EXPECT_TRUE(KernelMatchesRef<float>(ConvertF16ToF32, F16ToF32Ref, AllCodes<uint16_t>()));
}
TEST_P(ConvertTest, BF16ToF32_AllCodesMatchRef) {
  EXPECT_TRUE(KernelMatchesRef<float>(ConvertBF16ToF32, BF16ToF32Ref, AllCodes<uint16_t>()));
}
TEST_P(ConvertTest, F8E4M3ToF32_AllCodesMatchRef) {
  EXPECT_TRUE(KernelMatchesRef<float>(ConvertF8E4M3ToF32, F8E4M3ToF32Ref, AllCodes<uint8_t>()));
}
TEST_P(ConvertTest, F8E5M2ToF32_AllCodesMatchRef) {
  EXPECT_TRUE(KernelMatchesRef<float>(ConvertF8E5M2ToF32, F8E5M2ToF32Ref, AllCodes<uint8_t>()));
}

TEST_P(ConvertTest, F32ToF16_EdgeValuesMatchRef) {
  const std::vector<float> inputs = EdgeInputs(DecodeF16, F16Format::kMaxCode);
  EXPECT_TRUE(KernelMatchesRef<uint16_t>(ConvertF32ToF16, F32ToF16Ref, inputs));
}
TEST_P(ConvertTest, F32ToBF16_EdgeValuesMatchRef) {
  const std::vector<float> inputs = EdgeInputs(DecodeBF16, 0x7F7Fu);
  EXPECT_TRUE(KernelMatchesRef<uint16_t>(ConvertF32ToBF16, F32ToBF16Ref, inputs));
}
TEST_P(ConvertTest, F32ToF8E4M3_EdgeValuesMatchRef) {
  const std::vector<float> inputs = EdgeInputs(DecodeE4M3, F8E4M3Format::kMaxCode);
  EXPECT_TRUE(KernelMatchesRef<uint8_t>(ConvertF32ToF8E4M3, F32ToF8E4M3Ref, inputs));
}
TEST_P(ConvertTest, F32ToF8E5M2_EdgeValuesMatchRef) {
  const std::vector<float> inputs = EdgeInputs(DecodeE5M2, F8E5M2Format::kMaxCode);
  EXPECT_TRUE(KernelMatchesRef<uint8_t>(ConvertF32ToF8E5M2, F32ToF8E5M2Ref, inputs));
}

TEST_P(ConvertTest, F32ToF16_RandomBitsMatchRef) {
  EXPECT_TRUE(KernelMatchesRef<uint16_t>(ConvertF32ToF16, F32ToF16Ref, RandomBitInputs()));
}
TEST_P(ConvertTest, F32ToBF16_RandomBitsMatchRef) {
  EXPECT_TRUE(KernelMatchesRef<uint16_t>(ConvertF32ToBF16, F32ToBF16Ref, RandomBitInputs()));
}
TEST_P(ConvertTest, F32ToF8E4M3_RandomBitsMatchRef) {
  EXPECT_TRUE(KernelMatchesRef<uint8_t>(ConvertF32ToF8E4M3, F32ToF8E4M3Ref, RandomBitInputs()));
}
TEST_P(ConvertTest, F32ToF8E5M2_RandomBitsMatchRef) {
  EXPECT_TRUE(KernelMatchesRef<uint8_t>(ConvertF32ToF8E5M2, F32ToF8E5M2Ref, RandomBitInputs()));
}

// Converts random inputs of many lengths at element offsets 0..3, each input in a buffer of
// exactly that size (so an over-read trips AddressSanitizer), and checks both the result and
// that no byte outside [offset, offset + length) of the output was written.
template <typename In, typename Out, typename Kernel, typename Ref>
void CheckLengthsAndOffsets(Kernel kernel, Ref ref, uint32_t seed) {
  std::mt19937 rng(seed);
  const size_t kLengths[] = {0,  1,  2,  3,  4,  5,  7,  8,   9,   15,   16,  17,
                             31, 32, 33, 47, 63, 64, 65, 127, 129, 1000, 4099};
  constexpr size_t kGuard = 67;
  auto run = [&](size_t length, size_t offset) {
    std::vector<In> in(offset + length);
    for (In& v : in) {
      const auto r = static_cast<uint32_t>(rng());
      if constexpr (std::is_same_v<In, float>) {
        v = F32FromBits(r);
      } else {
        v = static_cast<In>(r);
      }
    }
    std::vector<Out> out(offset + length + kGuard);
    std::memset(out.data(), 0xA5, out.size() * sizeof(Out));
    const std::vector<Out> untouched = out;
    kernel(in.data() + offset, out.data() + offset, length);
    SCOPED_TRACE(::testing::Message() << "length " << length << ", offset " << offset);
    EXPECT_TRUE(MatchesRef(in.data() + offset, out.data() + offset, length, ref));
    EXPECT_EQ(std::memcmp(out.data(), untouched.data(), offset * sizeof(Out)), 0)
        << "wrote before the output";
    EXPECT_EQ(std::memcmp(out.data() + offset + length, untouched.data() + offset + length,
                          kGuard * sizeof(Out)),
              0)
        << "wrote past the output";
  };
  for (size_t length : kLengths) {
    for (size_t offset = 0; offset < 4; ++offset) run(length, offset);
  }
  run(1000003, seed % 3 + 1);  // a large odd length at an odd start
}

TEST_P(ConvertTest, F16ToF32_OddLengthsAndOffsetsMatchRef) {
  CheckLengthsAndOffsets<uint16_t, float>(ConvertF16ToF32, F16ToF32Ref, 1);
}
TEST_P(ConvertTest, F32ToF16_OddLengthsAndOffsetsMatchRef) {
  CheckLengthsAndOffsets<float, uint16_t>(ConvertF32ToF16, F32ToF16Ref, 2);
}
TEST_P(ConvertTest, BF16ToF32_OddLengthsAndOffsetsMatchRef) {
  CheckLengthsAndOffsets<uint16_t, float>(ConvertBF16ToF32, BF16ToF32Ref, 3);
}
TEST_P(ConvertTest, F32ToBF16_OddLengthsAndOffsetsMatchRef) {
  CheckLengthsAndOffsets<float, uint16_t>(ConvertF32ToBF16, F32ToBF16Ref, 4);
}
TEST_P(ConvertTest, F8E4M3ToF32_OddLengthsAndOffsetsMatchRef) {
  CheckLengthsAndOffsets<uint8_t, float>(ConvertF8E4M3ToF32, F8E4M3ToF32Ref, 5);
}
TEST_P(ConvertTest, F32ToF8E4M3_OddLengthsAndOffsetsMatchRef) {
  CheckLengthsAndOffsets<float, uint8_t>(ConvertF32ToF8E4M3, F32ToF8E4M3Ref, 6);
}
TEST_P(ConvertTest, F8E5M2ToF32_OddLengthsAndOffsetsMatchRef) {
  CheckLengthsAndOffsets<uint8_t, float>(ConvertF8E5M2ToF32, F8E5M2ToF32Ref, 7);
}
TEST_P(ConvertTest, F32ToF8E5M2_OddLengthsAndOffsetsMatchRef) {
  CheckLengthsAndOffsets<float, uint8_t>(ConvertF32ToF8E5M2, F32ToF8E5M2Ref, 8);
}

TEST_P(ConvertTest, ConvertToAndFromF32_FloatTypesUseTheKernels) {
  const std::vector<float>& inputs = RandomBitInputs();
  const size_t count = 100'003;
  for (DType dtype : {DType::kF16, DType::kBF16, DType::kF8E4M3, DType::kF8E5M2}) {
    SCOPED_TRACE(DTypeName(dtype));
    std::vector<uint8_t> codes(count * DTypeSize(dtype));
    ConvertFromF32(dtype, inputs.data(), codes.data(), count);
    std::vector<float> decoded(count);
    ConvertToF32(dtype, codes.data(), decoded.data(), count);
    for (size_t i = 0; i < count; ++i) {
      uint32_t code = 0;
      std::memcpy(&code, codes.data() + i * DTypeSize(dtype), DTypeSize(dtype));
      float ref_decoded = 0.0f;
      uint32_t ref_code = 0;
      switch (dtype) {
        case DType::kF16:
          ref_code = F32ToF16Ref(inputs[i]);
          ref_decoded = DecodeF16(code);
          break;
        case DType::kBF16:
          ref_code = F32ToBF16Ref(inputs[i]);
          ref_decoded = DecodeBF16(code);
          break;
        case DType::kF8E4M3:
          ref_code = F32ToF8E4M3Ref(inputs[i]);
          ref_decoded = DecodeE4M3(code);
          break;
        default:
          ref_code = F32ToF8E5M2Ref(inputs[i]);
          ref_decoded = DecodeE5M2(code);
          break;
      }
      ASSERT_EQ(code, ref_code) << "input " << Hex(F32Bits(inputs[i]));
      ASSERT_EQ(F32Bits(decoded[i]), F32Bits(ref_decoded)) << "code " << Hex(code);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTargets, ConvertTest, ::testing::ValuesIn(AvailableSimdTargets()),
                         [](const ::testing::TestParamInfo<SimdTarget>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------- SIMD target control

TEST(SimdTargetTest, ListsTargetsBestFirstAndForcesEach) {
  const std::vector<SimdTarget> targets = AvailableSimdTargets();
  ASSERT_FALSE(targets.empty());
  for (size_t i = 0; i + 1 < targets.size(); ++i) {
    EXPECT_LT(targets[i].id, targets[i + 1].id) << "Highway numbers better targets lower";
  }
#if defined(__x86_64__)
  // The portable fallback: EMU128, or SCALAR where Highway marks EMU128 broken for the compiler.
  EXPECT_TRUE(targets.back().name == "EMU128" || targets.back().name == "SCALAR")
      << targets.back().name;
#endif
  EXPECT_EQ(CurrentSimdTarget().id, targets.front().id);
  for (const SimdTarget& target : targets) {
    ForceSimdTarget(target.id);
    EXPECT_EQ(CurrentSimdTarget().id, target.id);
    EXPECT_EQ(CurrentSimdTarget().name, target.name);
    EXPECT_EQ(AvailableSimdTargets().size(), targets.size()) << "forcing must not hide targets";
  }
  ForceSimdTarget(0);
  EXPECT_EQ(CurrentSimdTarget().id, targets.front().id);
}

TEST(SimdTargetTest, RejectsTargetsThatAreNotAvailable) {
  const std::vector<SimdTarget> targets = AvailableSimdTargets();
  int64_t all = 0;
  for (const SimdTarget& target : targets) all |= target.id;
  if (targets.size() >= 2) {
    EXPECT_THROW(ForceSimdTarget(targets[0].id | targets[1].id), Error) << "two targets at once";
  }
  int64_t missing = 1;
  while (missing & all) missing <<= 1;
  EXPECT_THROW(ForceSimdTarget(missing), Error);
  EXPECT_EQ(CurrentSimdTarget().id, AvailableSimdTargets().front().id);
}

// ---------------------------------------------------------------- dtype-generic entry points

TEST(ConvertDTypeTest, F32IsCopiedUnchanged) {
  const std::vector<float>& inputs = RandomBitInputs();
  std::vector<float> out(1001);
  ConvertToF32(DType::kF32, inputs.data(), out.data(), out.size());
  EXPECT_EQ(std::memcmp(out.data(), inputs.data(), out.size() * sizeof(float)), 0);
  std::vector<float> back(1001);
  ConvertFromF32(DType::kF32, inputs.data(), back.data(), back.size());
  EXPECT_EQ(std::memcmp(back.data(), inputs.data(), back.size() * sizeof(float)), 0);
  ConvertToF32(DType::kF32, nullptr, nullptr, 0);  // an empty range touches nothing
}

TEST(ConvertDTypeTest, IntegersConvertToNearestFloat) {
  std::vector<int16_t> i16(65536);
  for (size_t i = 0; i < i16.size(); ++i) i16[i] = static_cast<int16_t>(i);
  std::vector<float> out(i16.size());
  ConvertToF32(DType::kI16, i16.data(), out.data(), i16.size());
  for (size_t i = 0; i < i16.size(); ++i) ASSERT_EQ(out[i], static_cast<float>(i16[i]));

  const int8_t i8[] = {-128, -1, 0, 1, 127};
  ConvertToF32(DType::kI8, i8, out.data(), 5);
  EXPECT_EQ(out[0], -128.0f);
  EXPECT_EQ(out[4], 127.0f);
  const uint8_t u8[] = {0, 255};
  ConvertToF32(DType::kU8, u8, out.data(), 2);
  EXPECT_EQ(out[1], 255.0f);
  const uint16_t u16[] = {65535};
  ConvertToF32(DType::kU16, u16, out.data(), 1);
  EXPECT_EQ(out[0], 65535.0f);
  const int32_t i32[] = {16777217, -16777219, std::numeric_limits<int32_t>::max(),
                         std::numeric_limits<int32_t>::min()};
  ConvertToF32(DType::kI32, i32, out.data(), 4);
  EXPECT_EQ(out[0], 16777216.0f);  // ties to even
  EXPECT_EQ(out[1], -16777220.0f);
  EXPECT_EQ(out[2], 2147483648.0f);
  EXPECT_EQ(out[3], -2147483648.0f);
  const int64_t i64[] = {(int64_t{1} << 40) + 1, std::numeric_limits<int64_t>::min()};
  ConvertToF32(DType::kI64, i64, out.data(), 2);
  EXPECT_EQ(out[0], 1099511627776.0f);
  EXPECT_EQ(out[1], -9223372036854775808.0f);
}

// Returns ConvertFromF32(dtype, x) widened to int64.
template <typename T>
int64_t ToInteger(float x) {
  T out{};
  ConvertFromF32(DTypeOf<T>::value, &x, &out, 1);
  return static_cast<int64_t>(out);
}

TEST(ConvertDTypeTest, FloatsRoundToNearestEvenAndSaturateIntoIntegers) {
  const float kInf = std::numeric_limits<float>::infinity();
  const float kNan = std::numeric_limits<float>::quiet_NaN();
  for (auto [x, expected] : std::vector<std::pair<float, int64_t>>{{0.5f, 0},
                                                                   {1.5f, 2},
                                                                   {2.5f, 2},
                                                                   {-0.5f, 0},
                                                                   {-1.5f, -2},
                                                                   {-2.5f, -2},
                                                                   {0.49999997f, 0},
                                                                   {126.5f, 126},
                                                                   {127.5f, 127},
                                                                   {-128.5f, -128},
                                                                   {300.0f, 127},
                                                                   {-300.0f, -128},
                                                                   {kInf, 127},
                                                                   {-kInf, -128},
                                                                   {kNan, 0},
                                                                   {-kNan, 0}}) {
    EXPECT_EQ(ToInteger<int8_t>(x), expected) << "i8 of " << x;
  }
  for (auto [x, expected] : std::vector<std::pair<float, int64_t>>{{-0.6f, 0},
                                                                   {-1.0f, 0},
                                                                   {254.5f, 254},
                                                                   {255.4f, 255},
                                                                   {255.5f, 255},
                                                                   {1e9f, 255},
                                                                   {kNan, 0}}) {
    EXPECT_EQ(ToInteger<uint8_t>(x), expected) << "u8 of " << x;
  }
  EXPECT_EQ(ToInteger<int16_t>(32767.5f), 32767);
  EXPECT_EQ(ToInteger<int16_t>(-32768.5f), -32768);
  EXPECT_EQ(ToInteger<int16_t>(-3.5f), -4);
  EXPECT_EQ(ToInteger<uint16_t>(65535.5f), 65535);
  EXPECT_EQ(ToInteger<uint16_t>(-kInf), 0);
  EXPECT_EQ(ToInteger<int32_t>(2147483648.0f), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(ToInteger<int32_t>(2147483520.0f), 2147483520);
  EXPECT_EQ(ToInteger<int32_t>(-2147483648.0f), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(ToInteger<int32_t>(-3e9f), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(ToInteger<int32_t>(kNan), 0);
  EXPECT_EQ(ToInteger<int64_t>(9.3e18f), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ToInteger<int64_t>(-9.3e18f), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(ToInteger<int64_t>(4611686018427387904.0f), int64_t{1} << 62);
  EXPECT_EQ(ToInteger<int64_t>(kInf), std::numeric_limits<int64_t>::max());
}

// ---------------------------------------------------------------- the Ref codecs themselves

// Returns the value of a code computed from the format definition with ldexp (independent of
// float_codec.h): sign, `exp_bits` exponent with `bias`, `man_bits` mantissa; IEEE specials
// when `ieee`, else only all-ones is NaN (e4m3fn).
double FormulaValue(uint32_t code, int exp_bits, int man_bits, int bias, bool ieee) {
  const uint32_t sign = (code >> (exp_bits + man_bits)) & 1u;
  const uint32_t exp = (code >> man_bits) & ((1u << exp_bits) - 1);
  const uint32_t mant = code & ((1u << man_bits) - 1);
  const double s = sign ? -1.0 : 1.0;
  const uint32_t exp_max = (1u << exp_bits) - 1;
  if (ieee && exp == exp_max) {
    return mant ? std::numeric_limits<double>::quiet_NaN()
                : s * std::numeric_limits<double>::infinity();
  }
  if (!ieee && exp == exp_max && mant == (1u << man_bits) - 1)
    return std::numeric_limits<double>::quiet_NaN();
  if (exp == 0) return s * std::ldexp(static_cast<double>(mant), 1 - bias - man_bits);
  return s * std::ldexp(1.0 + std::ldexp(static_cast<double>(mant), -man_bits),
                        static_cast<int>(exp) - bias);
}

TEST(FloatCodecRefTest, DecodeMatchesFormatDefinitionForEveryCode) {
  struct Case {
    const char* name;
    float (*decode)(uint32_t);
    int code_bits, exp_bits, man_bits, bias;
    bool ieee;
    bool quiets_nan;  // bf16 decoding is a plain widening: a signalling NaN stays signalling
  };
  for (const Case& c : {Case{"f16", DecodeF16, 16, 5, 10, 15, true, true},
                        Case{"bf16", DecodeBF16, 16, 8, 7, 127, true, false},
                        Case{"e4m3", DecodeE4M3, 8, 4, 3, 7, false, true},
                        Case{"e5m2", DecodeE5M2, 8, 5, 2, 15, true, true}}) {
    SCOPED_TRACE(c.name);
    for (uint32_t code = 0; code < (1u << c.code_bits); ++code) {
      const double expected = FormulaValue(code, c.exp_bits, c.man_bits, c.bias, c.ieee);
      const float actual = c.decode(code);
      if (std::isnan(expected)) {
        ASSERT_TRUE(std::isnan(actual)) << Hex(code);
        ASSERT_EQ(std::signbit(actual), (code >> (c.code_bits - 1)) != 0) << Hex(code);
        if (c.quiets_nan) {
          ASSERT_NE(F32Bits(actual) & 0x00400000u, 0u)
              << "decoded NaN must be quiet: " << Hex(code);
        }
      } else {
        ASSERT_EQ(static_cast<double>(actual), expected) << Hex(code);
        ASSERT_EQ(std::signbit(actual), std::signbit(expected)) << Hex(code);
      }
    }
  }
  EXPECT_EQ(F16ToF32Ref(0x7BFF), 65504.0f);
  EXPECT_EQ(F16ToF32Ref(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(F8E4M3ToF32Ref(0x7E), 448.0f);
  EXPECT_EQ(F8E4M3ToF32Ref(0x01), std::ldexp(1.0f, -9));
  EXPECT_EQ(F8E5M2ToF32Ref(0x7B), 57344.0f);
  EXPECT_EQ(F8E5M2ToF32Ref(0x01), std::ldexp(1.0f, -16));
  EXPECT_TRUE(std::isinf(F8E5M2ToF32Ref(0x7C)));
  EXPECT_TRUE(std::isnan(F8E4M3ToF32Ref(0x7F)));
  EXPECT_TRUE(std::isnan(F8E4M3ToF32Ref(0xFF)));
  // f16 NaN payloads survive decoding in the high mantissa bits.
  EXPECT_EQ(F32Bits(F16ToF32Ref(0x7C01)), 0x7FC02000u);
  EXPECT_EQ(F32Bits(F16ToF32Ref(0xFE00)), 0xFFC00000u);
}

// Returns the code whose value in `values` (indexed by magnitude code) is nearest to |x|, ties
// to the even code, with x's sign in bit `sign_shift`; `x` must be finite.
uint32_t NearestCodeBruteForce(float x, const std::vector<double>& values, int sign_shift) {
  const double ax = std::fabs(static_cast<double>(x));
  uint32_t best = 0;
  double best_error = std::numeric_limits<double>::infinity();
  for (uint32_t code = 0; code < values.size(); ++code) {
    const double error = std::fabs(values[code] - ax);
    if (error < best_error || (error == best_error && (code & 1u) == 0)) {
      best = code;
      best_error = error;
    }
  }
  return (std::signbit(x) ? 1u << sign_shift : 0u) | best;
}

// Returns random finite floats: log-uniform magnitudes over [2^lo_exp, 2^hi_exp), random signs.
std::vector<float> LogUniformFloats(size_t count, int lo_exp, int hi_exp, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> exponent(lo_exp, hi_exp);
  std::vector<float> values(count);
  for (float& v : values) {
    v = static_cast<float>(std::exp2(exponent(rng)));
    if (rng() & 1u) v = -v;
  }
  return values;
}

// Checks an f8 Ref encoder against brute-force nearest search (which also gives saturation:
// beyond the largest finite value the nearest finite code is the largest one).
template <class Fmt, typename Encode, typename Decode>
void CheckF8AgainstBruteForce(Encode encode, Decode decode, float max_value, uint32_t seed) {
  std::vector<double> values(Fmt::kMaxCode + 1);
  for (uint32_t code = 0; code <= Fmt::kMaxCode; ++code) values[code] = decode(code);
  ASSERT_EQ(values.back(), max_value);
  // Magnitudes from below half the smallest subnormal to 8x beyond the largest value.
  std::vector<float> inputs = LogUniformFloats(80'000, -20, std::ilogb(max_value) + 4, seed);
  std::mt19937 rng(seed + 1);
  std::uniform_real_distribution<float> uniform(-1.25f * max_value, 1.25f * max_value);
  for (int i = 0; i < 20'000; ++i) inputs.push_back(uniform(rng));
  for (uint32_t code = 0; code <= Fmt::kMaxCode; ++code) {  // every tie, and one ulp around it
    // Above the largest value, the tie is half a step (of the top binade) beyond it.
    const double next =
        code < Fmt::kMaxCode ? values[code + 1] : 2 * values[code] - values[code - 1];
    const float mid = static_cast<float>((values[code] + next) / 2);
    for (float x : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e30f)}) {
      inputs.push_back(x);
      inputs.push_back(-x);
    }
  }
  for (float x : inputs) {
    ASSERT_EQ(encode(x), NearestCodeBruteForce(x, values, Fmt::kSignShift))
        << "x = " << x << " (" << Hex(F32Bits(x)) << ")";
  }
}

TEST(FloatCodecRefTest, F8E4M3EncodeIsNearestEvenWithSaturation) {
  CheckF8AgainstBruteForce<F8E4M3Format>(F32ToF8E4M3Ref, DecodeE4M3, 448.0f, 11);
}
TEST(FloatCodecRefTest, F8E5M2EncodeIsNearestEvenWithSaturation) {
  CheckF8AgainstBruteForce<F8E5M2Format>(F32ToF8E5M2Ref, DecodeE5M2, 57344.0f, 12);
}

TEST(FloatCodecRefTest, F16EncodeIsNearestEvenOverflowingToInfinity) {
  // Sorted magnitudes of codes 0..0x7C00, where 0x7C00 stands for 2^16: with an unbounded
  // exponent that is the next value after 65504, so the nearest-even choice between them
  // says exactly when IEEE rounding overflows to infinity.
  std::vector<double> table(0x7C01);
  for (uint32_t code = 0; code < 0x7C00; ++code)
    table[code] = F16ToF32Ref(static_cast<uint16_t>(code));
  table[0x7C00] = 65536.0;
  ASSERT_TRUE(std::is_sorted(table.begin(), table.end()));
  auto nearest = [&](float x) -> uint32_t {
    const double ax = std::fabs(static_cast<double>(x));
    const uint32_t sign = std::signbit(x) ? 0x8000u : 0u;
    if (ax >= 65536.0) return sign | 0x7C00u;
    const auto hi =
        static_cast<uint32_t>(std::lower_bound(table.begin(), table.end(), ax) - table.begin());
    if (table[hi] == ax || hi == 0) return sign | hi;
    const uint32_t lo = hi - 1;
    const double down = ax - table[lo], up = table[hi] - ax;
    if (down < up) return sign | lo;
    if (up < down) return sign | hi;
    return sign | ((lo & 1u) ? hi : lo);
  };
  std::vector<float> inputs = LogUniformFloats(300'000, -27, 17, 13);
  for (uint32_t code = 0; code < 0x7C00; ++code) {  // every tie, one f32 ulp either side
    const float mid = static_cast<float>((table[code] + table[code + 1]) / 2);
    for (float x : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e30f)}) {
      inputs.push_back(x);
      inputs.push_back(-x);
    }
  }
  for (float x : inputs) {
    ASSERT_EQ(F32ToF16Ref(x), nearest(x)) << "x = " << x << " (" << Hex(F32Bits(x)) << ")";
  }
  EXPECT_EQ(F32ToF16Ref(65519.996f), 0x7BFF);
  EXPECT_EQ(F32ToF16Ref(65520.0f), 0x7C00);
  EXPECT_EQ(F32ToF16Ref(-std::numeric_limits<float>::infinity()), 0xFC00);
}

TEST(FloatCodecRefTest, BF16EncodeIsNearestEvenOverflowingToInfinity) {
  std::mt19937 rng(14);
  auto value = [](uint32_t code) {  // bf16 magnitude code -> value, 0x7F80 standing for 2^128
    return code == 0x7F80u ? std::ldexp(1.0, 128)
                           : static_cast<double>(BF16ToF32Ref(static_cast<uint16_t>(code)));
  };
  for (int i = 0; i < 300'000; ++i) {
    const float x = F32FromBits(static_cast<uint32_t>(rng()));
    if (std::isnan(x)) continue;
    const uint32_t sign = std::signbit(x) ? 0x8000u : 0u;
    const double ax = std::fabs(static_cast<double>(x));
    const uint32_t lo = (F32Bits(x) & 0x7FFFFFFFu) >> 16;  // truncation: value <= |x|
    uint32_t expected = lo;
    if (lo < 0x7F80u) {
      const double down = ax - value(lo), up = value(lo + 1) - ax;
      if (up < down || (up == down && (lo & 1u))) expected = lo + 1;
    }
    ASSERT_EQ(F32ToBF16Ref(x), sign | expected) << "x = " << x << " (" << Hex(F32Bits(x)) << ")";
  }
}

TEST(FloatCodecRefTest, EncodeOfEveryRepresentableValueGivesItsCode) {
  for (uint32_t code = 0; code < 0x10000u; ++code) {
    const auto c16 = static_cast<uint16_t>(code);
    if (!std::isnan(F16ToF32Ref(c16))) {
      ASSERT_EQ(F32ToF16Ref(F16ToF32Ref(c16)), c16) << Hex(code);
    }
    if (!std::isnan(BF16ToF32Ref(c16))) {
      ASSERT_EQ(F32ToBF16Ref(BF16ToF32Ref(c16)), c16) << Hex(code);
    }
  }
  for (uint32_t code = 0; code < 0x100u; ++code) {
    const auto c8 = static_cast<uint8_t>(code);
    if (!std::isnan(F8E4M3ToF32Ref(c8))) {
      ASSERT_EQ(F32ToF8E4M3Ref(F8E4M3ToF32Ref(c8)), c8) << Hex(code);
    }
    const float e5m2 = F8E5M2ToF32Ref(c8);
    if (std::isfinite(e5m2)) {  // e5m2 infinities saturate (checked below)
      ASSERT_EQ(F32ToF8E5M2Ref(e5m2), c8) << Hex(code);
    }
  }
}

TEST(FloatCodecRefTest, NanAndSaturationFollowTheDocumentedRules) {
  const float kInf = std::numeric_limits<float>::infinity();
  // f8 saturates: +-inf and anything beyond the largest finite value give +-max.
  EXPECT_EQ(F32ToF8E4M3Ref(kInf), 0x7E);
  EXPECT_EQ(F32ToF8E4M3Ref(-kInf), 0xFE);
  EXPECT_EQ(F32ToF8E4M3Ref(464.0f), 0x7E);  // tie between 448 and 480: even is 448
  EXPECT_EQ(F32ToF8E4M3Ref(1e30f), 0x7E);
  EXPECT_EQ(F32ToF8E5M2Ref(kInf), 0x7B);
  EXPECT_EQ(F32ToF8E5M2Ref(-kInf), 0xFB);
  EXPECT_EQ(F32ToF8E5M2Ref(61440.0f), 0x7B);  // would round to infinity; saturates
  EXPECT_EQ(F32ToF8E5M2Ref(-std::numeric_limits<float>::max()), 0xFB);
  EXPECT_EQ(F32ToF8E4M3Ref(std::numeric_limits<float>::max()), 0x7E);
  // f16 and bf16 overflow to infinity.
  EXPECT_EQ(F32ToF16Ref(kInf), 0x7C00);
  EXPECT_EQ(F32ToBF16Ref(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(F32ToBF16Ref(-kInf), 0xFF80);
  // NaN: every NaN bit pattern stays NaN with its sign.
  std::mt19937 rng(15);
  for (int i = 0; i < 100'000; ++i) {
    const uint32_t payload = static_cast<uint32_t>(rng() % 0x7FFFFFu);  // 0..0x7FFFFE
    const uint32_t sign = static_cast<uint32_t>(rng()) & 0x80000000u;
    const uint32_t bits = sign | (0x7F800001u + payload);
    const float nan = F32FromBits(bits);
    ASSERT_TRUE(std::isnan(nan));
    const uint32_t sign16 = (bits >> 16) & 0x8000u, sign8 = (bits >> 24) & 0x80u;
    const uint16_t h = F32ToF16Ref(nan);
    ASSERT_EQ(h, sign16 | 0x7E00u | ((bits >> 13) & 0x3FFu)) << Hex(bits);  // quiet, high payload
    ASSERT_TRUE(std::isnan(F16ToF32Ref(h)));
    const uint16_t b = F32ToBF16Ref(nan);
    ASSERT_EQ(b, ((bits >> 16) | 0x40u) & 0xFFFFu) << Hex(bits);
    ASSERT_TRUE(std::isnan(BF16ToF32Ref(b)));
    ASSERT_EQ(F32ToF8E4M3Ref(nan), sign8 | 0x7Fu) << Hex(bits);
    ASSERT_EQ(F32ToF8E5M2Ref(nan), sign8 | 0x7Eu) << Hex(bits);
    ASSERT_TRUE(std::isnan(F8E5M2ToF32Ref(F32ToF8E5M2Ref(nan))));
  }
  // Signed zeros keep their sign; the smallest subnormal halfway point rounds to (even) zero.
  EXPECT_EQ(F32ToF16Ref(-0.0f), 0x8000);
  EXPECT_EQ(F32ToF8E4M3Ref(-0.0f), 0x80);
  EXPECT_EQ(F32ToF16Ref(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(F32ToF16Ref(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(F32ToF8E4M3Ref(std::ldexp(1.0f, -10)), 0x00);
  EXPECT_EQ(F32ToF8E4M3Ref(std::ldexp(3.0f, -10)), 0x02);  // 1.5 steps: tie to even 2
}

}  // namespace
}  // namespace shrink

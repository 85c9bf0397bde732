// The list of quantized weight formats, their shared option specs, and QuantFormat's defaults.
#include "shrink/formats/quant_format.h"

#include <algorithm>
#include <vector>

#include "shrink/core/error.h"
#include "src/formats/format_factories.h"
#include "src/kernels/core/dot.h"

namespace shrink {
namespace {

using Factory = std::unique_ptr<QuantFormat> (*)(const std::string&, const FormatSettings&);

struct FormatEntry {
  const char* name;
  Factory make;
};

// Every format, in the order `shrink info` lists them.
const std::vector<FormatEntry>& Entries() {
  static const std::vector<FormatEntry> entries = {
      {"int", MakeIntGridFormat},
      {"nf4", MakeFloatFormat},
      {"fp8_e4m3", MakeFloatFormat},
      {"fp8_e5m2", MakeFloatFormat},
      {"mxfp4", MakeFloatFormat},
      {"nvfp4", MakeFloatFormat},
      {"q4_0", MakeGgmlLegacyFormat},
      {"q4_1", MakeGgmlLegacyFormat},
      {"q5_0", MakeGgmlLegacyFormat},
      {"q5_1", MakeGgmlLegacyFormat},
      {"q8_0", MakeGgmlLegacyFormat},
      {"iq4_nl", MakeGgmlLegacyFormat},
      {"iq4_xs", MakeGgmlLegacyFormat},
      {"q2_k", MakeGgmlKQuantFormat},
      {"q3_k", MakeGgmlKQuantFormat},
      {"q4_k", MakeGgmlKQuantFormat},
      {"q5_k", MakeGgmlKQuantFormat},
      {"q6_k", MakeGgmlKQuantFormat},
      {"w8a8", MakeW8A8Format},
  };
  return entries;
}

}  // namespace

std::vector<OptionSpec> QuantFormatSpecs() {
  std::vector<std::string> names = QuantFormatNames();
  return {
      {"format", OptionType::kString, "int", "target weight format", -INFINITY, INFINITY, names},
      {"bits", OptionType::kInt, "4", "bits per code of the int format", 2, 8, {}},
      {"group", OptionType::kInt, "128",
       "int and fp8: weights per scale along a row (0 = per output channel, -1 = per tensor)", -1, 1 << 30, {}},
      {"sym", OptionType::kBool, "false", "int: symmetric grid (implicit zero point)", -INFINITY, INFINITY, {}},
      {"scale_dtype", OptionType::kString, "f16", "int: dtype of stored scales", -INFINITY, INFINITY, {"f16", "f32"}},
      {"clip", OptionType::kBool, "false", "int: search the MSE-optimal clipping range of each group", -INFINITY,
       INFINITY, {}},
  };
}

const std::vector<std::string>& QuantFormatNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const FormatEntry& e : Entries()) list.emplace_back(e.name);
    return list;
  }();
  return names;
}

bool IsQuantFormat(const std::string& name) {
  const auto& names = QuantFormatNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::unique_ptr<QuantFormat> MakeQuantFormat(const std::string& name,
                                             const std::map<std::string, std::string>& settings) {
  Options options;
  for (const auto& [key, value] : settings) options.Set(key, value);
  options.Set("format", name);
  const OptionReader reader("format", options, QuantFormatSpecs());
  FormatSettings s;
  s.bits = static_cast<int>(reader.Int("bits"));
  s.group = reader.Int("group");
  // The default group (128) is the int format's; fp8 keeps a scale per output channel unless
  // told otherwise.
  if (settings.count("group") == 0 && name.rfind("fp8_", 0) == 0) s.group = 0;
  s.symmetric = reader.Bool("sym");
  s.scale_dtype = reader.String("scale_dtype") == "f32" ? DType::kF32 : DType::kF16;
  s.clip = reader.Bool("clip");
  for (const FormatEntry& e : Entries()) {
    if (name == e.name) return e.make(name, s);
  }
  Fail(ErrorCode::kInternal, "format '", name, "' has no factory");
}

double QuantFormat::BitsPerWeight(int64_t cols) const {
  size_t bytes = 0;
  for (const FormatSection& s : Sections(cols)) bytes += s.row_bytes();
  return 8.0 * static_cast<double>(bytes) / static_cast<double>(cols);
}

void QuantFormat::QuantizeRow(const float* x, const float* importance, int64_t cols, const TensorContext& ctx,
                              RowRef row) const {
  const int64_t block = BlockSize(cols), sub = SubBlockSize(cols);
  const LevelTable& levels = Levels();
  std::vector<SubBlockGrid> grids(static_cast<size_t>((block + sub - 1) / sub));
  std::vector<uint8_t> chosen(static_cast<size_t>(cols));
  for (int64_t begin = 0; begin < cols; begin += block) {
    const int64_t n = std::min(block, cols - begin);
    FitBlock(x + begin, importance ? importance + begin : nullptr, n, begin, ctx, row, grids.data());
    for (int64_t j = 0; j < n; ++j) {
      const SubBlockGrid& g = grids[static_cast<size_t>(j / sub)];
      chosen[static_cast<size_t>(begin + j)] = static_cast<uint8_t>(g.NearestLevel(x[begin + j], levels));
    }
  }
  PutLevels(chosen.data(), cols, row);
}

float QuantFormat::DotRow(ConstRowRef row, int64_t cols, float tensor_scale, const float* x, float* scratch) const {
  DequantizeRow(row, cols, tensor_scale, scratch);
  return kernels::DotF32(scratch, x, cols);
}

void QuantFormat::MatVec(const ConstQuantRows& rows, const float* x, float* y) const {
#pragma omp parallel
  {
    std::vector<float> scratch(static_cast<size_t>(rows.cols()));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < rows.rows(); ++i) {
      y[i] = DotRow(rows.Row(i), rows.cols(), rows.tensor_scale(), x, scratch.data());
    }
  }
}

}  // namespace shrink

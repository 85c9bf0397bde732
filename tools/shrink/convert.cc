// `shrink convert IN OUT`: rewrites a model in another format (llama2.c, safetensors, GGUF),
// decompressing compressed tensors and optionally casting float tensors.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "shrink/core/convert.h"
#include "shrink/io/model.h"
#include "tools/shrink/commands.h"
#include "tools/shrink/format_util.h"
#include "tools/shrink/progress.h"

namespace shrink::cli {
namespace {

int RunConvert(const ParsedArgs& args) {
  const std::string in = args.positional()[0];
  const std::string out = args.positional()[1];
  ModelFileFormatFromExtension(out);  // reject an unknown output extension before any work
  std::optional<DType> cast;
  if (args.Has("dtype")) {
    cast = ParseDType(args.Get("dtype"));
    if (!IsFloat(*cast)) throw UsageError("--dtype must be a float type (f32, f16, bf16, f8_e4m3, f8_e5m2)");
  }
  Model model = Model::Load(in);
  const auto tensors = model.Tensors();
  int64_t decompressed = 0;
  {
    Progress progress("converting", static_cast<int64_t>(tensors.size()));
    for (const ModelTensorInfo& t : tensors) {
      // Like llama.cpp's converters, --dtype leaves 1-D tensors (norms, biases) in f32.
      const bool castable = t.shape.rank() >= 2 && (t.compressed || (t.dtype && IsFloat(*t.dtype)));
      if (t.compressed || (cast && castable && t.dtype != cast)) {
        Tensor f32 = model.ReadF32(t.name);
        decompressed += t.compressed ? 1 : 0;
        if (cast && castable && *cast != DType::kF32) {
          Tensor converted(*cast, f32.shape());
          ConvertFromF32(*cast, f32.data<float>(), converted.bytes(), static_cast<size_t>(f32.num_elements()));
          f32 = std::move(converted);
        }
        model.SetTensor(t.name, std::move(f32));
      }
      progress.Advance();
    }
  }
  model.Save(out);
  const uint64_t in_bytes = std::filesystem::file_size(in), out_bytes = std::filesystem::file_size(out);
  if (args.Has("json")) {
    const nlohmann::json j = {{"input", in},
                              {"output", out},
                              {"input_format", ModelFileFormatName(model.source_format())},
                              {"output_format", ModelFileFormatName(ModelFileFormatFromExtension(out))},
                              {"tensors", tensors.size()},
                              {"decompressed", decompressed},
                              {"input_bytes", in_bytes},
                              {"output_bytes", out_bytes}};
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("wrote {} ({}, {} tensors, {}) from {} ({}, {}){}\n", out,
               ModelFileFormatName(ModelFileFormatFromExtension(out)), tensors.size(), FormatBytes(out_bytes), in,
               ModelFileFormatName(model.source_format()), FormatBytes(in_bytes),
               decompressed ? fmt::format("; decompressed {} tensors", decompressed) : "");
  }
  return 0;
}

}  // namespace

Command ConvertCommand() {
  return {{"convert", "IN OUT",
           "Convert a model between llama2.c (.bin), safetensors and GGUF, chosen by OUT's extension. Compressed "
           "tensors are decompressed to f32.",
           {{"dtype", "DTYPE", "cast float matrices to f32, f16, bf16, f8_e4m3 or f8_e5m2 (1-D tensors stay f32)"}},
           2, 2},
          RunConvert};
}

}  // namespace shrink::cli

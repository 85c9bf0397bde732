// Example: load a model, quantize its 2-D weights with rtn, save a compressed safetensors file.
//   example_quantize_model IN OUT.safetensors [bits]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shrink/shrink.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s IN OUT.safetensors [bits]\n", argv[0]);
    return 1;
  }
  try {
    shrink::Model model = shrink::Model::Load(argv[1]);
    const std::string bits = argc > 3 ? argv[3] : "4";
    auto rtn = shrink::Registry::Global().CreateAs<shrink::WeightCompressor>("rtn", shrink::Options{{"bits", bits}});
    for (const shrink::ModelTensorInfo& t : model.Tensors()) {
      if (t.shape.rank() != 2 || t.compressed || t.name == shrink::kTokenEmbeddingName) continue;
      const shrink::Tensor w = model.ReadF32(t.name);
      model.SetCompressed(t.name, rtn->Compress(w.View<float>(), nullptr));
    }
    model.Save(argv[2]);
    std::printf("wrote %s with %s\n", argv[2], rtn->Describe().c_str());
  } catch (const shrink::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}

// Per-format readers and writers behind Model::Load and Model::Save (private to the library).
#ifndef SHRINK_SRC_IO_MODEL_FORMATS_H_
#define SHRINK_SRC_IO_MODEL_FORMATS_H_

#include <memory>
#include <string>

#include "shrink/io/mapped_file.h"
#include "shrink/io/model.h"

namespace shrink::detail {

// Each builds a Model over the mapped file (kept alive by the model) or writes one.
Model LoadLlama2cModel(std::shared_ptr<const MappedFile> file);
Model LoadSafetensorsModel(std::shared_ptr<const MappedFile> file);
Model LoadGgufModel(std::shared_ptr<const MappedFile> file);
void SaveLlama2cModel(const Model& model, const std::string& path);
void SaveSafetensorsModel(const Model& model, const std::string& path);
void SaveGgufModel(const Model& model, const std::string& path);

}  // namespace shrink::detail

#endif  // SHRINK_SRC_IO_MODEL_FORMATS_H_

// safetensors (huggingface format): 8-byte little-endian header size N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__":
// {...}}, then the raw little-endian data. Files we write open with
// safetensors.torch.load_file; files we read are validated field by field.
#pragma once
#include <map>
#include <string>

#include "ss/tensor.h"

namespace ss::io {

using TensorMap = std::map<std::string, Tensor>;
using Metadata = std::map<std::string, std::string>;

// Atomic (tmp + rename). Tensors may live on any device/dtype we support.
void save_safetensors(const std::string& path, const TensorMap& tensors, const Metadata& meta = {});
// Loads to CPU. Errors name the file and the offending field.
TensorMap load_safetensors(const std::string& path, Metadata* meta = nullptr);

}  // namespace ss::io

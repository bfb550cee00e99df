#include "ss/io/safetensors.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "ss/io/atomic_file.h"

namespace ss::io {
namespace {

const char* st_dtype(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F64: return "F64";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I64: return "I64";
    case DType::I32: return "I32";
    case DType::U8: return "U8";
  }
  return "?";
}

bool parse_dtype(const std::string& s, DType& out) {
  static const std::map<std::string, DType> m = {{"F32", DType::F32}, {"F64", DType::F64},
                                                 {"F16", DType::F16}, {"BF16", DType::BF16},
                                                 {"I64", DType::I64}, {"I32", DType::I32},
                                                 {"U8", DType::U8}};
  auto it = m.find(s);
  if (it == m.end()) return false;
  out = it->second;
  return true;
}

}  // namespace

void save_safetensors(const std::string& path, const TensorMap& tensors, const Metadata& meta) {
  nlohmann::ordered_json header;
  if (!meta.empty()) header["__metadata__"] = meta;
  std::vector<Tensor> host;
  size_t offset = 0;
  for (const auto& [name, t] : tensors) {
    SS_CHECK(name != "__metadata__", path, ": tensor name '__metadata__' is reserved");
    Tensor h = t.contiguous().to(Device::cpu());
    header[name] = {{"dtype", st_dtype(h.dtype())},
                    {"shape", h.shape()},
                    {"data_offsets", {offset, offset + h.nbytes()}}};
    offset += h.nbytes();
    host.push_back(h);
  }
  std::string hs = header.dump();
  while ((8 + hs.size()) % 8) hs.push_back(' ');  // align data to 8 bytes
  std::string bytes;
  bytes.reserve(8 + hs.size() + offset);
  uint64_t n = hs.size();
  for (int i = 0; i < 8; ++i) bytes.push_back(char((n >> (8 * i)) & 0xff));
  bytes += hs;
  for (const auto& h : host) bytes.append(static_cast<const char*>(h.raw()), h.nbytes());
  write_file_atomically(path, bytes);
}

TensorMap load_safetensors(const std::string& path, Metadata* meta) {
  const std::string bytes = read_file(path);
  SS_CHECK(bytes.size() >= 8, path, ": not a safetensors file (", bytes.size(),
           " bytes, shorter than the 8-byte header length)");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(uint8_t(bytes[i])) << (8 * i);
  SS_CHECK(n <= bytes.size() - 8, path, ": header length ", n, " exceeds file size ",
           bytes.size(), " (truncated or corrupt)");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + int64_t(n));
  } catch (const std::exception& e) {
    SS_FAIL(path, ": corrupt safetensors header JSON: ", e.what());
  }
  SS_CHECK(header.is_object(), path, ": safetensors header is not a JSON object");
  const size_t data_size = bytes.size() - 8 - n;
  const char* data = bytes.data() + 8 + n;
  TensorMap out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") {
      if (meta)
        for (auto m = it->begin(); m != it->end(); ++m)
          (*meta)[m.key()] = m->is_string() ? m->get<std::string>() : m->dump();
      continue;
    }
    const auto& e = *it;
    SS_CHECK(e.is_object() && e.contains("dtype") && e.contains("shape") &&
                 e.contains("data_offsets"),
             path, ": tensor '", name, "': entry needs dtype, shape and data_offsets");
    DType dt;
    SS_CHECK(e["dtype"].is_string() && parse_dtype(e["dtype"].get<std::string>(), dt), path,
             ": tensor '", name, "': unsupported dtype ", e["dtype"].dump());
    Shape shape;
    SS_CHECK(e["shape"].is_array(), path, ": tensor '", name, "': shape is not an array");
    for (const auto& d : e["shape"]) {
      SS_CHECK(d.is_number_integer() && d.get<int64_t>() >= 0, path, ": tensor '", name,
               "': bad shape ", e["shape"].dump());
      shape.push_back(d.get<int64_t>());
    }
    const auto& off = e["data_offsets"];
    SS_CHECK(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() &&
                 off[1].is_number_unsigned(),
             path, ": tensor '", name, "': bad data_offsets ", off.dump());
    const uint64_t b = off[0].get<uint64_t>(), en = off[1].get<uint64_t>();
    const uint64_t expect = uint64_t(shape_numel(shape)) * dtype_size(dt);
    SS_CHECK(b <= en && en - b == expect, path, ": tensor '", name, "': data_offsets [", b, ", ",
             en, ") hold ", en - b, " bytes but ", dtype_name(dt), shape_str(shape), " needs ",
             expect);
    SS_CHECK(en <= data_size, path, ": tensor '", name, "': data ends at byte ", en,
             " but the file has only ", data_size, " data bytes (truncated)");
    Tensor t = Tensor::empty(shape, dt);
    if (expect) std::memcpy(t.raw(), data + b, expect);
    out[name] = t;
  }
  return out;
}

}  // namespace ss::io

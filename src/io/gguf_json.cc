// Conversion of GGUF metadata to and from JSON text.
#include "src/io/gguf_json.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

namespace shrink::detail {
namespace {

using Json = nlohmann::json;

std::optional<GgufType> TypeFromName(const std::string& name) {
  for (uint32_t t = 0; t <= static_cast<uint32_t>(GgufType::kF64); ++t) {
    if (name == GgufTypeName(static_cast<GgufType>(t))) return static_cast<GgufType>(t);
  }
  return std::nullopt;
}

Json ScalarToJson(const GgufValue& v) {
  switch (v.type()) {
    case GgufType::kString: return v.AsString();
    case GgufType::kBool: return v.AsBool();
    case GgufType::kF32:
    case GgufType::kF64: {
      const double d = v.AsDouble();
      if (std::isnan(d)) return "nan";
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
      return d;
    }
    case GgufType::kU64: return v.AsUInt();
    default: return v.AsInt();
  }
}

GgufValue ScalarFromJson(GgufType type, const Json& j) {
  auto as_double = [&j]() -> double {
    if (j.is_string()) {
      const std::string s = j.get<std::string>();
      if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
      if (s == "inf") return std::numeric_limits<double>::infinity();
      if (s == "-inf") return -std::numeric_limits<double>::infinity();
    }
    return j.get<double>();
  };
  switch (type) {
    case GgufType::kU8: return GgufValue::U8(j.get<uint8_t>());
    case GgufType::kI8: return GgufValue::I8(j.get<int8_t>());
    case GgufType::kU16: return GgufValue::U16(j.get<uint16_t>());
    case GgufType::kI16: return GgufValue::I16(j.get<int16_t>());
    case GgufType::kU32: return GgufValue::U32(j.get<uint32_t>());
    case GgufType::kI32: return GgufValue::I32(j.get<int32_t>());
    case GgufType::kU64: return GgufValue::U64(j.get<uint64_t>());
    case GgufType::kI64: return GgufValue::I64(j.get<int64_t>());
    case GgufType::kF32: return GgufValue::F32(static_cast<float>(as_double()));
    case GgufType::kF64: return GgufValue::F64(as_double());
    case GgufType::kBool: return GgufValue::Bool(j.get<bool>());
    case GgufType::kString: return GgufValue::String(j.get<std::string>());
    case GgufType::kArray: break;
  }
  throw std::invalid_argument("nested array");
}

}  // namespace

std::string GgufMetadataToJson(const GgufMetadata& metadata) {
  Json out = Json::array();
  for (const auto& [key, value] : metadata) {
    Json item = {{"k", key}, {"t", GgufTypeName(value.type())}};
    if (value.type() == GgufType::kArray) {
      item["e"] = GgufTypeName(value.array_type());
      Json items = Json::array();
      for (const GgufValue& v : value.items()) items.push_back(ScalarToJson(v));
      item["v"] = std::move(items);
    } else {
      item["v"] = ScalarToJson(value);
    }
    out.push_back(std::move(item));
  }
  return out.dump();
}

GgufMetadata GgufMetadataFromJson(const std::string& text, const std::string& source) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) Fail(ErrorCode::kCorruptData, source, ": GGUF metadata is not a JSON array");
  GgufMetadata metadata;
  for (const Json& item : j) {
    std::string key = "?";
    try {
      key = item.at("k").get<std::string>();
      const auto type = TypeFromName(item.at("t").get<std::string>());
      if (!type) throw std::invalid_argument("unknown type");
      if (*type == GgufType::kArray) {
        const auto element = TypeFromName(item.at("e").get<std::string>());
        if (!element) throw std::invalid_argument("unknown element type");
        std::vector<GgufValue> items;
        for (const Json& v : item.at("v")) items.push_back(ScalarFromJson(*element, v));
        metadata.emplace_back(key, GgufValue::Array(*element, std::move(items)));
      } else {
        metadata.emplace_back(key, ScalarFromJson(*type, item.at("v")));
      }
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      Fail(ErrorCode::kCorruptData, source, ": GGUF metadata entry '", key, "' is malformed (", e.what(), ")");
    }
  }
  return metadata;
}

}  // namespace shrink::detail

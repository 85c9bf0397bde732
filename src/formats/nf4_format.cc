// nf4's code table and block layout (QLoRA NormalFloat4, bitsandbytes' packing).
#include "src/formats/nf4_format.h"

#include <utility>

#include "src/formats/fp4_formats.h"

namespace shrink {

const std::array<float, 16>& Nf4CodeValues() {
  static const std::array<float, 16> values = {
      -1.0f,         -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
      -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
      0.07958029955625534f,  0.16093020141124725f,  0.24611230194568634f,  0.33791524171829224f,
      0.44070982933044434f,  0.5626170039176941f,   0.7229568362236023f,   1.0f};
  return values;
}

std::unique_ptr<QuantFormat> MakeNf4Format() {
  Block4Layout layout;
  layout.name = "nf4";
  layout.block = 64;
  layout.high_nibble_first = true;
  layout.scale_code = BlockScaleCode::kF32;
  layout.scale_section = "absmax";
  layout.code_value = Nf4CodeValues();
  layout.alternatives =
      "use a format with 32-weight blocks such as mxfp4 or q4_0, or 16-weight blocks such as nvfp4";
  return std::make_unique<Block4Format>(std::move(layout));
}

}  // namespace shrink

#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, then inspect and quantize the real model,
# printing what the file gained (bytes) and lost (reconstruction error).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=${MODEL:-$(realpath -m "$root/../shared/models/stories260K/stories260K.bin")}
tokens=${TOKENS:-$(realpath -m "$root/../shared/data/tinystories/tinystories_val.tok512.u16")}
out_dir=${OUT_DIR:-$root/out}
if [[ ! -f $model ]]; then
  echo "demo: model not found at $model (set MODEL=path/to/model.bin|.gguf|.safetensors)" >&2
  exit 1
fi
"$root/scripts/setup.sh"
BUILD_DIR=$root/build-demo "$root/scripts/build.sh" -DSHRINK_BUILD_TESTS=OFF -DSHRINK_BUILD_BENCHMARKS=OFF \
  -DSHRINK_BUILD_EXAMPLES=OFF
shrink=$root/build-demo/bin/shrink
mkdir -p "$out_dir"

echo "== shrink info"
"$shrink" info
echo
echo "== shrink inspect $(basename "$model") (first tensors)"
"$shrink" inspect "$model" >"$out_dir/inspect.txt"
head -n 12 "$out_dir/inspect.txt"
echo "   ... (full listing in $out_dir/inspect.txt)"
eval_args=(--tokens "$tokens" --ctx 256 --chunks 200)
echo
echo "== shrink eval (f32): perplexity, llama.cpp's protocol, first 200 chunks of 256 tokens"
"$shrink" eval --model "$model" "${eval_args[@]}"
for spec in "8 0" "4 32" "3 32"; do
  read -r bits group <<<"$spec"
  out=$out_dir/model-rtn${bits}-g${group}.safetensors
  echo
  echo "== shrink quantize --method rtn --bits $bits --group $group --embeddings"
  "$shrink" quantize --model "$model" --out "$out" --method rtn --bits "$bits" --group "$group" --embeddings \
    >"$out_dir/quantize-rtn${bits}-g${group}.txt"
  tail -n 5 "$out_dir/quantize-rtn${bits}-g${group}.txt"
  echo "-- shrink eval of the quantized model against the f32 model"
  "$shrink" eval --model "$out" --ref "$model" "${eval_args[@]}"
done
echo
echo "== shrink convert back to f32 safetensors"
"$shrink" convert "$out_dir/model-rtn8-g0.safetensors" "$out_dir/model-rtn8-g0-decompressed.safetensors"

// SpqrQuantizer: SpQR (Dettmers et al., 2023), small-group quantization with quantized
// statistics and exact sparse outliers, chosen by GPTQ-style inverse-Hessian error feedback.
//
// Method. Columns (input channels) are quantized one at a time as in GPTQ, each column's error
// fed back onto the later columns through the Cholesky factor U of H⁻¹ (H = XᵀX / tokens,
// damped). When the loop reaches the first column of a group of `group` columns, every row fits
// an asymmetric `bits`-bit min-max grid to its group's current weights, after leaving out the
// weights that would be outliers (the reference implementation's leave-one-out test: a weight
// is a likely outlier when dropping it from the fit lowers the group's error Σ err²/U_jj² by
// more than the threshold; as many as the row has free outlier slots, largest drop first, are
// replaced by the mean of the others before the fit). The grid's range includes 0 (as the
// reference's), so its zero point lies in [0, 2^bits − 1]. Its scale and zero are then
// quantized themselves to `stat_bits` bits, min-max over the 16 rows of a statistic group
// (along the output dimension, as the paper), whose step and min are stored in f16. A weight whose error after rounding, weighted as the paper
// does (err² / U_jj², with U_jj² = [H⁻¹]_jj in processing order), exceeds
// τ = outlier_threshold · mean_j(Var_rows(W[:, j]) / U_jj²) (relative, as the reference) is kept
// exactly, as an f16 value in a sparse side structure, and feeds back only its f16 rounding
// error (the value kept is the weight as error feedback has updated it, as in the reference).
// With act_order, columns are processed (and grouped) by descending diag(H), and the
// order is stored.
//
// Outlier capacity. The conformance contract is EstimateBytes(shape) == bytes written, known
// before the data is seen, so each row has a fixed number of outlier slots,
// ceil(max_outliers · cols) (0 when max_outliers is 0): a row keeps its first outliers in
// processing order up to that capacity and rounds the rest. The unused slots are stored (zero),
// so the reported bits per weight is the true cost of the file including the reserve; the
// metadata "outliers" gives the slots used. A per-row capacity (rather than one per tensor)
// keeps rows independent, which is what lets rows be quantized in parallel deterministically.
//
// Format "spqr": a rows x cols tensor, G = ceil(cols / group) groups per row (the last may be
// short), S = ceil(rows / 16) statistic groups, in processing order when permuted. Sections:
//   codes           u8  [rows, ceil(cols·bits/8)]     first-level codes, packed LSB-first
//   scale_codes     u8  [G, ceil(rows·stat_bits/8)]   codes of each row's group scale, packed
//   zero_codes      u8  [G, ceil(rows·stat_bits/8)]   codes of each row's group zero, packed
//   stats           f16 [G, S, 4]                     (scale step, scale min, zero step, zero min)
//   outlier_counts  u16|i32 [rows]                    slots used per row (if capacity > 0)
//   outlier_cols    u16|i32 [rows, capacity]          their input columns
//   outlier_values  f16 [rows, capacity]              their exact values
//   perm            u16|i32 [cols]                    processing order (act_order only)
// (u16 indices when cols <= 65535, else i32.) Decoding: a statistic code c decodes to
// min + step·c (a min rather than a zero point, so no f16 overflow on a narrow range); a
// weight code q (0 under an outlier) decodes to scale·(q − zero) with its row's decoded scale and
// zero; outliers then overwrite their weights. Metadata: bits, stat_bits, group,
// outlier_capacity, permuted (0|1), outliers (slots used).
#ifndef SHRINK_QUANT_SPQR_H_
#define SHRINK_QUANT_SPQR_H_

#include <string>
#include <vector>

#include "shrink/compressor.h"

namespace shrink {

struct SpqrLayout;

// Options: bits (2..8, default 3), group (2..1024, default 16; the outlier test costs O(group)
// per weight), stat_bits (2..8, default 3),
// outlier_threshold (relative τ, default 0.2), max_outliers (fraction of a row's weights kept
// exactly, 0..0.5, default 0.01; 0 disables outliers), damp (default 0.01), block (lazy batch,
// default 128, raised to a multiple of group), act_order (default false). Needs calibration.
class SpqrQuantizer : public WeightCompressor {
 public:
  static std::vector<OptionSpec> Specs();
  explicit SpqrQuantizer(const Options& options = {});

  std::string Name() const override { return "spqr"; }
  Family family() const override { return Family::kQuantizer; }
  const Options& options() const override { return options_; }
  bool NeedsCalibration() const override { return true; }
  CompressedTensor Compress(TensorView<const float> weight, const CalibrationStats* stats) const override;
  void Decompress(const CompressedTensor& compressed, TensorView<float> out) const override;
  size_t EstimateBytes(const Shape& shape) const override;

 private:
  // Returns the layout of a weight of `shape` (throws kInvalidArgument unless 2-D, non-empty).
  SpqrLayout Layout(const Shape& shape) const;

  Options options_;
  int bits_, stat_bits_;
  int64_t group_, block_;
  double outlier_threshold_, max_outliers_, damp_;
  bool act_order_;
};

}  // namespace shrink

#endif  // SHRINK_QUANT_SPQR_H_

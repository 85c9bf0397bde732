// SpqrRounder: the ColumnRounder of SpQR: fits each group's grids (outlier-aware, statistics
// quantized) when the error-feedback loop reaches it, rounds columns, keeps outliers exactly,
// and writes the "spqr" sections at the end.
#ifndef SHRINK_SRC_QUANT_SPQR_ROUNDER_H_
#define SHRINK_SRC_QUANT_SPQR_ROUNDER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "shrink/compressed_tensor.h"
#include "src/quant/error_feedback.h"
#include "src/quant/hessian.h"
#include "src/quant/spqr_grid.h"
#include "src/quant/spqr_layout.h"

namespace shrink {

class SpqrRounder final : public ColumnRounder {
 public:
  // Rounds the columns of a layout.rows x layout.cols weight processed in factor.order; weights
  // whose weighted error err² / U_kk² exceeds `tau` become outliers while their row has slots.
  SpqrRounder(const InverseHessianFactor& factor, const SpqrLayout& layout, float tau);

  void Round(int64_t k, const float* wt, int64_t rows, const float* w, float* q, int64_t r0, int64_t r1) override;

  // Writes every section and the metadata into `out` (after the last column).
  void Finish(CompressedTensor& out) const;

 private:
  // Fits the grids of the group starting at processing column k for rows [r0, r1).
  void FitGroup(int64_t k, const float* wt, int64_t r0, int64_t r1);
  // Quantizes the n values `v` (one statistic of consecutive rows) to stat_bits, writing their
  // codes, the (step, min) pair in f16 and the decoded values.
  void QuantizeStats(const float* v, int64_t n, uint8_t* codes, uint16_t* step_min, float* decoded) const;

  const InverseHessianFactor& factor_;
  const SpqrLayout layout_;
  const float tau_;
  std::vector<float> d_;                  // U_kk per processing column
  std::vector<uint8_t> codes_;            // [rows, cols] processing order
  std::vector<uint8_t> scale_codes_;      // [groups, rows]
  std::vector<uint8_t> zero_codes_;       // [groups, rows]
  std::vector<uint16_t> stats_;           // f16 [groups, stat_groups, 4]
  std::vector<SpqrGrid> grid_;            // per row: the decoded grid of its current group
  std::vector<std::vector<std::pair<int64_t, uint16_t>>> outliers_;  // per row: (processing column, f16)
};

}  // namespace shrink

#endif  // SHRINK_SRC_QUANT_SPQR_ROUNDER_H_

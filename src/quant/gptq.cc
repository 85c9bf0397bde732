// GptqQuantizer: fits format blocks as GPTQ reaches them and rounds columns to their levels.
#include "shrink/quant/gptq.h"

#include <algorithm>
#include <vector>

#include "shrink/formats/quant_tensor.h"
#include "src/core/parallel.h"
#include "src/quant/error_feedback.h"
#include "src/quant/hessian.h"

namespace shrink {
namespace {

// Rounds GPTQ's columns to the levels of a format, fitting each row's format blocks on the
// weights GPTQ has updated so far (or up front, for act-order's static groups).
class FormatRounder final : public ColumnRounder {
 public:
  FormatRounder(const QuantFormat& format, const InverseHessianFactor& factor, const std::vector<float>& importance,
                const TensorContext& ctx, const QuantRows& out)
      : format_(format),
        factor_(factor),
        importance_(importance),
        ctx_(ctx),
        out_(out),
        cols_(out.cols()),
        block_(format.BlockSize(cols_)),
        sub_(format.SubBlockSize(cols_)),
        subs_per_row_((cols_ + sub_ - 1) / sub_),
        grids_(static_cast<size_t>(out.rows() * subs_per_row_)),
        levels_(static_cast<size_t>(out.rows() * cols_)) {}

  // Fits every block of every row on `weight` (the original weights): act-order's static groups.
  void FitAllBlocks(TensorView<const float> weight) {
    ParallelFor(out_.rows(), [&](int64_t r) {
      std::vector<float> row(static_cast<size_t>(cols_));
      for (int64_t j = 0; j < cols_; ++j) row[static_cast<size_t>(j)] = weight(r, j);
      for (int64_t c = 0; c < cols_; c += block_) FitRowBlock(r, c, row.data() + c);
    });
  }

  void Round(int64_t k, const float* wt, int64_t rows, const float* w, float* q, int64_t r0, int64_t r1) override {
    const int64_t c = factor_.order[static_cast<size_t>(k)];
    if (!static_groups_ && c % block_ == 0) {
      const int64_t n = std::min(block_, cols_ - c);
      std::vector<float> x(static_cast<size_t>(n));
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t j = 0; j < n; ++j) x[static_cast<size_t>(j)] = wt[(c + j) * rows + r];
        FitRowBlock(r, c, x.data());
      }
    }
    const LevelTable& levels = format_.Levels();
    for (int64_t r = r0; r < r1; ++r) {
      const SubBlockGrid& g = grids_[static_cast<size_t>(r * subs_per_row_ + c / sub_)];
      const int level = g.NearestLevel(w[r], levels);
      levels_[static_cast<size_t>(r * cols_ + c)] = static_cast<uint8_t>(level);
      q[r - r0] = g.Decode(level, levels);
    }
  }

  void set_static_groups(bool value) { static_groups_ = value; }

  // Stores every row's levels (after the last column).
  void PutAllLevels() {
    ParallelFor(out_.rows(), [&](int64_t r) {
      format_.PutLevels(levels_.data() + r * cols_, cols_, out_.Row(r));
    });
  }

 private:
  void FitRowBlock(int64_t r, int64_t c, const float* x) {
    const int64_t n = std::min(block_, cols_ - c);
    format_.FitBlock(x, importance_.data() + c, n, c, ctx_, out_.Row(r),
                     grids_.data() + r * subs_per_row_ + c / sub_);
  }

  const QuantFormat& format_;
  const InverseHessianFactor& factor_;
  const std::vector<float>& importance_;
  const TensorContext ctx_;
  const QuantRows out_;
  const int64_t cols_, block_, sub_, subs_per_row_;
  std::vector<SubBlockGrid> grids_;
  std::vector<uint8_t> levels_;
  bool static_groups_ = false;
};

}  // namespace

std::vector<OptionSpec> GptqQuantizer::MethodSpecs() {
  return {
      {"damp", OptionType::kDouble, "0.01", "damping added to diag(H), relative to its mean", 0.0, 10.0, {}},
      {"block", OptionType::kInt, "128", "columns per lazy batch update", 1, 1 << 20, {}},
      {"act_order", OptionType::kBool, "false", "quantize columns by descending diag(H) (static groups)", -INFINITY,
       INFINITY, {}},
  };
}

GptqQuantizer::GptqQuantizer(const Options& options) : FormatQuantizer("gptq", options, MethodSpecs()) {
  damp_ = reader().Double("damp");
  block_ = reader().Int("block");
  act_order_ = reader().Bool("act_order");
}

CompressedTensor GptqQuantizer::Compress(TensorView<const float> weight, const CalibrationStats* stats) const {
  if (stats == nullptr) {
    Fail(ErrorCode::kInvalidArgument,
         "gptq needs calibration statistics (XᵀX of the layer's inputs); give --calib or --calib-tokens");
  }
  const std::vector<float> importance = ChannelImportance(stats, weight.cols(), Name());
  const TensorContext ctx = MakeTensorContext(format(), weight, Name());
  CompressedTensor out = NewQuantTensor(format(), weight.shape(), Name());
  const QuantRows rows = BindQuantRows(format(), out, ctx.tensor_scale);
  const InverseHessianFactor factor = FactorInverseHessian(*stats, damp_, act_order_, Name());

  const int64_t n = weight.cols(), m = weight.rows();
  Tensor wt = ProcessingOrderCopy(factor, weight);  // processing order, one column per row
  float* w = wt.data<float>();

  FormatRounder rounder(format(), factor, importance, ctx, rows);
  if (act_order_) {
    rounder.FitAllBlocks(weight);
    rounder.set_static_groups(true);
  }
  const int64_t format_block = format().BlockSize(n);
  const int64_t lazy = format_block < n ? format_block * std::max<int64_t>(1, block_ / format_block) : block_;
  RunErrorFeedback(factor, w, m, lazy, rounder);
  rounder.PutAllLevels();
  return out;
}

}  // namespace shrink

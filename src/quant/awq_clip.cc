// AWQ's clipping search over format blocks, with block errors from one Gemm per block column.
#include "src/quant/awq_clip.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "shrink/formats/quant_tensor.h"
#include "src/core/parallel.h"
#include "src/linalg/dense.h"

namespace shrink {
namespace {

constexpr int64_t kMaxDenseBlock = 512;         // wider blocks use diag(H) only
constexpr int64_t kCandidateFloats = 1 << 23;  // bound on the candidate errors held at once

// Fits and rounds clamped copies of one row's block and writes each candidate's error.
class BlockCandidates {
 public:
  BlockCandidates(const QuantFormat& format, int64_t cols, const TensorContext& ctx, const float* importance)
      : format_(format), sub_(format.SubBlockSize(cols)), ctx_(ctx), importance_(importance) {
    for (const FormatSection& s : format.Sections(cols)) buffers_.emplace_back(s.row_bytes());
    for (size_t s = 0; s < buffers_.size(); ++s) row_.section[s] = buffers_[s].data();
    grids_.resize(static_cast<size_t>(std::min(format.BlockSize(cols), cols) / sub_ + 1));
  }

  // Writes into delta (candidates x n) Q(clamp(x, ±(1 − i / n_grid)·max|x|)) − x for the block
  // of n weights `x` starting at column `begin`.
  void Errors(const float* x, int64_t n, int64_t begin, int candidates, int n_grid, float* delta) {
    float amax = 0.0f;
    for (int64_t j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
    clamped_.resize(static_cast<size_t>(n));
    const LevelTable& levels = format_.Levels();
    for (int i = 0; i < candidates; ++i) {
      const float limit = amax * (1.0f - static_cast<float>(i) / static_cast<float>(n_grid));
      for (int64_t j = 0; j < n; ++j) clamped_[static_cast<size_t>(j)] = std::clamp(x[j], -limit, limit);
      format_.FitBlock(clamped_.data(), importance_ + begin, n, begin, ctx_, row_, grids_.data());
      for (int64_t j = 0; j < n; ++j) {
        const SubBlockGrid& g = grids_[static_cast<size_t>(j / sub_)];
        delta[i * n + j] = g.Decode(g.NearestLevel(clamped_[static_cast<size_t>(j)], levels), levels) - x[j];
      }
    }
  }

 private:
  const QuantFormat& format_;
  const int64_t sub_;
  const TensorContext ctx_;
  const float* importance_;
  std::vector<std::vector<uint8_t>> buffers_;
  RowRef row_;
  std::vector<SubBlockGrid> grids_;
  std::vector<float> clamped_;
};

}  // namespace

Tensor ClipBlocks(const QuantFormat& format, TensorView<const float> weight, const std::vector<float>& h,
                  const std::vector<float>& importance, int n_grid, double max_shrink) {
  const int64_t m = weight.rows(), n = weight.cols();
  Tensor out(DType::kF32, weight.shape());
  float* w = out.data<float>();
  ParallelFor(m, [&](int64_t r) {
    for (int64_t j = 0; j < n; ++j) w[r * n + j] = weight(r, j);
  });
  const int candidates = static_cast<int>(max_shrink * n_grid);
  if (candidates <= 1) return out;
  const TensorContext ctx = MakeTensorContext(format, weight, "awq");
  const int64_t block = std::min(format.BlockSize(n), n);
  const int64_t chunk = std::clamp<int64_t>(kCandidateFloats / (candidates * n), 1, m);
  // delta and product hold, per block at column c, rows x candidates x nb floats from offset
  // c·rows·candidates: the candidates' errors and those times H_bb.
  std::vector<float> delta(static_cast<size_t>(chunk * candidates * n));
  std::vector<float> product(delta.size());
  for (int64_t r0 = 0; r0 < m; r0 += chunk) {
    const int64_t rows = std::min(chunk, m - r0);
    ParallelFor(rows, [&](int64_t k) {
      BlockCandidates fitter(format, n, ctx, importance.data());
      for (int64_t c = 0; c < n; c += block) {
        const int64_t nb = std::min(block, n - c);
        fitter.Errors(w + (r0 + k) * n + c, nb, c, candidates, n_grid, delta.data() + (c * rows + k * nb) * candidates);
      }
    });
    for (int64_t c = 0; c < n; c += block) {
      const int64_t nb = std::min(block, n - c);
      if (nb > kMaxDenseBlock) continue;
      const size_t offset = static_cast<size_t>(c * rows * candidates);
      linalg::Gemm(false, false, rows * candidates, nb, nb, 1.0f, delta.data() + offset, nb, h.data() + c * n + c, n,
                   0.0f, product.data() + offset, nb);
    }
    ParallelFor(rows, [&](int64_t k) {
      for (int64_t c = 0; c < n; c += block) {
        const int64_t nb = std::min(block, n - c);
        const float* d = delta.data() + (c * rows + k * nb) * candidates;
        const float* p = product.data() + (c * rows + k * nb) * candidates;
        int best = 0;
        double best_error = 0.0;
        for (int i = 0; i < candidates; ++i) {
          double error = 0.0;
          for (int64_t j = 0; j < nb; ++j) {
            const float hp = nb > kMaxDenseBlock ? d[i * nb + j] * h[(c + j) * n + c + j] : p[i * nb + j];
            error += double{d[i * nb + j]} * hp;
          }
          if (i == 0 || error < best_error) {
            best = i;
            best_error = error;
          }
        }
        if (best == 0) continue;
        float* x = w + (r0 + k) * n + c;
        float amax = 0.0f;
        for (int64_t j = 0; j < nb; ++j) amax = std::max(amax, std::fabs(x[j]));
        const float limit = amax * (1.0f - static_cast<float>(best) / static_cast<float>(n_grid));
        for (int64_t j = 0; j < nb; ++j) x[j] = std::clamp(x[j], -limit, limit);
      }
    });
  }
  return out;
}

}  // namespace shrink

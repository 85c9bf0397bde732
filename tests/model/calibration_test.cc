// Tests of calibration (streaming statistics, file format, true-sequential mode) and KV capture.
#include "shrink/model/calibration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "shrink/model/eval.h"
#include "shrink/model/kv_capture.h"
#include "shrink/quant/rtn.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

const std::string kBin = testing::SharedPath("models/stories260K/stories260K.bin");
const std::string kTokens = testing::SharedPath("data/tinystories/tinystories_val.tok512.u16");

// Records every input of one site, to recompute its statistics directly.
class RecordingObserver : public ForwardObserver {
 public:
  RecordingObserver(int64_t layer, LinearInput where) : layer_(layer), where_(where) {}
  void OnLinearInput(int64_t layer, LinearInput where, const RowMatrixF& x) override {
    if (layer == layer_ && where == where_) rows.push_back(x);
  }
  std::vector<RowMatrixF> rows;

 private:
  int64_t layer_;
  LinearInput where_;
};

long PeakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST(CalibrationTest, StatisticsEqualADirectRecomputation) {
  SHRINK_REQUIRE_FILE(kBin);
  SHRINK_REQUIRE_FILE(kTokens);
  const auto tokens = ReadTokensU16(kTokens);
  const LlamaModel model(Model::Load(kBin));
  CalibrationOptions options;
  options.context = 64;
  const CalibrationSet set = Calibrate(model, tokens, 60000, 300, options);  // 4 full sequences + 44
  EXPECT_EQ(set.sites().size(), 5u * 4);
  for (LinearInput where : {LinearInput::kAttnIn, LinearInput::kAttnOut, LinearInput::kFfnIn, LinearInput::kFfnDown}) {
    RecordingObserver recorder(2, where);
    for (int64_t begin = 60000; begin < 60300; begin += 64) {
      std::vector<int32_t> input(tokens.begin() + begin, tokens.begin() + std::min<int64_t>(begin + 64, 60300));
      input[0] = 1;
      LlamaState state = model.NewState();
      RowMatrixF logits;
      model.Forward(state, input, 0, logits, &recorder);
    }
    Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(recorder.rows[0].cols(), recorder.rows[0].cols());
    Eigen::VectorXd sum_abs = Eigen::VectorXd::Zero(gram.rows());
    Eigen::VectorXf max_abs = Eigen::VectorXf::Zero(gram.rows());
    int64_t count = 0;
    for (const RowMatrixF& x : recorder.rows) {
      const Eigen::MatrixXd xd = x.cast<double>();
      gram += xd.transpose() * xd;
      sum_abs += xd.cwiseAbs().colwise().sum().transpose();
      max_abs = max_abs.cwiseMax(x.cwiseAbs().colwise().maxCoeff().transpose());
      count += x.rows();
    }
    const CalibrationStats& s = set.sites().at(CalibrationSiteName(2, where));
    EXPECT_EQ(s.token_count(), 300);
    EXPECT_EQ(count, 300);
    // XᵀX of each forward chunk is an f32 product (the dense kernels), accumulated in f64.
    EXPECT_LT((s.gram() - gram).cwiseAbs().maxCoeff(), 1e-6 * gram.cwiseAbs().maxCoeff());
    EXPECT_LT((s.MeanAbs() - sum_abs / 300.0).cwiseAbs().maxCoeff(), 1e-9);
    EXPECT_EQ(s.MaxAbs(), max_abs);
  }
  EXPECT_EQ(set.ForWeight("blk.3.attn_k.weight"), &set.sites().at("blk.3.attn_in"));
  EXPECT_EQ(set.ForWeight("blk.3.ffn_down.weight"), &set.sites().at("blk.3.ffn_down_in"));
  EXPECT_EQ(set.ForWeight("token_embd.weight"), nullptr);
}

TEST(CalibrationTest, FiftyThousandTokensRunInBoundedMemoryAndSurviveAFile) {
  SHRINK_REQUIRE_FILE(kBin);
  SHRINK_REQUIRE_FILE(kTokens);
  const auto tokens = ReadTokensU16(kTokens);
  const LlamaModel model(Model::Load(kBin));
  const long before = PeakRssKiB();
  const CalibrationSet set = Calibrate(model, tokens, kDefaultCalibrationFirstToken, 50000);
  // Keeping the activations would take 50,000 tokens x 364 floats x 5 layers = 364 MB.
#if !defined(__SANITIZE_ADDRESS__)  // ASan's quarantine holds freed blocks, so RSS says nothing there
  EXPECT_LT(PeakRssKiB() - before, 64 * 1024) << "peak memory grew with the token count";
#else
  (void)before;
#endif
  EXPECT_EQ(set.sites().at("blk.4.ffn_down_in").token_count(), 50000);
  testing::ScratchDir dir;
  set.Save(dir.File("stats.safetensors"));
  const CalibrationSet back = CalibrationSet::Load(dir.File("stats.safetensors"));
  ASSERT_EQ(back.sites().size(), set.sites().size());
  for (const auto& [name, s] : set.sites()) {
    const CalibrationStats& b = back.sites().at(name);
    EXPECT_EQ(b.gram(), s.gram()) << name;
    EXPECT_EQ(b.sum_sq(), s.sum_sq()) << name;
    EXPECT_EQ(b.MaxAbs(), s.MaxAbs()) << name;
    EXPECT_EQ(b.token_count(), s.token_count()) << name;
  }
  EXPECT_THROW(CalibrationSet::Load(kBin), Error);
}

TEST(CalibrationTest, SequentialStatisticsSeeEarlierBlocksCompressed) {
  SHRINK_REQUIRE_FILE(kBin);
  SHRINK_REQUIRE_FILE(kTokens);
  const auto tokens = ReadTokensU16(kTokens);
  Model model = Model::Load(kBin);
  const CalibrationSet plain = Calibrate(LlamaModel(model), tokens, kDefaultCalibrationFirstToken, 1024);
  const RtnQuantizer rtn(Options{{"bits", "2"}, {"group", "32"}});
  std::vector<CalibrationSet> seen;
  CalibrateSequentially(model, tokens, kDefaultCalibrationFirstToken, 1024, {},
                        [&](int64_t layer, const CalibrationSet& stats, Model& m) {
                          seen.push_back(stats);
                          for (LlamaTensor kind : kLlamaLinearTensors) {
                            const std::string name = LlamaTensorName(layer, kind);
                            ASSERT_NE(stats.ForWeight(name), nullptr) << name;
                            m.SetCompressed(name, rtn.Compress(m.ReadF32(name).View<float>(), nullptr));
                          }
                        });
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0].sites().size(), 4u);  // only the block being compressed
  // Block 0 sees the original model; block 1 sees a compressed block 0.
  EXPECT_LT((seen[0].sites().at("blk.0.attn_in").gram() - plain.sites().at("blk.0.attn_in").gram()).norm(),
            1e-9 * plain.sites().at("blk.0.attn_in").gram().norm());
  EXPECT_GT((seen[1].sites().at("blk.1.attn_in").gram() - plain.sites().at("blk.1.attn_in").gram()).norm(),
            1e-3 * plain.sites().at("blk.1.attn_in").gram().norm());
  EXPECT_TRUE(model.Info("blk.4.ffn_up.weight").compressed);
}

TEST(KvCaptureTest, CapturesHeadMajorPostRopeCachesConsistently) {
  SHRINK_REQUIRE_FILE(kBin);
  SHRINK_REQUIRE_FILE(kTokens);
  const auto tokens = ReadTokensU16(kTokens);
  const LlamaModel model(Model::Load(kBin));
  const auto full = CaptureKv(model, tokens, 1000, 96);
  const auto prefix = CaptureKv(model, tokens, 1000, 40);
  ASSERT_EQ(full.size(), 5u);
  EXPECT_EQ(full[3].q.shape(), (Shape{8, 96, 8}));
  EXPECT_EQ(full[3].k.shape(), (Shape{4, 96, 8}));
  EXPECT_EQ(full[3].v.shape(), (Shape{4, 96, 8}));
  // Causal: the first 40 positions do not depend on what follows them.
  for (int64_t h = 0; h < 4; ++h) {
    for (int64_t t = 0; t < 40; ++t) {
      for (int64_t j = 0; j < 8; ++j) {
        ASSERT_NEAR(full[4].k.data<float>()[(h * 96 + t) * 8 + j], prefix[4].k.data<float>()[(h * 40 + t) * 8 + j], 1e-5);
      }
    }
  }
  testing::ScratchDir dir;
  SaveCapturedKv(full, dir.File("kv.safetensors"));
  const Model saved = Model::Load(dir.File("kv.safetensors"));
  EXPECT_EQ(saved.Info("blk.0.v").shape, (Shape{4, 96, 8}));
  EXPECT_THROW(CaptureKv(model, tokens, 393000, 100), Error);
}

}  // namespace
}  // namespace shrink

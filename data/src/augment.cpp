#include "ss/data/augment.h"

#include <cmath>
#include <cstring>

#include "ss/data/gpu.h"
#include "ss/kernels/error.h"
#include "ss/render/lab.h"

namespace ss::data {

static_assert(kLabMeanN[0] == ss::render::kLabMean[0] && kLabMeanN[1] == ss::render::kLabMean[1] &&
                  kLabMeanN[2] == ss::render::kLabMean[2],
              "LAB mean differs from the renderer's");
static_assert(kLabStdN[0] == ss::render::kLabStd[0] && kLabStdN[1] == ss::render::kLabStd[1] &&
                  kLabStdN[2] == ss::render::kLabStd[2],
              "LAB std differs from the renderer's");

namespace {

// Counter layout for augmentation draws: (position lo, position hi, epoch, tag|view|call),
// key = seed. The loader's shuffle uses another tag, so the streams never overlap.
constexpr uint32_t kTagAugment = 0x41550000u;

void sample_draws(uint64_t seed, uint64_t epoch, uint64_t pos, uint32_t view, uint32_t r[12]) {
  for (uint32_t call = 0; call < 3; ++call) {
    philox::U4 ctr{{uint32_t(pos), uint32_t(pos >> 32), uint32_t(epoch),
                    kTagAugment | ((view & 0xFFu) << 8) | call}};
    philox::U4 o = philox::philox4x32_10(ctr, uint32_t(seed), uint32_t(seed >> 32));
    for (int k = 0; k < 4; ++k) r[call * 4 + k] = o.x[k];
  }
}

// Uniform in (0, 1] (never 0, so log() is finite) and in [0, 1).
double unit_open0(uint32_t r) { return (double(r >> 8) + 1.0) / 16777216.0; }
double unit(uint32_t r) { return double(r >> 8) / 16777216.0; }
int64_t below(uint32_t r, int64_t n) { return int64_t((uint64_t(r) * uint64_t(n)) >> 32); }

}  // namespace

AugmentConfig AugmentConfig::none() {
  AugmentConfig c;
  c.color_jitter = c.grayscale = c.flip = c.crop = c.cutout = false;
  return c;
}

AugParams identity_params() { return AugParams{}; }

AugParams draw_aug_params(const AugmentConfig& cfg, int res, uint64_t seed, uint64_t epoch,
                          uint64_t position, uint32_t view) {
  uint32_t r[12];
  sample_draws(seed, epoch, position, view, r);
  AugParams p;
  // Fixed lanes per decision, so switching one augmentation off never changes the others.
  if (cfg.color_jitter && unit(r[0]) < double(cfg.jitter_prob)) {
    p.jitter = 1;
    double z[6];
    for (int k = 0; k < 3; ++k) {  // Box-Muller on lanes (1,2), (3,4), (5,6)
      const double rad = std::sqrt(-2.0 * std::log(unit_open0(r[1 + 2 * k])));
      const double th = 2.0 * 3.14159265358979323846 * unit(r[2 + 2 * k]);
      z[2 * k] = rad * std::cos(th);
      z[2 * k + 1] = rad * std::sin(th);
    }
    for (int c = 0; c < 3; ++c) {
      p.scale[c] = float(std::exp2(double(cfg.jitter_scale_std) * z[2 * c]));
      p.shift[c] = float(double(cfg.jitter_shift_std) * z[2 * c + 1]);
    }
  }
  if (cfg.grayscale && unit(r[7]) < double(cfg.gray_prob)) p.gray = 1;
  if (cfg.flip && unit(r[8]) < double(cfg.flip_prob)) p.flip = 1;
  const int pad = cfg.crop_pad < 0 ? res / 8 : cfg.crop_pad;
  if (cfg.crop && pad > 0) {
    // The authors' option list: every origin of the padded image ((2p+1)^2, x-major),
    // then floor(25%) copies of the centred origin; one entry uniformly.
    const int64_t side = 2 * int64_t(pad) + 1, all = side * side, opts = all + all / 4;
    const int64_t k = below(r[9], opts);
    p.pad = pad;
    p.crop_x = k < all ? int32_t(k / side) : pad;
    p.crop_y = k < all ? int32_t(k % side) : pad;
  }
  const int cut = cfg.cutout_size < 0 ? res / 4 : cfg.cutout_size;
  if (cfg.cutout && cut > 0 && cut <= res) {
    const int64_t span = int64_t(res) - cut + 1;
    const int64_t k = below(r[10], span * span);
    p.cut_size = cut;
    p.cut_x = int32_t(k / span);
    p.cut_y = int32_t(k % span);
  }
  return p;
}

std::vector<AugParams> draw_aug_params(const AugmentConfig& cfg, int res, uint64_t seed, uint64_t epoch,
                                       uint64_t first, int64_t count, uint32_t view) {
  std::vector<AugParams> v(size_t(std::max<int64_t>(0, count)));
  for (int64_t i = 0; i < count; ++i) v[size_t(i)] = draw_aug_params(cfg, res, seed, epoch, first + uint64_t(i), view);
  return v;
}

void augment_images_cpu(const AugParams* params, int64_t n, int res, const float* in, float* out,
                        int threads) {
  const int64_t plane = int64_t(res) * res, per = 3 * plane;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (int64_t i = 0; i < n; ++i) {
    const AugParams& p = params[i];
    const float* img = in + i * per;
    float* o = out + i * per;
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < res; ++y)
        for (int x = 0; x < res; ++x) o[(int64_t(c) * res + y) * res + x] = aug_image_value(p, res, img, c, y, x);
  }
}

void augment_dense_cpu(const AugParams* params, int64_t n, int res, const uint8_t* in, uint8_t* out,
                       int threads) {
  const int64_t per = 3 * int64_t(res) * res;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < res; ++y)
        for (int x = 0; x < res; ++x)
          out[i * per + (int64_t(c) * res + y) * res + x] = aug_dense_value(params[i], res, in + i * per, c, y, x);
}

void decode_dense_cpu(const AugParams* params, int64_t n, int res, const uint8_t* in, int out_size,
                      int64_t* seg, int64_t* inst, float* depth, float* mask, int threads) {
  const int64_t per = 3 * int64_t(res) * res, po = int64_t(out_size) * out_size;
  const AugParams id{};
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (int64_t i = 0; i < n; ++i)
    for (int y = 0; y < out_size; ++y)
      for (int x = 0; x < out_size; ++x) {
        int64_t s, t;
        float d, m;
        dense_decode(params ? params[i] : id, res, in + i * per, out_size, y, x, &s, &t, &d, &m);
        const int64_t o = i * po + int64_t(y) * out_size + x;
        if (seg) seg[o] = s;
        if (inst) inst[o] = t;
        if (depth) depth[o] = d;
        if (mask) mask[o] = m;
      }
}

namespace {

void check_batch(const Tensor& t, DType dt, const std::vector<AugParams>& params, const char* what,
                 bool allow_empty_params = false) {
  SS_CHECK(t.dim() == 4 && t.size(1) == 3 && t.size(2) == t.size(3),
           what, ": expected [B, 3, R, R], got ", t.desc());
  SS_CHECK(t.dtype() == dt, what, ": expected dtype ", dtype_name(dt), ", got ", t.desc());
  SS_CHECK((allow_empty_params && params.empty()) || int64_t(params.size()) == t.size(0), what, ": ",
           params.size(), " parameter sets for a batch of ", t.size(0));
}

// AugParams array on the tensor's device (a byte tensor on CUDA).
Tensor params_on(const std::vector<AugParams>& params, Device dev) {
  Tensor h = Tensor::empty({int64_t(params.size() * sizeof(AugParams))}, DType::U8);
  if (!params.empty()) std::memcpy(h.raw(), params.data(), params.size() * sizeof(AugParams));
  return dev.is_cuda() ? h.to(dev) : h;
}

}  // namespace

Tensor augment_images(const Tensor& x_in, const std::vector<AugParams>& params) {
  check_batch(x_in, DType::F32, params, "augment_images");
  Tensor x = x_in.contiguous();
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  const int res = int(x.size(2));
  if (x.is_cuda()) {
    Tensor p = params_on(params, x.device());
    gpu::augment_images(static_cast<const AugParams*>(p.raw()), x.size(0), res, x.data<float>(),
                        y.data<float>());
  } else {
    augment_images_cpu(params.data(), x.size(0), res, x.data<float>(), y.data<float>());
  }
  return y;
}

Tensor augment_dense(const Tensor& t_in, const std::vector<AugParams>& params) {
  check_batch(t_in, DType::U8, params, "augment_dense");
  Tensor t = t_in.contiguous();
  Tensor y = Tensor::empty(t.shape(), DType::U8, t.device());
  const int res = int(t.size(2));
  if (t.is_cuda()) {
    Tensor p = params_on(params, t.device());
    gpu::augment_dense(static_cast<const AugParams*>(p.raw()), t.size(0), res, t.data<uint8_t>(),
                       y.data<uint8_t>());
  } else {
    augment_dense_cpu(params.data(), t.size(0), res, t.data<uint8_t>(), y.data<uint8_t>());
  }
  return y;
}

DenseTargets decode_dense(const Tensor& t_in, const std::vector<AugParams>& params, int out_size) {
  check_batch(t_in, DType::U8, params, "decode_dense", true);
  Tensor t = t_in.contiguous();
  const int res = int(t.size(2));
  if (out_size <= 0) out_size = res;
  SS_CHECK(out_size <= res, "decode_dense: target size ", out_size, " larger than the image (", res, ")");
  const int64_t B = t.size(0), h = out_size;
  const Device dev = t.device();
  DenseTargets d;
  d.seg = Tensor::empty({B, h, h}, DType::I64, dev);
  d.instance = Tensor::empty({B, h, h}, DType::I64, dev);
  d.depth = Tensor::empty({B, 1, h, h}, DType::F32, dev);
  d.mask = Tensor::empty({B, 1, h, h}, DType::F32, dev);
  if (dev.is_cuda()) {
    Tensor p = params.empty() ? Tensor() : params_on(params, dev);
    gpu::decode_dense(p.defined() ? static_cast<const AugParams*>(p.raw()) : nullptr, B, res,
                      t.data<uint8_t>(), out_size, d.seg.data<int64_t>(), d.instance.data<int64_t>(),
                      d.depth.data<float>(), d.mask.data<float>());
  } else {
    decode_dense_cpu(params.empty() ? nullptr : params.data(), B, res, t.data<uint8_t>(), out_size,
                     d.seg.data<int64_t>(), d.instance.data<int64_t>(), d.depth.data<float>(),
                     d.mask.data<float>());
  }
  return d;
}

}  // namespace ss::data

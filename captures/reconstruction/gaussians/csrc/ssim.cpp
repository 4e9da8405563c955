// Fused SSIM for the training loss: the mean SSIM of a (C, H, W) image against a target, with an 11-tap
// separable window and zero padding, forward and backward (d/d image only), multi-threaded with OpenMP.
// train.py's `_ssim_torch` (depthwise 1-D convolutions) is the specification and the reference the tests
// compare against; the window's weights come from train.py too, so both use the same float32 taps.
//
// Forward: the five local statistics mu_x, mu_y, E[x^2], E[y^2], E[xy] are a horizontal then a vertical
// 11-tap pass. Each thread takes a contiguous range of the C*H rows and keeps the horizontal results of the
// 11 rows around the current one in a ring, so every input row is blurred horizontally once (plus 10 rows
// at the start of each thread's range), and nothing image-sized but the inputs and outputs is touched.
// The SSIM map is summed per row in double, then the rows in order (deterministic for any thread count).
// When a gradient is wanted, the forward also keeps dS/dmu_x, dS/dE[x^2] and dS/dE[xy] per pixel (S the
// SSIM map; elementwise). Backward: the window with zero padding is symmetric, so the blur is its own
// adjoint, and d mean / dx = (blur(dS/dmu_x) + 2x blur(dS/dE[x^2]) + y blur(dS/dE[xy])) / N.
//
// float32 throughout, with the torch code's operation order in the SSIM formula: the values agree with
// torch's float32 to its own rounding (var = E[x^2] - mu^2 cancels, in both).

#include <torch/extension.h>

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace {

constexpr int R = 5;  // window radius
constexpr int TAPS = 2 * R + 1;

int ssim_threads() { return std::max(1, at::get_num_threads()); }

// The per-row kernels below are compiled for AVX-512, AVX2 and plain x86-64, chosen at load time by the CPU
// (GCC's target_clones; -march=native would tie the kept build to one machine). No FMA: -ffp-contract=off
// keeps each product rounded, so every variant computes the same per-pixel values (only the order of the
// double row sums' vector reduction differs).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SSIM_KERNEL __attribute__((target_clones("avx512f", "avx2", "default"), noinline))
#else
#define SSIM_KERNEL
#endif

// out[j] = sum_k w[k] in[j + k] for j < width, `in` being a row with R zeros before and after it.
SSIM_KERNEL void blur_row(const float* __restrict in, float* __restrict out, int64_t width, const float* w) {
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) {
    const float* p = in + j;
    out[j] = w0 * (p[0] + p[10]) + w1 * (p[1] + p[9]) + w2 * (p[2] + p[8]) + w3 * (p[3] + p[7]) +
             w4 * (p[4] + p[6]) + w5 * p[5];
  }
}

// out[j] = sum_k w[k] rows[k][j]: the vertical pass (rows outside the image point at zeros).
SSIM_KERNEL void blur_column(const float* const* rows, float* __restrict out, int64_t width, const float* w) {
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
  const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3], *r4 = rows[4], *r5 = rows[5];
  const float *r6 = rows[6], *r7 = rows[7], *r8 = rows[8], *r9 = rows[9], *r10 = rows[10];
#pragma omp simd
  for (int64_t j = 0; j < width; ++j)
    out[j] = w0 * (r0[j] + r10[j]) + w1 * (r1[j] + r9[j]) + w2 * (r2[j] + r8[j]) + w3 * (r3[j] + r7[j]) +
             w4 * (r4[j] + r6[j]) + w5 * r5[j];
}

// The five maps blurred for the statistics: x, y, x^2, y^2, xy (into padded rows).
SSIM_KERNEL void statistics_row(const float* __restrict x, const float* __restrict y, float* const* out,
                                int64_t width) {
  float *px = out[0], *py = out[1], *pxx = out[2], *pyy = out[3], *pxy = out[4];
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) {
    px[j] = x[j], py[j] = y[j];
    pxx[j] = x[j] * x[j], pyy[j] = y[j] * y[j], pxy[j] = x[j] * y[j];
  }
}

// One row of the SSIM map from the blurred statistics, summed in double; with `grad` (three rows: dS/dmu_x,
// dS/dE[x^2], dS/dE[xy]) also its derivatives. The formula in the torch code's order of operations.
SSIM_KERNEL double ssim_row(const float* const* stats, float* const* grad, int64_t width, float c1, float c2) {
  const float *mx = stats[0], *my = stats[1], *exx = stats[2], *eyy = stats[3], *exy = stats[4];
  double sum = 0;
  if (grad) {
    float *g0 = grad[0], *g1 = grad[1], *g2 = grad[2];
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < width; ++j) {
      const float mu_x = mx[j], mu_y = my[j];
      const float var_x = exx[j] - mu_x * mu_x, var_y = eyy[j] - mu_y * mu_y, cov = exy[j] - mu_x * mu_y;
      const float a1 = 2 * mu_x * mu_y + c1, a2 = 2 * cov + c2;
      const float b1 = mu_x * mu_x + mu_y * mu_y + c1, b2 = var_x + var_y + c2;
      const float d = b1 * b2, s = (a1 * a2) / d, inv = 1 / d;
      sum += s;
      // s = a1 a2 / (b1 b2): d/dmu_x through all four factors, d/dE[x^2] through b2, d/dE[xy] through a2
      g0[j] = 2 * inv * (mu_y * (a2 - a1) + mu_x * s * (b1 - b2));
      g1[j] = -s * b1 * inv;
      g2[j] = 2 * a1 * inv;
    }
  } else {
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < width; ++j) {
      const float mu_x = mx[j], mu_y = my[j];
      const float var_x = exx[j] - mu_x * mu_x, var_y = eyy[j] - mu_y * mu_y, cov = exy[j] - mu_x * mu_y;
      sum += ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2));
    }
  }
  return sum;
}

// One row of d mean / d image from the blurred derivative maps (k: the incoming gradient / N).
SSIM_KERNEL void gradient_row(const float* const* blurred, const float* __restrict x, const float* __restrict y,
                              float* __restrict g, int64_t width, float k) {
  const float *b0 = blurred[0], *b1 = blurred[1], *b2 = blurred[2];
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) g[j] = k * (b0[j] + 2 * x[j] * b1[j] + y[j] * b2[j]);
}

// Blurs M maps, row by row: load(c, r, padded) writes row r of channel c of each map into padded[m][R ..
// R + width) (the R entries either side stay zero); emit(q, blurred) receives row q (= c * height + i) of
// each blurred map. Threads take contiguous ranges of rows; see the top of the file.
template <int M, class Load, class Emit>
void separable_blur(int64_t channels, int64_t height, int64_t width, const float* w, Load load, Emit emit) {
  const int64_t rows = channels * height;
#pragma omp parallel num_threads(ssim_threads())
  {
    const int64_t t = omp_get_thread_num(), n = omp_get_num_threads();
    const int64_t begin = rows * t / n, end = rows * (t + 1) / n;
    const int64_t stride = width + 2 * R;
    std::vector<float> padded(M * stride, 0.0f), ring(static_cast<size_t>(TAPS) * M * width),
        out(M * width), zeros(width, 0.0f);
    float* pads[M];
    const float* blurred[M];
    for (int m = 0; m < M; ++m) pads[m] = padded.data() + m * stride, blurred[m] = out.data() + m * width;
    auto slot = [&](int64_t r, int m) { return ring.data() + ((r % TAPS) * M + m) * width; };
    auto horizontal = [&](int64_t c, int64_t r) {
      load(c, r, pads);
      for (int m = 0; m < M; ++m) blur_row(pads[m], slot(r, m), width, w);
    };
    for (int64_t q = begin; q < end; ++q) {
      const int64_t c = q / height, i = q % height;
      if (q == begin || i == 0) {  // a fresh ring: the rows around i
        for (int64_t r = std::max<int64_t>(0, i - R); r <= std::min(height - 1, i + R); ++r) horizontal(c, r);
      } else if (i + R < height) {
        horizontal(c, i + R);
      }
      for (int m = 0; m < M; ++m) {
        const float* column[TAPS];
        for (int k = 0; k < TAPS; ++k) {
          const int64_t r = i - R + k;
          column[k] = r >= 0 && r < height ? slot(r, m) : zeros.data();
        }
        blur_column(column, out.data() + m * width, width, w);
      }
      emit(q, blurred);
    }
  }
}

void check_pair(const torch::Tensor& image, const torch::Tensor& target, const torch::Tensor& window) {
  for (const auto* t : {&image, &target})
    TORCH_CHECK(t->device().is_cpu() && t->dtype() == torch::kFloat32 && t->is_contiguous() && t->dim() == 3,
                "ssim takes contiguous float32 CPU (C, H, W) tensors");
  TORCH_CHECK(image.sizes() == target.sizes(), "image and target differ in shape");
  TORCH_CHECK(window.dtype() == torch::kFloat32 && window.is_contiguous() && window.numel() == TAPS,
              "the window must be 11 float32 taps");
  const float* w = window.data_ptr<float>();
  for (int k = 0; k < R; ++k) TORCH_CHECK(w[k] == w[TAPS - 1 - k], "the window must be symmetric");
}

}  // namespace

// The mean SSIM (a float32 scalar tensor) and, when with_grad, the maps dS/dmu_x, dS/dE[x^2], dS/dE[xy].
std::vector<torch::Tensor> ssim_forward(torch::Tensor image, torch::Tensor target, torch::Tensor window,
                                        bool with_grad) {
  check_pair(image, target, window);
  const int64_t channels = image.size(0), height = image.size(1), width = image.size(2);
  const int64_t rows = channels * height;
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor d_mu, d_xx, d_xy;
  float *gmu = nullptr, *gxx = nullptr, *gxy = nullptr;
  if (with_grad) {
    d_mu = torch::empty_like(image), d_xx = torch::empty_like(image), d_xy = torch::empty_like(image);
    gmu = d_mu.data_ptr<float>(), gxx = d_xx.data_ptr<float>(), gxy = d_xy.data_ptr<float>();
  }
  const float *X = image.data_ptr<float>(), *Y = target.data_ptr<float>(), *w = window.data_ptr<float>();
  const float c1 = static_cast<float>(0.01 * 0.01), c2 = static_cast<float>(0.03 * 0.03);
  std::vector<double> row_sums(rows);

  auto load = [&](int64_t c, int64_t r, float* const* pads) {
    float* out[5] = {pads[0] + R, pads[1] + R, pads[2] + R, pads[3] + R, pads[4] + R};
    statistics_row(X + (c * height + r) * width, Y + (c * height + r) * width, out, width);
  };
  auto emit = [&](int64_t q, const float* const* blurred) {
    if (!with_grad) {
      row_sums[q] = ssim_row(blurred, nullptr, width, c1, c2);
      return;
    }
    float* grad[3] = {gmu + q * width, gxx + q * width, gxy + q * width};
    row_sums[q] = ssim_row(blurred, grad, width, c1, c2);
  };
  separable_blur<5>(channels, height, width, w, load, emit);

  double total = 0;
  for (double s : row_sums) total += s;
  auto value = torch::full({}, static_cast<float>(total / static_cast<double>(rows * width)), f32);
  if (!with_grad) return {value};
  return {value, d_mu, d_xx, d_xy};
}

// d (scale * mean SSIM) / d image, from ssim_forward's maps (scale: the incoming gradient).
torch::Tensor ssim_backward(torch::Tensor image, torch::Tensor target, torch::Tensor window, torch::Tensor d_mu,
                            torch::Tensor d_xx, torch::Tensor d_xy, double scale) {
  check_pair(image, target, window);
  for (const auto* t : {&d_mu, &d_xx, &d_xy})
    TORCH_CHECK(t->dtype() == torch::kFloat32 && t->is_contiguous() && t->sizes() == image.sizes(),
                "the SSIM gradient maps do not match the image");
  const int64_t channels = image.size(0), height = image.size(1), width = image.size(2);
  auto grad = torch::empty_like(image);
  const float *X = image.data_ptr<float>(), *Y = target.data_ptr<float>(), *w = window.data_ptr<float>();
  const float* maps[3] = {d_mu.data_ptr<float>(), d_xx.data_ptr<float>(), d_xy.data_ptr<float>()};
  float* G = grad.data_ptr<float>();
  const float k = static_cast<float>(scale / static_cast<double>(image.numel()));

  auto load = [&](int64_t c, int64_t r, float* const* pads) {
    const int64_t offset = (c * height + r) * width;
    for (int m = 0; m < 3; ++m) std::copy(maps[m] + offset, maps[m] + offset + width, pads[m] + R);
  };
  auto emit = [&](int64_t q, const float* const* blurred) {
    gradient_row(blurred, X + q * width, Y + q * width, G + q * width, width, k);
  };
  separable_blur<3>(channels, height, width, w, load, emit);
  return grad;
}

// The native CPU rasteriser: projection + SH colour, and tiled front-to-back compositing, forward and
// backward, multi-threaded with OpenMP. It computes what rasterize.py's torch code computes (that code is
// the specification and the reference the tests compare against); see rasterize.py for the conventions.
//
// Compositing follows the reference 3DGS design (16x16 tiles, each splat duplicated into the tiles its
// drawing box touches, one list per tile in depth order, front to back per pixel, stop before T < 1e-4,
// backward back to front from each pixel's last blended fragment), with one CPU-specific change: inside a
// tile the loops are splat-major. Each splat visits only the pixels of its box inside the tile (the
// reference's fragments are exactly the pixels of that box, so this draws the same fragments), carrying
// the tile's per-pixel transmittance and colour in small arrays. Small splats then cost their area, not
// the tile's 256 pixels, and in the backward pass each splat's gradient is summed in registers and written
// once per (tile, splat) pair; pairs are then reduced per Gaussian, in a fixed order (deterministic for
// any thread count).
//
// Every pass over the Gaussians, the drawn splats or the pairs runs on all threads (the depth order is a
// parallel radix sort, the pair offsets a parallel prefix sum), and the tile lists hold copies of the splats
// (64 bytes, one cache line each) so that compositing reads each tile's splats from contiguous memory; the
// backward pass reuses them. Big buffers come from a cache that keeps them mapped between calls (BlockCache):
// at a few 100k splats, allocating them afresh for every view cost more page faults than the 2 threads
// gained. Timers per phase: ATLAS_RASTER_PROFILE=1 (see Clock).
//
// float32 only (rasterize.py sends other dtypes to its torch code). Projection is computed in double.

#include <torch/extension.h>

#include <omp.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <sys/mman.h>
#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace {

constexpr int TILE = 16;
constexpr float ALPHA_MAX = 0.99f;
constexpr float T_MIN = 1e-4f;

constexpr double SH_C0 = 0.28209479177387814;
constexpr double SH_C1 = 0.4886025119029199;
constexpr double SH_C2[5] = {1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792,
                             0.5462742152960396};
constexpr double SH_C3[7] = {-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154,
                             -0.4570457994644658, 1.445305721320277, -0.5900435899266435};

// Per-phase timers, on when ATLAS_RASTER_PROFILE is set: each lap prints to stderr its name, wall
// milliseconds and (on Linux) each OpenMP thread's CPU milliseconds: the largest is the phase's critical path,
// what it would take on idle cores, which makes scaling measurable on a busy machine (with
// OMP_WAIT_POLICY=passive, so that threads waiting at a barrier use no CPU).
int threads();
struct Clock {
  bool on = std::getenv("ATLAS_RASTER_PROFILE") != nullptr;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
#ifdef __linux__
  std::vector<clockid_t> ids;
#else
  std::vector<int> ids;
#endif
  std::vector<double> cpu;
  Clock() {
    if (!on) return;
#ifdef __linux__
    const int nt = threads();
    ids.assign(nt, 0), cpu.assign(nt, 0);
#pragma omp parallel num_threads(nt)
    pthread_getcpuclockid(pthread_self(), &ids[omp_get_thread_num()]);
    for (int t = 0; t < nt; ++t) cpu[t] = now_cpu(t);
#endif
    last = std::chrono::steady_clock::now();
  }
  double now_cpu(int t) const {
#ifdef __linux__
    timespec ts;
    clock_gettime(ids[t], &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
#else
    return 0;
#endif
  }
  void lap(const char* what) {
    if (!on) return;
    auto now = std::chrono::steady_clock::now();
    std::fprintf(stderr, "%s %.3f", what, std::chrono::duration<double, std::milli>(now - last).count());
    for (size_t t = 0; t < ids.size(); ++t) {
      const double c = now_cpu(static_cast<int>(t));
      std::fprintf(stderr, " %.3f", c - cpu[t]);
      cpu[t] = c;
    }
    std::fprintf(stderr, " ms\n");
    last = std::chrono::steady_clock::now();
  }
};

int threads() { return std::max(1, at::get_num_threads()); }

// Big buffers (4 MiB or more: the returned tensors and the scratch arrays at a few 100k splats) come from a cache
// of blocks that stay mapped between calls. malloc maps an allocation that big afresh on every call (above its
// 32 MiB threshold at least), and its first touches then cost a page fault per 4 KiB (about 2 us each, 50 ms per
// 100 MB here), work that did not scale from 1 to 2 threads. Sizes are rounded up to one of 8 classes per
// doubling, so a model that grows a little keeps reusing its blocks; the blocks are asked for huge pages (fewer
// faults the first time, fewer TLB misses in the random reads of the splat arrays). At most kCacheLimit bytes
// stay cached, the longest unused freed first.
class BlockCache {
 public:
  static constexpr size_t kMinBytes = size_t(4) << 20;
  static constexpr size_t kCacheLimit = size_t(768) << 20;
  static constexpr size_t kPage = size_t(2) << 20;

  static size_t size_class(size_t bytes) {
    size_t top = 1;
    while (top * 2 <= bytes) top *= 2;
    const size_t step = std::max(top / 8, size_t(1));
    const size_t size = (bytes + step - 1) / step * step;
    return (size + kPage - 1) / kPage * kPage;
  }

  void* take(size_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t k = blocks_.size(); k-- > 0;)
        if (blocks_[k].first == size) {
          void* block = blocks_[k].second;
          blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(k));
          cached_ -= size;
          return block;
        }
    }
    void* block = std::aligned_alloc(kPage, size);
    if (!block) {
      release();
      block = std::aligned_alloc(kPage, size);
      TORCH_CHECK(block, "out of memory allocating ", size, " bytes");
    }
#ifdef MADV_HUGEPAGE
    madvise(block, size, MADV_HUGEPAGE);
#endif
    return block;
  }

  void give(void* block, size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    blocks_.emplace_back(size, block);
    cached_ += size;
    while (cached_ > kCacheLimit) {
      std::free(blocks_.front().second);
      cached_ -= blocks_.front().first;
      blocks_.erase(blocks_.begin());
    }
  }

  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& block : blocks_) std::free(block.second);
    blocks_.clear();
    cached_ = 0;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<size_t, void*>> blocks_;  // oldest first
  size_t cached_ = 0;
};

BlockCache& block_cache() {
  static BlockCache* cache = new BlockCache;  // never destroyed: tensors may outlive static destruction
  return *cache;
}

// torch::empty, from the block cache when big. The contents are undefined: callers write every element.
torch::Tensor big_empty(at::IntArrayRef sizes, const torch::TensorOptions& options) {
  int64_t numel = 1;
  for (const int64_t size : sizes) numel *= size;
  const size_t bytes = static_cast<size_t>(numel) * c10::elementSize(c10::typeMetaToScalarType(options.dtype()));
  if (bytes < BlockCache::kMinBytes) return torch::empty(sizes, options);
  const size_t size = BlockCache::size_class(bytes);
  void* block = block_cache().take(size);
  return torch::from_blob(block, sizes, [size](void* data) { block_cache().give(data, size); }, options);
}

// Chunk t of nt of [0, n).
inline int64_t chunk(int64_t n, int t, int nt) { return n * t / nt; }

// In-place inclusive prefix sum of a[0, n), in parallel: chunk sums, their prefix, then each chunk again.
void prefix_sum(int64_t* a, int64_t n, int nt) {
  std::vector<int64_t> sums(nt + 1, 0);
#pragma omp parallel for schedule(static, 1) num_threads(nt)
  for (int t = 0; t < nt; ++t) {
    int64_t sum = 0;
    for (int64_t r = chunk(n, t, nt); r < chunk(n, t + 1, nt); ++r) sum += a[r];
    sums[t + 1] = sum;
  }
  for (int t = 0; t < nt; ++t) sums[t + 1] += sums[t];
#pragma omp parallel for schedule(static, 1) num_threads(nt)
  for (int t = 0; t < nt; ++t) {
    int64_t sum = sums[t];
    for (int64_t r = chunk(n, t, nt); r < chunk(n, t + 1, nt); ++r) sum += a[r], a[r] = sum;
  }
}

struct Camera {
  double view[3][4];
  double centre[3];
  double fx, fy, cx, cy, near, low_pass;
  int width, height;
};

Camera camera_from(const torch::Tensor& view, const torch::Tensor& centre, double fx, double fy, double cx, double cy,
                   int64_t width, int64_t height, double near, double low_pass) {
  TORCH_CHECK(view.dtype() == torch::kFloat64 && view.numel() == 12, "view must be 3x4 float64");
  TORCH_CHECK(centre.dtype() == torch::kFloat64 && centre.numel() == 3, "centre must be 3 float64");
  Camera cam;
  auto v = view.contiguous();
  auto c = centre.contiguous();
  const double* vp = v.data_ptr<double>();
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k) cam.view[r][k] = vp[r * 4 + k];
  for (int k = 0; k < 3; ++k) cam.centre[k] = c.data_ptr<double>()[k];
  cam.fx = fx, cam.fy = fy, cam.cx = cx, cam.cy = cy, cam.near = near, cam.low_pass = low_pass;
  cam.width = static_cast<int>(width), cam.height = static_cast<int>(height);
  return cam;
}

void check(const torch::Tensor& t, const char* name, int64_t n, int64_t cols) {
  TORCH_CHECK(t.device().is_cpu() && t.dtype() == torch::kFloat32 && t.is_contiguous(), name,
              " must be a contiguous float32 CPU tensor");
  TORCH_CHECK(t.size(0) == n && t.numel() == n * cols, name, " has the wrong shape");
}

// Rotation matrix of the normalised quaternion (w, x, y, z).
void rotation(const double q[4], double R[3][3]) {
  const double w = q[0], x = q[1], y = q[2], z = q[3];
  R[0][0] = 1 - 2 * (y * y + z * z), R[0][1] = 2 * (x * y - w * z), R[0][2] = 2 * (x * z + w * y);
  R[1][0] = 2 * (x * y + w * z), R[1][1] = 1 - 2 * (x * x + z * z), R[1][2] = 2 * (y * z - w * x);
  R[2][0] = 2 * (x * z - w * y), R[2][1] = 2 * (y * z + w * x), R[2][2] = 1 - 2 * (x * x + y * y);
}

// Real SH basis (reference order and signs) at unit direction d; count = (degree + 1)^2.
void sh_basis(int degree, double x, double y, double z, double* b) {
  b[0] = SH_C0;
  if (degree < 1) return;
  b[1] = -SH_C1 * y, b[2] = SH_C1 * z, b[3] = -SH_C1 * x;
  if (degree < 2) return;
  const double xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
  b[4] = SH_C2[0] * xy, b[5] = SH_C2[1] * yz, b[6] = SH_C2[2] * (2 * zz - xx - yy), b[7] = SH_C2[3] * xz;
  b[8] = SH_C2[4] * (xx - yy);
  if (degree < 3) return;
  b[9] = SH_C3[0] * y * (3 * xx - yy), b[10] = SH_C3[1] * xy * z, b[11] = SH_C3[2] * y * (4 * zz - xx - yy);
  b[12] = SH_C3[3] * z * (2 * zz - 3 * xx - 3 * yy), b[13] = SH_C3[4] * x * (4 * zz - xx - yy);
  b[14] = SH_C3[5] * z * (xx - yy), b[15] = SH_C3[6] * x * (xx - 3 * yy);
}

// d(basis)/dx, /dy, /dz.
void sh_basis_grad(int degree, double x, double y, double z, double* dx, double* dy, double* dz) {
  const int count = (degree + 1) * (degree + 1);
  for (int k = 0; k < count; ++k) dx[k] = dy[k] = dz[k] = 0;
  if (degree < 1) return;
  dy[1] = -SH_C1, dz[2] = SH_C1, dx[3] = -SH_C1;
  if (degree < 2) return;
  const double xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
  dx[4] = SH_C2[0] * y, dy[4] = SH_C2[0] * x;
  dy[5] = SH_C2[1] * z, dz[5] = SH_C2[1] * y;
  dx[6] = -2 * SH_C2[2] * x, dy[6] = -2 * SH_C2[2] * y, dz[6] = 4 * SH_C2[2] * z;
  dx[7] = SH_C2[3] * z, dz[7] = SH_C2[3] * x;
  dx[8] = 2 * SH_C2[4] * x, dy[8] = -2 * SH_C2[4] * y;
  if (degree < 3) return;
  dx[9] = SH_C3[0] * 6 * xy, dy[9] = SH_C3[0] * (3 * xx - 3 * yy);
  dx[10] = SH_C3[1] * yz, dy[10] = SH_C3[1] * xz, dz[10] = SH_C3[1] * xy;
  dx[11] = SH_C3[2] * (-2 * xy), dy[11] = SH_C3[2] * (4 * zz - xx - 3 * yy), dz[11] = SH_C3[2] * 8 * yz;
  dx[12] = SH_C3[3] * (-6 * xz), dy[12] = SH_C3[3] * (-6 * yz), dz[12] = SH_C3[3] * (6 * zz - 3 * xx - 3 * yy);
  dx[13] = SH_C3[4] * (4 * zz - 3 * xx - yy), dy[13] = SH_C3[4] * (-2 * xy), dz[13] = SH_C3[4] * 8 * xz;
  dx[14] = SH_C3[5] * 2 * xz, dy[14] = -SH_C3[5] * 2 * yz, dz[14] = SH_C3[5] * (xx - yy);
  dx[15] = SH_C3[6] * (3 * xx - 3 * yy), dy[15] = SH_C3[6] * (-6 * xy);
}

// Everything the projection of one Gaussian computes, kept for its backward pass.
struct Projected {
  double p[3];       // camera coordinates
  double z;          // depth, or 1 where culled (harmless values, as the torch code)
  bool in_front;
  double u, v;       // p.x / z, p.y / z
  double uc, vc;     // clamped to 1.3x the field of view
  bool u_free, v_free;  // not clamped (the clamp passes gradients)
  double R[3][3];    // rotation of the normalised quaternion
  double qn[4], qnorm;
  double JW[2][3];
  double T[2][3];    // J W R S
  double a, b, c, det;
};

void project_one(const Camera& cam, const float* m, const float* s, const float* q, Projected& P) {
  for (int r = 0; r < 3; ++r)
    P.p[r] = cam.view[r][0] * m[0] + cam.view[r][1] * m[1] + cam.view[r][2] * m[2] + cam.view[r][3];
  P.in_front = P.p[2] > cam.near;
  P.z = P.in_front ? P.p[2] : 1.0;
  P.u = P.p[0] / P.z, P.v = P.p[1] / P.z;
  const double ulo = -1.3 * cam.cx / cam.fx, uhi = 1.3 * (cam.width - cam.cx) / cam.fx;
  const double vlo = -1.3 * cam.cy / cam.fy, vhi = 1.3 * (cam.height - cam.cy) / cam.fy;
  P.uc = std::min(std::max(P.u, ulo), uhi), P.vc = std::min(std::max(P.v, vlo), vhi);
  P.u_free = P.u >= ulo && P.u <= uhi, P.v_free = P.v >= vlo && P.v <= vhi;
  const double j00 = cam.fx / P.z, j02 = -cam.fx * P.uc / P.z, j11 = cam.fy / P.z, j12 = -cam.fy * P.vc / P.z;
  for (int k = 0; k < 3; ++k) {
    P.JW[0][k] = j00 * cam.view[0][k] + j02 * cam.view[2][k];
    P.JW[1][k] = j11 * cam.view[1][k] + j12 * cam.view[2][k];
  }
  P.qnorm = std::sqrt(double(q[0]) * q[0] + double(q[1]) * q[1] + double(q[2]) * q[2] + double(q[3]) * q[3]);
  for (int k = 0; k < 4; ++k) P.qn[k] = q[k] / P.qnorm;
  rotation(P.qn, P.R);
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < 3; ++j)
      P.T[r][j] = (P.JW[r][0] * P.R[0][j] + P.JW[r][1] * P.R[1][j] + P.JW[r][2] * P.R[2][j]) * s[j];
  P.a = P.T[0][0] * P.T[0][0] + P.T[0][1] * P.T[0][1] + P.T[0][2] * P.T[0][2] + cam.low_pass;
  P.b = P.T[0][0] * P.T[1][0] + P.T[0][1] * P.T[1][1] + P.T[0][2] * P.T[1][2];
  P.c = P.T[1][0] * P.T[1][0] + P.T[1][1] * P.T[1][1] + P.T[1][2] * P.T[1][2] + cam.low_pass;
  P.det = P.a * P.c - P.b * P.b;
}

// Inclusive pixel box of the pixel centres inside the ellipse at Mahalanobis^2 `level` (float32, as torch).
void pixel_box(float x, float y, float a, float c, float level, int box[4]) {
  const float hx = std::sqrt(level * a), hy = std::sqrt(level * c);
  box[0] = static_cast<int>(std::ceil(x - 0.5f - hx)), box[1] = static_cast<int>(std::floor(x - 0.5f + hx));
  box[2] = static_cast<int>(std::ceil(y - 0.5f - hy)), box[3] = static_cast<int>(std::floor(y - 0.5f + hy));
}

bool overlaps(const int box[4], int width, int height) {
  return box[0] <= box[1] && box[2] <= box[3] && box[1] >= 0 && box[0] < width && box[3] >= 0 && box[2] < height;
}

int sh_count(const torch::Tensor& sh) { return sh.dim() == 3 ? static_cast<int>(sh.size(1)) : 0; }

// SH coefficients (N, K, 3): one tensor `sh`, or two, `sh` and `rest`, that concatenate along dim 1 (the model's
// sh_dc and sh_rest, read in place rather than concatenated into a copy for every view). Coefficient k of
// Gaussian i is gathered to c[3 k + channel].
struct Coefficients {
  const float* head = nullptr;
  const float* rest = nullptr;
  int K0 = 0, K1 = 0;
  int count() const { return K0 + K1; }
  // The first `used` coefficients of Gaussian i (at most 16: degree 3).
  void gather(int64_t i, int used, float* c) const {
    const int k0 = std::min(used, K0);
    std::memcpy(c, head + i * K0 * 3, sizeof(float) * 3 * k0);
    if (used > k0) std::memcpy(c + 3 * k0, rest + i * K1 * 3, sizeof(float) * 3 * (used - k0));
  }
  // Gradients of the first `used` coefficients of Gaussian i, from g, and zeros for the others, into the
  // gradients of head and rest.
  void scatter(int64_t i, int used, const float* g, float* g_head, float* g_rest) const {
    const int k0 = std::min(used, K0);
    float* h = g_head + i * K0 * 3;
    std::memcpy(h, g, sizeof(float) * 3 * k0);
    std::fill(h + 3 * k0, h + 3 * K0, 0.0f);
    if (!K1) return;
    float* r = g_rest + i * K1 * 3;
    const int k1 = used - k0;
    std::memcpy(r, g + 3 * k0, sizeof(float) * 3 * k1);
    std::fill(r + 3 * k1, r + 3 * K1, 0.0f);
  }
};

Coefficients coefficients(const torch::Tensor& sh, const torch::Tensor& rest, int64_t n) {
  Coefficients c;
  c.K0 = sh_count(sh);
  if (!c.K0) return c;
  check(sh, "sh", n, c.K0 * 3);
  c.head = sh.data_ptr<float>();
  c.K1 = sh_count(rest);
  if (c.K1) check(rest, "sh_rest", n, c.K1 * 3), c.rest = rest.data_ptr<float>();
  return c;
}

// (N, K, 3) float32 like `sh`, uninitialised (from the block cache when big), or empty where `sh` has no
// coefficients.
torch::Tensor like_coefficients(const torch::Tensor& sh) {
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  return sh_count(sh) ? big_empty({sh.size(0), sh.size(1), 3}, f32) : torch::empty({0}, f32);
}

}  // namespace

// means (N,3), scales (N,3), quats (N,4), opacities (N,) (only for the drawing boxes), sh (N,K,3) or empty, and
// sh_rest (N,K',3) or empty: more coefficients, after those of sh.
// Returns means2d (N,2), conics (N,3), depths (N,), colours (N,3) (empty without SH), radii (N,) int64,
// visible (N,) bool, boxes (N,4) int32: the clipped drawing box, x0 > x1 where nothing is drawn.
std::vector<torch::Tensor> project_forward(torch::Tensor means, torch::Tensor scales, torch::Tensor quats,
                                           torch::Tensor opacities, torch::Tensor sh, torch::Tensor sh_rest,
                                           int64_t degree,
                                           torch::Tensor view, torch::Tensor centre, double fx, double fy,
                                           double cx, double cy, int64_t width, int64_t height, double near,
                                           double low_pass) {
  const int64_t n = means.size(0);
  check(means, "means", n, 3), check(scales, "scales", n, 3), check(quats, "quats", n, 4);
  check(opacities, "opacities", n, 1);
  const Coefficients SH = coefficients(sh, sh_rest, n);
  const int K = SH.count();
  TORCH_CHECK(!K || (degree >= 0 && degree <= 3), "SH degree must be 0 to 3");
  TORCH_CHECK(!K || (degree + 1) * (degree + 1) <= K, "not enough SH coefficients for the degree");
  const Camera cam = camera_from(view, centre, fx, fy, cx, cy, width, height, near, low_pass);
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  auto means2d = big_empty({n, 2}, f32), conics = big_empty({n, 3}, f32), depths = big_empty({n}, f32);
  auto colours = K ? big_empty({n, 3}, f32) : torch::empty({0}, f32);
  auto radii = big_empty({n}, torch::TensorOptions().dtype(torch::kInt64));
  auto visible = big_empty({n}, torch::TensorOptions().dtype(torch::kBool));
  auto boxes = big_empty({n, 4}, torch::TensorOptions().dtype(torch::kInt32));
  const float *M = means.data_ptr<float>(), *S = scales.data_ptr<float>(), *Q = quats.data_ptr<float>();
  const float* O = opacities.data_ptr<float>();
  float *m2 = means2d.data_ptr<float>(), *con = conics.data_ptr<float>(), *dep = depths.data_ptr<float>();
  float* col = K ? colours.data_ptr<float>() : nullptr;
  int64_t* rad = radii.data_ptr<int64_t>();
  bool* vis = visible.data_ptr<bool>();
  int* box = boxes.data_ptr<int>();
  Clock clock;
  clock.lap("pf.alloc");

#pragma omp parallel for schedule(static) num_threads(threads())
  for (int64_t i = 0; i < n; ++i) {
    Projected P;
    project_one(cam, M + 3 * i, S + 3 * i, Q + 4 * i, P);
    const float x = static_cast<float>(cam.fx * P.u + cam.cx), y = static_cast<float>(cam.fy * P.v + cam.cy);
    m2[2 * i] = x, m2[2 * i + 1] = y;
    dep[i] = static_cast<float>(P.p[2]);
    con[3 * i] = static_cast<float>(P.c / P.det), con[3 * i + 1] = static_cast<float>(-P.b / P.det);
    con[3 * i + 2] = static_cast<float>(P.a / P.det);
    const float a = static_cast<float>(P.a), c = static_cast<float>(P.c);
    int vbox[4], dbox[4] = {1, 0, 1, 0};
    pixel_box(x, y, a, c, 9.0f, vbox);
    const bool is_visible = P.in_front && P.det > 0 && overlaps(vbox, cam.width, cam.height);
    vis[i] = is_visible;
    if (is_visible) {
      const double mid = 0.5 * (P.a + P.c);
      rad[i] = static_cast<int64_t>(std::ceil(3 * std::sqrt(mid + std::sqrt(std::max(mid * mid - P.det, 0.1)))));
      const float level = 2 * std::min(std::log(255 * O[i]), 4.5f);
      int b[4];
      if (level > 0) {
        pixel_box(x, y, a, c, level, b);
        if (overlaps(b, cam.width, cam.height)) {
          dbox[0] = std::max(b[0], 0), dbox[1] = std::min(b[1], cam.width - 1);
          dbox[2] = std::max(b[2], 0), dbox[3] = std::min(b[3], cam.height - 1);
        }
      }
    } else {
      rad[i] = 0;
    }
    for (int k = 0; k < 4; ++k) box[4 * i + k] = dbox[k];
    if (K) {
      double d[3] = {M[3 * i] - cam.centre[0], M[3 * i + 1] - cam.centre[1], M[3 * i + 2] - cam.centre[2]};
      const double norm = std::max(std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]), 1e-12);
      double basis[16];
      sh_basis(static_cast<int>(degree), d[0] / norm, d[1] / norm, d[2] / norm, basis);
      const int count = (degree + 1) * (degree + 1);
      float coef[16 * 3];
      SH.gather(i, count, coef);
      for (int ch = 0; ch < 3; ++ch) {
        double sum = 0.5;
        for (int k = 0; k < count; ++k) sum += basis[k] * coef[k * 3 + ch];
        col[3 * i + ch] = static_cast<float>(std::max(sum, 0.0));
      }
    }
  }
  clock.lap("pf.loop");
  return {means2d, conics, depths, colours, radii, visible, boxes};
}

// Gradients of means, scales, quats, sh and sh_rest (each shaped like it, or empty) from those of means2d,
// conics, depths and colours (each may be an empty tensor: no gradient).
std::vector<torch::Tensor> project_backward(torch::Tensor means, torch::Tensor scales, torch::Tensor quats,
                                            torch::Tensor sh, torch::Tensor sh_rest, int64_t degree,
                                            torch::Tensor view,
                                            torch::Tensor centre, double fx, double fy, double cx, double cy,
                                            int64_t width, int64_t height, double near, double low_pass,
                                            torch::Tensor g_means2d, torch::Tensor g_conics, torch::Tensor g_depths,
                                            torch::Tensor g_colours) {
  const int64_t n = means.size(0);
  const Coefficients SH = coefficients(sh, sh_rest, n);
  const int K = SH.count();
  TORCH_CHECK(!K || (degree >= 0 && degree <= 3 && (degree + 1) * (degree + 1) <= K), "SH degree");
  const Camera cam = camera_from(view, centre, fx, fy, cx, cy, width, height, near, low_pass);
  Clock clock;
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  // Every element is written below (zeros included), in parallel: no zero-filling pass.
  auto g_means = big_empty({n, 3}, f32), g_scales = big_empty({n, 3}, f32), g_quats = big_empty({n, 4}, f32);
  auto g_sh = like_coefficients(sh), g_rest = SH.K1 ? like_coefficients(sh_rest) : torch::empty({0}, f32);
  const bool has_m2 = g_means2d.numel(), has_con = g_conics.numel(), has_dep = g_depths.numel();
  const bool has_col = K && g_colours.numel();
  if (has_m2) check(g_means2d, "g_means2d", n, 2);
  if (has_con) check(g_conics, "g_conics", n, 3);
  if (has_dep) check(g_depths, "g_depths", n, 1);
  if (has_col) check(g_colours, "g_colours", n, 3);
  const float *M = means.data_ptr<float>(), *S = scales.data_ptr<float>(), *Q = quats.data_ptr<float>();
  const float* GM2 = has_m2 ? g_means2d.data_ptr<float>() : nullptr;
  const float* GCON = has_con ? g_conics.data_ptr<float>() : nullptr;
  const float* GDEP = has_dep ? g_depths.data_ptr<float>() : nullptr;
  const float* GCOL = has_col ? g_colours.data_ptr<float>() : nullptr;
  float *gm = g_means.data_ptr<float>(), *gs = g_scales.data_ptr<float>(), *gq = g_quats.data_ptr<float>();
  float* gsh = K ? g_sh.data_ptr<float>() : nullptr;
  float* grest = SH.K1 ? g_rest.data_ptr<float>() : nullptr;
  clock.lap("pb.alloc");

#pragma omp parallel for schedule(static) num_threads(threads())
  for (int64_t i = 0; i < n; ++i) {
    double gmean[3] = {0, 0, 0};
    // Colour: SH along the ray from the camera centre.
    float gcoef[16 * 3] = {};  // of the used coefficients: written out (with zeros for the others) below
    const int used = K ? static_cast<int>((degree + 1) * (degree + 1)) : 0;
    for (int k = 0; k < 3; ++k) gs[3 * i + k] = 0;
    for (int k = 0; k < 4; ++k) gq[4 * i + k] = 0;
    if (has_col) {
      const float* gc = GCOL + 3 * i;
      if (gc[0] != 0 || gc[1] != 0 || gc[2] != 0) {
        double d[3] = {M[3 * i] - cam.centre[0], M[3 * i + 1] - cam.centre[1], M[3 * i + 2] - cam.centre[2]};
        const double raw_norm = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        const double norm = std::max(raw_norm, 1e-12);
        const double x = d[0] / norm, y = d[1] / norm, z = d[2] / norm;
        double basis[16], bx[16], by[16], bz[16];
        const int deg = static_cast<int>(degree), count = (deg + 1) * (deg + 1);
        sh_basis(deg, x, y, z, basis);
        sh_basis_grad(deg, x, y, z, bx, by, bz);
        float coef[16 * 3];
        SH.gather(i, count, coef);
        double gdir[3] = {0, 0, 0};
        for (int ch = 0; ch < 3; ++ch) {
          double sum = 0.5;
          for (int k = 0; k < count; ++k) sum += basis[k] * coef[k * 3 + ch];
          if (sum < 0) continue;  // clamped at 0
          const double g = gc[ch];
          for (int k = 0; k < count; ++k) {
            gcoef[k * 3 + ch] = static_cast<float>(basis[k] * g);
            const double c = coef[k * 3 + ch] * g;
            gdir[0] += c * bx[k], gdir[1] += c * by[k], gdir[2] += c * bz[k];
          }
        }
        if (raw_norm > 1e-12) {
          const double dot = gdir[0] * x + gdir[1] * y + gdir[2] * z;
          gmean[0] += (gdir[0] - dot * x) / norm, gmean[1] += (gdir[1] - dot * y) / norm;
          gmean[2] += (gdir[2] - dot * z) / norm;
        }
      }
    }
    if (K) SH.scatter(i, used, gcoef, gsh, grest);
    Projected P;
    project_one(cam, M + 3 * i, S + 3 * i, Q + 4 * i, P);
    double gp[3] = {0, 0, has_dep ? double(GDEP[i]) : 0.0};
    double gu = 0, gv = 0, gz = 0;  // gz: of the (where'd) z
    if (has_m2) gu += GM2[2 * i] * cam.fx, gv += GM2[2 * i + 1] * cam.fy;
    if (has_con && P.det > 0) {
      const float* gcon = GCON + 3 * i;
      if (gcon[0] != 0 || gcon[1] != 0 || gcon[2] != 0) {
        const double a = P.a, b = P.b, c = P.c, d2 = P.det * P.det;
        const double g0 = gcon[0], g1 = gcon[1], g2 = gcon[2];
        const double ga = (-g0 * c * c + g1 * b * c - g2 * b * b) / d2;
        const double gb = (2 * g0 * b * c - g1 * (P.det + 2 * b * b) + 2 * g2 * a * b) / d2;
        const double gc = (-g0 * b * b + g1 * a * b - g2 * a * a) / d2;
        double gT[2][3];
        for (int j = 0; j < 3; ++j) {
          gT[0][j] = 2 * ga * P.T[0][j] + gb * P.T[1][j];
          gT[1][j] = gb * P.T[0][j] + 2 * gc * P.T[1][j];
        }
        // T = JW (R S): gradients of JW and of R S.
        double gJW[2][3] = {{0, 0, 0}, {0, 0, 0}}, gRS[3][3];
        const float* s = S + 3 * i;
        for (int k = 0; k < 3; ++k)
          for (int j = 0; j < 3; ++j) {
            const double rs = P.R[k][j] * s[j];
            gJW[0][k] += gT[0][j] * rs, gJW[1][k] += gT[1][j] * rs;
            gRS[k][j] = gT[0][j] * P.JW[0][k] + gT[1][j] * P.JW[1][k];
          }
        double gR[3][3];
        for (int j = 0; j < 3; ++j) {
          double acc = 0;
          for (int k = 0; k < 3; ++k) acc += gRS[k][j] * P.R[k][j], gR[k][j] = gRS[k][j] * s[j];
          gs[3 * i + j] = static_cast<float>(acc);
        }
        const double w = P.qn[0], x = P.qn[1], y = P.qn[2], z = P.qn[3];
        const double gqn[4] = {
            2 * (-z * gR[0][1] + y * gR[0][2] + z * gR[1][0] - x * gR[1][2] - y * gR[2][0] + x * gR[2][1]),
            2 * (y * gR[0][1] + z * gR[0][2] + y * gR[1][0] - 2 * x * gR[1][1] - w * gR[1][2] + z * gR[2][0] +
                 w * gR[2][1] - 2 * x * gR[2][2]),
            2 * (-2 * y * gR[0][0] + x * gR[0][1] + w * gR[0][2] + x * gR[1][0] + z * gR[1][2] - w * gR[2][0] +
                 z * gR[2][1] - 2 * y * gR[2][2]),
            2 * (-2 * z * gR[0][0] - w * gR[0][1] + x * gR[0][2] + w * gR[1][0] - 2 * z * gR[1][1] + y * gR[1][2] +
                 x * gR[2][0] + y * gR[2][1])};
        const double dot = gqn[0] * w + gqn[1] * x + gqn[2] * y + gqn[3] * z;
        for (int k = 0; k < 4; ++k) gq[4 * i + k] = static_cast<float>((gqn[k] - dot * P.qn[k]) / P.qnorm);
        // JW rows: (j00 V0 + j02 V2), (j11 V1 + j12 V2).
        double gj00 = 0, gj02 = 0, gj11 = 0, gj12 = 0;
        for (int k = 0; k < 3; ++k) {
          gj00 += gJW[0][k] * cam.view[0][k], gj02 += gJW[0][k] * cam.view[2][k];
          gj11 += gJW[1][k] * cam.view[1][k], gj12 += gJW[1][k] * cam.view[2][k];
        }
        const double zz = P.z * P.z;
        gz += -gj00 * cam.fx / zz + gj02 * cam.fx * P.uc / zz - gj11 * cam.fy / zz + gj12 * cam.fy * P.vc / zz;
        if (P.u_free) gu += -gj02 * cam.fx / P.z;
        if (P.v_free) gv += -gj12 * cam.fy / P.z;
      }
    }
    gp[0] += gu / P.z, gp[1] += gv / P.z;
    gz += -(gu * P.p[0] + gv * P.p[1]) / (P.z * P.z);
    if (P.in_front) gp[2] += gz;
    for (int k = 0; k < 3; ++k)
      gm[3 * i + k] = static_cast<float>(gmean[k] + cam.view[0][k] * gp[0] + cam.view[1][k] * gp[1] +
                                         cam.view[2][k] * gp[2]);
  }
  clock.lap("pb.loop");
  return {g_means, g_scales, g_quats, g_sh, g_rest};
}

namespace {

// One drawn splat, in one cache line (the tile lists hold a copy of it for each tile it touches).
struct alignas(64) Splat {
  float x, y, a, b, c, opacity, floor;
  float rgb[3];
  float inv_a, det, reach;  // 1 / a, a c - b^2, -2 floor enlarged by a margin (for row_span)
  int16_t x0, x1, y0, y1;   // the drawing box (images are at most 32767 pixels wide and high)
};
static_assert(sizeof(Splat) == 64, "a splat fills one cache line");

void fill_splat(Splat& s, const float* m2, const float* con, float opacity, const float* rgb, const int* box) {
  s.x = m2[0], s.y = m2[1], s.a = con[0], s.b = con[1], s.c = con[2];
  s.opacity = opacity;
  s.floor = std::max(std::log(static_cast<float>(1.0 / 255.0) / opacity), -4.5f);
  for (int ch = 0; ch < 3; ++ch) s.rgb[ch] = rgb[ch];
  s.x0 = static_cast<int16_t>(box[0]), s.x1 = static_cast<int16_t>(box[1]);
  s.y0 = static_cast<int16_t>(box[2]), s.y1 = static_cast<int16_t>(box[3]);
  s.inv_a = s.a > 0 ? 1 / s.a : 0;
  s.det = static_cast<float>(double(s.a) * s.c - double(s.b) * s.b);
  s.reach = -2 * s.floor * (1 + 1e-3f) + 1e-5f;
}

// *to = *from for a cache line that is written whole, on x86 with non-temporal stores: the tile lists are
// written in random order and read back only after all of them (too many to stay in cache), so reading each
// line in first (as an ordinary store does) would only double the memory traffic.
inline void store_line(Splat* to, const Splat* from) {
#ifdef __SSE2__
  const __m128i* in = reinterpret_cast<const __m128i*>(from);
  __m128i* out = reinterpret_cast<__m128i*>(to);
  for (int k = 0; k < 4; ++k) _mm_stream_si128(out + k, _mm_load_si128(in + k));
#else
  *to = *from;
#endif
}

// exp(x) for x <= 0, to about 1 ulp, in a form the compiler vectorises (std::exp is a library call).
inline float fast_exp(float x) {
  x = std::max(x, -87.0f);
  const float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  const float r = (x - k * 0.693145751953125f) - k * 1.428606765330187045e-06f;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720, p = p * r + 1.0f / 120, p = p * r + 1.0f / 24, p = p * r + 1.0f / 6;
  p = p * r + 0.5f, p = p * r + 1.0f, p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// The pixels [x0, x1] of row py (clipped to [lo, hi]) that can hold a fragment of s: a superset, by a margin, of
// those where power >= floor (the ellipse a dx^2 + 2 b dx dy + c dy^2 <= -2 floor), which are tested exactly.
inline bool row_span(const Splat& s, int py, int lo, int hi, int& x0, int& x1) {
  if (!(s.a > 0)) return x0 = lo, x1 = hi, lo <= hi;
  const float dy = (py + 0.5f) - s.y;
  const float disc = s.a * s.reach - s.det * dy * dy;
  if (disc < 0) return false;
  const float root = std::sqrt(disc) * s.inv_a, centre = s.x - 0.5f - s.b * dy * s.inv_a;
  x0 = std::max(lo, static_cast<int>(std::ceil(centre - root)) - 1);
  x1 = std::min(hi, static_cast<int>(std::floor(centre + root)) + 1);
  return x0 <= x1;
}

// power = -(a dx^2 + c dy^2) / 2 - b dx dy and exp(power) along pixels x0..x1 of row py (at most TILE).
inline void row_powers(const Splat& s, int py, int x0, int x1, float* power, float* e) {
  const float dy = (py + 0.5f) - s.y;
  const int count = x1 - x0 + 1;
  for (int k = 0; k < count; ++k) {
    const float dx = (x0 + k + 0.5f) - s.x;
    power[k] = -0.5f * (s.a * dx * dx + s.c * dy * dy) - s.b * dx * dy;
  }
  for (int k = 0; k < count; ++k) e[k] = fast_exp(power[k]);
}

// The drawn splats (those whose drawing box is not empty) front to back, ties by index: their Gaussian ids in
// that order. A stable LSD radix sort of (depth, index), 11 bits a pass on the depth's bits (mapped to an
// unsigned order), in parallel: each thread counts and scatters a contiguous chunk, so ties keep index order.
torch::Tensor depth_order(const float* dep, const int* box, int64_t n, int nt, Clock& clock) {
  std::vector<int64_t> counts(nt + 1, 0);
#pragma omp parallel for schedule(static, 1) num_threads(nt)
  for (int t = 0; t < nt; ++t) {
    int64_t count = 0;
    for (int64_t i = chunk(n, t, nt); i < chunk(n, t + 1, nt); ++i) count += box[4 * i] <= box[4 * i + 1];
    counts[t + 1] = count;
  }
  for (int t = 0; t < nt; ++t) counts[t + 1] += counts[t];
  const int64_t m = counts[nt];
  auto i64 = torch::TensorOptions().dtype(torch::kInt64);
  auto first = big_empty({m}, i64), second = big_empty({m}, i64);
  uint64_t* src = reinterpret_cast<uint64_t*>(first.data_ptr<int64_t>());
  uint64_t* dst = reinterpret_cast<uint64_t*>(second.data_ptr<int64_t>());
#pragma omp parallel for schedule(static, 1) num_threads(nt)
  for (int t = 0; t < nt; ++t) {
    int64_t k = counts[t];
    for (int64_t i = chunk(n, t, nt); i < chunk(n, t + 1, nt); ++i) {
      if (box[4 * i] > box[4 * i + 1]) continue;
      uint32_t bits;
      const float depth = dep[i] + 0.0f;  // -0 -> +0
      std::memcpy(&bits, &depth, sizeof bits);
      bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);  // float order as unsigned order
      src[k++] = (uint64_t(bits) << 32) | uint64_t(i);
    }
  }
  clock.lap("cf.keys");
  constexpr int BITS = 11, BUCKETS = 1 << BITS;
  std::vector<int64_t> hist(static_cast<size_t>(nt) * BUCKETS);
  for (int shift = 32; shift < 64; shift += BITS) {
    std::fill(hist.begin(), hist.end(), 0);
#pragma omp parallel for schedule(static, 1) num_threads(nt)
    for (int t = 0; t < nt; ++t) {
      int64_t* h = hist.data() + static_cast<size_t>(t) * BUCKETS;
      for (int64_t r = chunk(m, t, nt); r < chunk(m, t + 1, nt); ++r) ++h[(src[r] >> shift) & (BUCKETS - 1)];
    }
    int64_t total = 0;
    bool trivial = false;  // every key has the same digit: nothing moves
    for (int d = 0; d < BUCKETS; ++d) {
      int64_t in_bucket = 0;
      for (int t = 0; t < nt; ++t) {
        int64_t& h = hist[static_cast<size_t>(t) * BUCKETS + d];
        const int64_t count = h;
        h = total, total += count, in_bucket += count;
      }
      trivial |= in_bucket == m;
    }
    if (trivial) continue;
#pragma omp parallel for schedule(static, 1) num_threads(nt)
    for (int t = 0; t < nt; ++t) {
      int64_t* h = hist.data() + static_cast<size_t>(t) * BUCKETS;
      for (int64_t r = chunk(m, t, nt); r < chunk(m, t + 1, nt); ++r) dst[h[(src[r] >> shift) & (BUCKETS - 1)]++] = src[r];
    }
    std::swap(src, dst);
  }
  auto ids = torch::empty({m}, torch::TensorOptions().dtype(torch::kInt32));
  int* gid = ids.data_ptr<int>();
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t r = 0; r < m; ++r) gid[r] = static_cast<int>(src[r] & 0xffffffffu);
  clock.lap("cf.sort");
  return ids;
}

}  // namespace

// Tiled compositing. means2d (N,2), conics (N,3), opacities (N,), colours (N,3), background (3,), depths (N,),
// boxes (N,4) int32 from project_forward. Returns image (3,H,W), alpha (H,W), and what the backward pass
// needs: final transmittance (H,W), each pixel's end in its tile's list (H,W) int32, the tile starts in the
// pair lists, the splats' Gaussian ids by rank, each rank's pair positions (and its offsets into them,
// (M+1,)), and the tile lists themselves: a copy of each splat per tile it touches, in tile order and in
// depth order within a tile (P x 64 bytes, uint8), so that compositing, forward and backward, reads each
// tile's splats from contiguous memory rather than gathering them from all over the splat array.
std::vector<torch::Tensor> composite_forward(torch::Tensor means2d, torch::Tensor conics, torch::Tensor opacities,
                                             torch::Tensor colours, torch::Tensor background, torch::Tensor depths,
                                             torch::Tensor boxes, int64_t width, int64_t height) {
  const int64_t n = means2d.size(0);
  check(means2d, "means2d", n, 2), check(conics, "conics", n, 3), check(opacities, "opacities", n, 1);
  check(colours, "colours", n, 3), check(depths, "depths", n, 1), check(background, "background", 3, 1);
  TORCH_CHECK(boxes.dtype() == torch::kInt32 && boxes.is_contiguous() && boxes.numel() == n * 4, "boxes");
  TORCH_CHECK(width > 0 && height > 0 && width <= 32767 && height <= 32767, "images are 1 to 32767 pixels wide");
  const int W = static_cast<int>(width), H = static_cast<int>(height);
  const int tiles_x = (W + TILE - 1) / TILE, tiles_y = (H + TILE - 1) / TILE, num_tiles = tiles_x * tiles_y;
  const int nt = threads();
  const int* box = boxes.data_ptr<int>();
  const float* dep = depths.data_ptr<float>();
  Clock clock;

  // The drawn splats, front to back: their rank is their position in this order.
  auto ids = depth_order(dep, box, n, nt, clock);
  const int64_t m = ids.size(0);
  const int* gid = ids.data_ptr<int>();
  auto splats_t = big_empty({m * static_cast<int64_t>(sizeof(Splat))}, torch::TensorOptions().dtype(torch::kUInt8));
  Splat* splats = reinterpret_cast<Splat*>(splats_t.data_ptr<uint8_t>());
  auto offsets_t = big_empty({m + 1}, torch::TensorOptions().dtype(torch::kInt64));
  int64_t* pair_offset = offsets_t.data_ptr<int64_t>();
  pair_offset[0] = 0;
  const float *m2 = means2d.data_ptr<float>(), *con = conics.data_ptr<float>(), *op = opacities.data_ptr<float>();
  const float* col = colours.data_ptr<float>();
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t r = 0; r < m; ++r) {
    if (r + 16 < m) {  // the Gaussians are far apart in depth order
      const int ahead = gid[r + 16];
      __builtin_prefetch(m2 + 2 * ahead), __builtin_prefetch(con + 3 * ahead), __builtin_prefetch(op + ahead);
      __builtin_prefetch(col + 3 * ahead), __builtin_prefetch(box + 4 * ahead);
    }
    const int i = gid[r];
    Splat& s = splats[r];
    fill_splat(s, m2 + 2 * i, con + 3 * i, op[i], col + 3 * i, box + 4 * i);
    pair_offset[r + 1] = int64_t(s.x1 / TILE - s.x0 / TILE + 1) * (s.y1 / TILE - s.y0 / TILE + 1);
  }
  clock.lap("cf.splats");
  prefix_sum(pair_offset + 1, m, nt);
  const int64_t num_pairs = pair_offset[m];
  clock.lap("cf.prefix");

  // Counting sort of the (tile, rank) pairs by tile; each thread takes a contiguous range of ranks, so each
  // tile's list comes out in rank (depth) order.
  std::vector<int64_t> cursor(static_cast<size_t>(nt) * num_tiles, 0);
#pragma omp parallel for schedule(static, 1) num_threads(nt)
  for (int t = 0; t < nt; ++t) {
    int64_t* hist = cursor.data() + static_cast<size_t>(t) * num_tiles;
    for (int64_t r = chunk(m, t, nt); r < chunk(m, t + 1, nt); ++r) {
      const Splat& s = splats[r];
      for (int ty = s.y0 / TILE; ty <= s.y1 / TILE; ++ty)
        for (int tx = s.x0 / TILE; tx <= s.x1 / TILE; ++tx) ++hist[ty * tiles_x + tx];
    }
  }
  auto tile_start_t = torch::empty({num_tiles + 1}, torch::TensorOptions().dtype(torch::kInt64));
  int64_t* tile_start = tile_start_t.data_ptr<int64_t>();
  int64_t total = 0;
  for (int tile = 0; tile < num_tiles; ++tile) {
    tile_start[tile] = total;
    for (int t = 0; t < nt; ++t) {
      const int64_t count = cursor[static_cast<size_t>(t) * num_tiles + tile];
      cursor[static_cast<size_t>(t) * num_tiles + tile] = total;
      total += count;
    }
  }
  tile_start[num_tiles] = total;
  clock.lap("cf.hist");
  auto pairs_t = big_empty({num_pairs * static_cast<int64_t>(sizeof(Splat))},
                            torch::TensorOptions().dtype(torch::kUInt8));
  auto position_t = big_empty({num_pairs}, torch::TensorOptions().dtype(torch::kInt64));
  Splat* pairs = reinterpret_cast<Splat*>(pairs_t.data_ptr<uint8_t>());
  int64_t* position = position_t.data_ptr<int64_t>();
#pragma omp parallel for schedule(static, 1) num_threads(nt)
  for (int t = 0; t < nt; ++t) {
    int64_t* cur = cursor.data() + static_cast<size_t>(t) * num_tiles;
    for (int64_t r = chunk(m, t, nt); r < chunk(m, t + 1, nt); ++r) {
      const Splat& s = splats[r];
      int64_t k = pair_offset[r];
      for (int ty = s.y0 / TILE; ty <= s.y1 / TILE; ++ty)
        for (int tx = s.x0 / TILE; tx <= s.x1 / TILE; ++tx) {
          const int64_t slot = cur[ty * tiles_x + tx]++;
          store_line(&pairs[slot], &s);
          position[k++] = slot;
        }
    }
#ifdef __SSE2__
    _mm_sfence();  // the streamed lines are seen by the other threads after the loop
#endif
  }
  clock.lap("cf.scatter");

  auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  auto image = torch::empty({3, H, W}, f32), alpha = torch::empty({H, W}, f32), final_t = torch::empty({H, W}, f32);
  auto last_t = torch::empty({H, W}, torch::TensorOptions().dtype(torch::kInt32));
  float *img = image.data_ptr<float>(), *alp = alpha.data_ptr<float>(), *fin = final_t.data_ptr<float>();
  int* last_out = last_t.data_ptr<int>();
  const float* bg = background.data_ptr<float>();
  const int64_t plane = int64_t(H) * W;

#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int tile = 0; tile < num_tiles; ++tile) {
    const int tx0 = (tile % tiles_x) * TILE, ty0 = (tile / tiles_x) * TILE;
    const int tw = std::min(TILE, W - tx0), th = std::min(TILE, H - ty0), npix = tw * th;
    float T[TILE * TILE], C[3][TILE * TILE];
    int last[TILE * TILE];
    bool done[TILE * TILE];
    for (int p = 0; p < TILE * TILE; ++p) T[p] = 1, C[0][p] = C[1][p] = C[2][p] = 0, last[p] = 0, done[p] = false;
    int remaining = npix;
    const int64_t start = tile_start[tile], end = tile_start[tile + 1];
    for (int64_t j = start; j < end && remaining; ++j) {
      const Splat& s = pairs[j];
      const int x0 = std::max<int>(s.x0, tx0), x1 = std::min<int>(s.x1, tx0 + tw - 1);
      const int y0 = std::max<int>(s.y0, ty0), y1 = std::min<int>(s.y1, ty0 + th - 1);
      for (int py = y0; py <= y1; ++py) {
        int row0, row1;
        if (!row_span(s, py, x0, x1, row0, row1)) continue;
        float powers[TILE], e[TILE];
        row_powers(s, py, row0, row1, powers, e);
        for (int px = row0; px <= row1; ++px) {
          const int p = (py - ty0) * TILE + (px - tx0);
          if (done[p]) continue;
          const float power = powers[px - row0];
          if (power < s.floor) continue;
          const float a = std::min(ALPHA_MAX, s.opacity * e[px - row0]);
          const float next = T[p] * (1 - a);
          if (next < T_MIN) {
            done[p] = true, --remaining;
            continue;
          }
          const float w = a * T[p];
          C[0][p] += w * s.rgb[0], C[1][p] += w * s.rgb[1], C[2][p] += w * s.rgb[2];
          T[p] = next;
          last[p] = static_cast<int>(j - start) + 1;
        }
      }
    }
    for (int ly = 0; ly < th; ++ly)
      for (int lx = 0; lx < tw; ++lx) {
        const int p = ly * TILE + lx;
        const int64_t o = int64_t(ty0 + ly) * W + tx0 + lx;
        for (int ch = 0; ch < 3; ++ch) img[ch * plane + o] = C[ch][p] + T[p] * bg[ch];
        alp[o] = 1 - T[p];
        fin[o] = T[p];
        last_out[o] = last[p];
      }
  }
  clock.lap("cf.blend");
  return {image, alpha, final_t, last_t, tile_start_t, ids, position_t, offsets_t, pairs_t};
}

// Gradients of means2d, conics, opacities, colours (N, ...) of the N Gaussians and of background (3,) from those
// of image and alpha; the other tensors are what composite_forward returned for its backward pass.
std::vector<torch::Tensor> composite_backward(int64_t n, torch::Tensor background, torch::Tensor final_t,
                                              torch::Tensor last_t, torch::Tensor tile_start_t, torch::Tensor ids,
                                              torch::Tensor position_t, torch::Tensor offsets_t, torch::Tensor pairs_t,
                                              torch::Tensor g_image, torch::Tensor g_alpha) {
  const int H = static_cast<int>(final_t.size(0)), W = static_cast<int>(final_t.size(1));
  const int tiles_x = (W + TILE - 1) / TILE, tiles_y = (H + TILE - 1) / TILE, num_tiles = tiles_x * tiles_y;
  const int nt = threads();
  const int64_t m = ids.size(0), num_pairs = position_t.size(0);
  check(g_image, "g_image", 3, H * W), check(g_alpha, "g_alpha", H, W);
  TORCH_CHECK(pairs_t.numel() == num_pairs * static_cast<int64_t>(sizeof(Splat)), "pairs");
  const float* bg = background.data_ptr<float>();
  const float *fin = final_t.data_ptr<float>(), *gi = g_image.data_ptr<float>(), *ga = g_alpha.data_ptr<float>();
  const int *last_in = last_t.data_ptr<int>(), *gid = ids.data_ptr<int>();
  const int64_t *tile_start = tile_start_t.data_ptr<int64_t>(), *position = position_t.data_ptr<int64_t>();
  const int64_t* pair_offset = offsets_t.data_ptr<int64_t>();
  const Splat* pairs = reinterpret_cast<const Splat*>(pairs_t.data_ptr<uint8_t>());
  const int64_t plane = int64_t(H) * W;
  Clock clock;

  constexpr int G = 9;  // x, y, conic a b c, opacity, r g b
  auto pair_grad_t = big_empty({num_pairs, G}, torch::TensorOptions().dtype(torch::kFloat32));
  float* pair_grad = pair_grad_t.data_ptr<float>();
  std::vector<double> bg_grad(static_cast<size_t>(num_tiles) * 3, 0.0);

#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int tile = 0; tile < num_tiles; ++tile) {
    const int tx0 = (tile % tiles_x) * TILE, ty0 = (tile / tiles_x) * TILE;
    const int tw = std::min(TILE, W - tx0), th = std::min(TILE, H - ty0);
    float T[TILE * TILE], S[3][TILE * TILE], GI[3][TILE * TILE], GA[TILE * TILE], TF[TILE * TILE];
    int last[TILE * TILE];
    int max_last = 0;
    double gbg[3] = {0, 0, 0};
    for (int ly = 0; ly < th; ++ly)
      for (int lx = 0; lx < tw; ++lx) {
        const int p = ly * TILE + lx;
        const int64_t o = int64_t(ty0 + ly) * W + tx0 + lx;
        T[p] = TF[p] = fin[o];
        GA[p] = ga[o];
        last[p] = last_in[o];
        max_last = std::max(max_last, last[p]);
        for (int ch = 0; ch < 3; ++ch) {
          GI[ch][p] = gi[ch * plane + o];
          S[ch][p] = fin[o] * bg[ch];
          gbg[ch] += double(GI[ch][p]) * fin[o];
        }
      }
    for (int ch = 0; ch < 3; ++ch) bg_grad[static_cast<size_t>(tile) * 3 + ch] = gbg[ch];
    const int64_t start = tile_start[tile], end = tile_start[tile + 1];
    for (int64_t j = start + max_last; j < end; ++j)
      for (int k = 0; k < G; ++k) pair_grad[j * G + k] = 0;
    for (int64_t j = start + max_last - 1; j >= start; --j) {
      const Splat& s = pairs[j];
      const int index = static_cast<int>(j - start);
      const int x0 = std::max<int>(s.x0, tx0), x1 = std::min<int>(s.x1, tx0 + tw - 1);
      const int y0 = std::max<int>(s.y0, ty0), y1 = std::min<int>(s.y1, ty0 + th - 1);
      float g[G] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
      for (int py = y0; py <= y1; ++py) {
        int row0, row1;
        if (!row_span(s, py, x0, x1, row0, row1)) continue;
        float powers[TILE], es[TILE];
        row_powers(s, py, row0, row1, powers, es);
        const float dy = (py + 0.5f) - s.y;
        for (int px = row0; px <= row1; ++px) {
          const int p = (py - ty0) * TILE + (px - tx0);
          if (index >= last[p]) continue;
          const float dx = (px + 0.5f) - s.x;
          const float power = powers[px - row0];
          if (power < s.floor) continue;
          const float e = es[px - row0], raw = s.opacity * e;
          const float a = std::min(ALPHA_MAX, raw);
          const float inv_keep = 1 / (1 - a);
          const float t_before = T[p] * inv_keep;
          const float w = a * t_before;
          float g_a = GA[p] * TF[p] * inv_keep;
          for (int ch = 0; ch < 3; ++ch) {
            g_a += GI[ch][p] * (t_before * s.rgb[ch] - S[ch][p] * inv_keep);
            g[6 + ch] += w * GI[ch][p];
            S[ch][p] += w * s.rgb[ch];
          }
          T[p] = t_before;
          if (raw > ALPHA_MAX) continue;  // the clamp passes no gradient
          g[5] += g_a * e;
          const float g_power = g_a * raw;
          g[0] += g_power * (s.a * dx + s.b * dy);
          g[1] += g_power * (s.c * dy + s.b * dx);
          g[2] += -0.5f * g_power * dx * dx;
          g[3] += -g_power * dx * dy;
          g[4] += -0.5f * g_power * dy * dy;
        }
      }
      for (int k = 0; k < G; ++k) pair_grad[j * G + k] = g[k];
    }
  }
  clock.lap("cb.tiles");

  // Each drawn Gaussian's pairs, summed in a fixed order; zeros for the others (written in parallel, not
  // zero-filled first).
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  auto g_means2d = big_empty({n, 2}, f32), g_conics = big_empty({n, 3}, f32);
  auto g_opacities = big_empty({n}, f32), g_colours = big_empty({n, 3}, f32);
  float *gm2 = g_means2d.data_ptr<float>(), *gcon = g_conics.data_ptr<float>(), *gop = g_opacities.data_ptr<float>();
  float* gcol = g_colours.data_ptr<float>();
#pragma omp parallel num_threads(nt)
  {
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      gm2[2 * i] = gm2[2 * i + 1] = 0;
      gcon[3 * i] = gcon[3 * i + 1] = gcon[3 * i + 2] = 0;
      gop[i] = 0;
      gcol[3 * i] = gcol[3 * i + 1] = gcol[3 * i + 2] = 0;
    }
#pragma omp for schedule(static)
    for (int64_t r = 0; r < m; ++r) {
      float g[G] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
      for (int64_t k = pair_offset[r]; k < pair_offset[r + 1]; ++k) {
        const float* pg = pair_grad + position[k] * G;
        for (int q = 0; q < G; ++q) g[q] += pg[q];
      }
      const int i = gid[r];
      gm2[2 * i] = g[0], gm2[2 * i + 1] = g[1];
      gcon[3 * i] = g[2], gcon[3 * i + 1] = g[3], gcon[3 * i + 2] = g[4];
      gop[i] = g[5];
      gcol[3 * i] = g[6], gcol[3 * i + 1] = g[7], gcol[3 * i + 2] = g[8];
    }
  }
  clock.lap("cb.reduce");
  auto g_background = torch::empty({3}, f32);
  for (int ch = 0; ch < 3; ++ch) {
    double sum = 0;
    for (int tile = 0; tile < num_tiles; ++tile) sum += bg_grad[static_cast<size_t>(tile) * 3 + ch];
    g_background.data_ptr<float>()[ch] = static_cast<float>(sum);
  }
  return {g_means2d, g_conics, g_opacities, g_colours, g_background};
}

// The fused SSIM loss (ssim.cpp, the module's second source).
std::vector<torch::Tensor> ssim_forward(torch::Tensor image, torch::Tensor target, torch::Tensor window,
                                        bool with_grad);
torch::Tensor ssim_backward(torch::Tensor image, torch::Tensor target, torch::Tensor window, torch::Tensor d_mu,
                            torch::Tensor d_xx, torch::Tensor d_xy, double scale);

PYBIND11_MODULE(TORCH_EXTENSION_NAME, module) {
  module.def("project_forward", &project_forward, "projection and SH colour of 3D Gaussians");
  module.def("project_backward", &project_backward, "gradients of project_forward");
  module.def("composite_forward", &composite_forward, "tiled front-to-back compositing");
  module.def("composite_backward", &composite_backward, "gradients of composite_forward");
  module.def("release_buffers", [] { block_cache().release(); }, "free the cached big buffers");
  module.def("ssim_forward", &ssim_forward, "mean SSIM of two images (and its derivative maps)");
  module.def("ssim_backward", &ssim_backward, "gradient of ssim_forward with respect to the image");
}

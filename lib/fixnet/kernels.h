// fixnet: the numerical kernels of every layer, forward and backward, with a
// plain scalar reference beside each fast one (tests compare the two).
// All tensors are float NHWC, row-major; `n` is the number of examples.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fixnet/gemm_blocking.h"
#include "fixnet/parallel.h"
#include "fixnet/spec.h"

namespace fixnet {

// Scratch for the matrix-multiply core (see gemm::Workspace).
using GemmScratch = gemm::Workspace;

// Scratch floats a layer's matrix multiplies need on `workers` threads, for
// up to the planned rows: `a` per worker, `b` for the shared B panel,
// `split_b` per extra worker and `partial` in all when a product is split over K.
struct GemmNeeds {
  std::size_t a = 0, b = 0, split_b = 0, partial = 0;
};

constexpr std::size_t max_size(std::size_t x, std::size_t y) { return x > y ? x : y; }

// A plan holds m rows at most, so any fewer too: one example's product halves
// its sum over K at every worker count (gemm::sweep_partial_floats).
constexpr GemmNeeds gemm_needs(int m, int n, int k, int workers) {
  return GemmNeeds{gemm::pack_a_floats(m, k), gemm::pack_b_floats(n, k),
                   gemm::split_rows(m, n, k, workers) > 0 ? gemm::pack_b_floats(n, k) : 0,
                   max_size(gemm::partial_floats(m, n, k, workers), gemm::sweep_partial_floats(n, k))};
}

constexpr GemmNeeds max_needs(GemmNeeds x, GemmNeeds y) {
  return GemmNeeds{max_size(x.a, y.a), max_size(x.b, y.b), max_size(x.split_b, y.split_b),
                   max_size(x.partial, y.partial)};
}

// Floats per worker of dense_backward_update's strips: x^T's [n, kMR]
// packed and the gradient's [kMR, units].
constexpr std::size_t dense_update_floats(int n, int units) {
  return std::size_t(gemm::kMR) * (std::size_t(n) + std::size_t(units));
}

// Floats of dense_backward_update's shared panel: dy^T packed for dx, then
// dy packed for the gradient (kNR-column slivers, zero past the last column).
constexpr std::size_t dense_update_panel_floats(int n, int units) {
  return std::size_t(gemm::round_up(n, gemm::kNR)) * std::size_t(units) +
         std::size_t(n) * std::size_t(gemm::round_up(units, gemm::kNR));
}

// Forward y = x.w, weight gradient x^T.dy, input gradient dy.w^T, and the
// strips of a training step's update as it goes.
constexpr GemmNeeds dense_gemm_needs(int n, int inputs, int units, int workers) {
  GemmNeeds needs = max_needs(max_needs(gemm_needs(n, units, inputs, workers), gemm_needs(inputs, units, n, workers)),
                              gemm_needs(n, inputs, units, workers));
  needs.a = max_size(needs.a, dense_update_floats(n, units));
  needs.b = max_size(needs.b, dense_update_panel_floats(n, units));
  return needs;
}

// --- matrix multiply --------------------------------------------------------

// c[m, n] = a[m, k] . b[k, n] (+ c when accumulate), all row-major with leading
// dimensions equal to their widths. With m <= 4 the rows of b that meet only
// zeros of a are skipped, so b must be finite there (0 * inf would be NaN).
void matmul(int m, int n, int k, const float* a, const float* b, float* c, bool accumulate,
            const GemmScratch& scratch, const Parallel& parallel);
void matmul_reference(int m, int n, int k, const float* a, const float* b, float* c, bool accumulate);

// --- dense ------------------------------------------------------------------

// y[n, units] = x[n, inputs] . w[inputs, units] + b[units]; relu clamps y at 0.
// With n <= 4, rows of w that meet only zeros of x are skipped (w must be
// finite there, as a trained model's weights are).
void dense_forward(int n, int inputs, int units, const float* x, const float* w, const float* b,
                   float* y, bool relu, const GemmScratch& scratch, const Parallel& parallel);
// dw = x^T . dy, db = column sums of dy, and dx = dy . w^T unless dx is null.
void dense_backward(int n, int inputs, int units, const float* x, const float* w, const float* dy,
                    float* dw, float* db, float* dx, const GemmScratch& scratch, const Parallel& parallel);

// What a training step does with a piece of a weight gradient: elements
// [first, first + count) of it, whose values are at `gradient` (valid during
// the call only). Called from several workers at once on disjoint pieces.
struct GradientUpdate {
  void (*call)(void* context, std::size_t first, std::size_t count, const float* gradient) = nullptr;
  void* context = nullptr;
};

// dense_backward for a training step that updates w as it goes, in one pass
// over w: for each strip of kMR rows of w, its columns of dx, then its
// strip of the weight gradient (in scratch, never stored), handed to
// `update` while those rows of w are still in cache (update may change
// them: dx has used them). Each weight is handed over once. dx must not
// overlap x, w, dy or db. When the scratch cannot hold the strips
// (dense_update_floats per worker, dense_update_panel_floats shared), it is
// dense_backward into dw, then update on shares of dw, one per worker.
void dense_backward_update(int n, int inputs, int units, const float* x, const float* w, const float* dy,
                           float* dw, float* db, float* dx, const GemmScratch& scratch, const Parallel& parallel,
                           GradientUpdate update);

// --- 2-D convolution -----------------------------------------------------------

// Everything about one convolution's shapes; built by conv_geometry().
struct ConvGeometry {
  int n = 0;
  Dims input{}, output{};
  int kernel_h = 0, kernel_w = 0, stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
};
constexpr ConvGeometry conv_geometry(const LayerSpec& layer, Dims input, int n) {
  ConvGeometry g;
  g.n = n;
  g.input = input;
  g.output = layer_output_dims(layer, input);
  g.kernel_h = layer.window_h;
  g.kernel_w = layer.window_w;
  g.stride_h = layer.stride_h;
  g.stride_w = layer.stride_w;
  g.pad_top = window_padding_before(input.height, layer.window_h, layer.stride_h, layer.padding);
  g.pad_left = window_padding_before(input.width, layer.window_w, layer.stride_w, layer.padding);
  return g;
}

// Pixels in a row of a stride-1 convolution's input widened with its zero
// padding: every output pixel's patch lies inside it.
constexpr int conv2d_padded_width(const ConvGeometry& g) { return g.output.width + g.kernel_w - 1; }

// Floats per worker of a convolution's unpacked paths (stride 1, filters a
// multiple of kLanes; conv_direct.h), which read the input rows of one
// image widened with zero padding; 0 when it packs instead.
constexpr std::size_t conv2d_direct_floats(const ConvGeometry& g) {
  if (g.stride_h != 1 || g.stride_w != 1 || g.output.channels % gemm::kLanes != 0) return 0;
  return std::size_t(g.input.height) * std::size_t(conv2d_padded_width(g)) * std::size_t(g.input.channels);
}

// Floats per worker of a stride-1 filter gradient without packing on
// `workers` threads: the padded image and, with several workers, a part's
// sums over its images (the filters' size); 0 when it packs instead.
constexpr std::size_t conv2d_direct_gradient_floats(const ConvGeometry& g, int workers) {
  const std::size_t band = conv2d_direct_floats(g);
  if (band == 0 || workers <= 1) return band;
  return band + std::size_t(g.kernel_h) * std::size_t(g.kernel_w) * std::size_t(g.input.channels) *
                    std::size_t(g.output.channels);
}

// True when g takes the Winograd path (conv_winograd.h): 5x5, stride 1,
// channels a whole number of vectors, filters of kernel tiles.
constexpr bool conv2d_winograd_applies(const ConvGeometry& g) {
  return g.kernel_h == 5 && g.kernel_w == 5 && g.stride_h == 1 && g.stride_w == 1 && g.input.channels > 0 &&
         g.input.channels % gemm::kLanes == 0 && g.output.channels % gemm::kConvWidth == 0;
}

// Floats of the Winograd path's transformed filters [64, channels, filters],
// shared by all workers; 0 when g does not take it.
constexpr std::size_t conv2d_winograd_filter_floats(const ConvGeometry& g) {
  if (!conv2d_winograd_applies(g)) return 0;
  return std::size_t(gemm::kWinogradPoints) * std::size_t(g.input.channels) * std::size_t(g.output.channels);
}

// Floats per worker of the Winograd path: one block's transformed inputs
// [64, kWinogradTiles, channels] and products [64, kWinogradTiles, kConvWidth].
constexpr std::size_t conv2d_winograd_worker_floats(const ConvGeometry& g) {
  if (!conv2d_winograd_applies(g)) return 0;
  return std::size_t(gemm::kWinogradPoints) * std::size_t(gemm::kWinogradTiles) *
         std::size_t(g.input.channels + gemm::kConvWidth);
}

// Floats per worker of the Winograd filter gradient on `workers` threads:
// one block's transformed inputs [64, kWinogradTiles, channels] and output
// gradients [64, kWinogradTiles, filters], and with several workers the
// sums over a part of the tiles [64, channels, filters] (part 0's go in the
// shared B panel, conv2d_winograd_filter_floats(g)).
constexpr std::size_t conv2d_winograd_gradient_floats(const ConvGeometry& g, int workers) {
  if (!conv2d_winograd_applies(g)) return 0;
  return std::size_t(gemm::kWinogradPoints) * std::size_t(gemm::kWinogradTiles) *
             std::size_t(g.input.channels + g.output.channels) +
         (workers > 1 ? conv2d_winograd_filter_floats(g) : 0);
}

// The forward product of a convolution whose filters, if it goes by
// Winograd's method, were transformed elsewhere (conv2d_forward_transformed).
constexpr GemmNeeds conv2d_forward_transformed_needs(const ConvGeometry& g, int workers) {
  const int taps = g.kernel_h * g.kernel_w;
  GemmNeeds needs = gemm_needs(g.n * g.output.height * g.output.width, g.output.channels, taps * g.input.channels,
                               workers);
  needs.a = max_size(needs.a, max_size(conv2d_direct_floats(g), conv2d_winograd_worker_floats(g)));
  return needs;
}

// The forward product of a convolution without Winograd's method (its
// packed or direct path alone: conv2d_forward takes the direct one when the
// scratch holds no transformed filters).
constexpr GemmNeeds conv2d_direct_forward_needs(const ConvGeometry& g, int workers) {
  const int taps = g.kernel_h * g.kernel_w;
  GemmNeeds needs = gemm_needs(g.n * g.output.height * g.output.width, g.output.channels, taps * g.input.channels,
                               workers);
  needs.a = max_size(needs.a, conv2d_direct_floats(g));
  return needs;
}

// The forward product of a convolution (conv2d_forward), Winograd's
// transformed filters included.
constexpr GemmNeeds conv2d_forward_needs(const ConvGeometry& g, int workers) {
  GemmNeeds needs = conv2d_forward_transformed_needs(g, workers);
  needs.b = max_size(needs.b, conv2d_winograd_filter_floats(g));
  return needs;
}

// For a stride-1 convolution, its input gradient is another one: dy through
// the filters flipped in both axes with channels and filters swapped, padded
// by kernel - 1 - pad.
constexpr ConvGeometry conv2d_input_gradient_geometry(const ConvGeometry& g) {
  ConvGeometry t = g;
  t.input = g.output;
  t.output = g.input;
  t.pad_top = g.kernel_h - 1 - g.pad_top;
  t.pad_left = g.kernel_w - 1 - g.pad_left;
  return t;
}

// Forward, filter gradient and input gradient products of a convolution; a
// stride-1 input gradient computed as a convolution also needs its flipped
// filters in the shared B panel.
constexpr GemmNeeds conv2d_gemm_needs(const ConvGeometry& g, int workers) {
  const int positions = g.n * g.output.height * g.output.width;
  const int pixels = g.n * g.input.height * g.input.width;
  const int taps = g.kernel_h * g.kernel_w;
  GemmNeeds input_gradient = gemm_needs(pixels, g.input.channels, taps * g.output.channels, workers);
  const ConvGeometry t = conv2d_input_gradient_geometry(g);
  const std::size_t direct = conv2d_direct_floats(t);
  if (direct > 0) {  // flipped filters, then (Winograd) their transform
    const std::size_t flipped = std::size_t(taps) * std::size_t(g.input.channels) * std::size_t(g.output.channels);
    input_gradient.a = max_size(input_gradient.a, max_size(direct, conv2d_winograd_worker_floats(t)));
    input_gradient.b = max_size(input_gradient.b, flipped + conv2d_winograd_filter_floats(t));
  }
  GemmNeeds filter_gradient = gemm_needs(taps * g.input.channels, g.output.channels, positions, workers);
  filter_gradient.a = max_size(filter_gradient.a, max_size(conv2d_direct_gradient_floats(g, workers),
                                                            conv2d_winograd_gradient_floats(g, workers)));
  filter_gradient.b = max_size(filter_gradient.b, conv2d_winograd_filter_floats(g));  // part 0's sums
  return max_needs(max_needs(conv2d_forward_needs(g, workers), filter_gradient), input_gradient);
}

// y[n, oh, ow, f] = sum over (ky, kx, c) of x[n, oy*sh+ky-pt, ox*sw+kx-pl, c] . w[ky, kx, c, f]
// + b[f] (zero outside the image); relu clamps y at 0.
void conv2d_forward(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y,
                    bool relu, const GemmScratch& scratch, const Parallel& parallel);
// For a convolution that goes by Winograd's method (conv2d_winograd_applies):
// u = its filters w transformed (conv2d_winograd_filter_floats(g) floats), and
// the forward pass from them, as conv2d_forward computes it, with scratch
// for conv2d_forward_transformed_needs. Transforming once serves every
// forward pass until the weights change.
void conv2d_transform_filters(const ConvGeometry& g, const float* w, float* u, const Parallel& parallel);
void conv2d_forward_transformed(const ConvGeometry& g, const float* x, const float* u, const float* b, float* y,
                                bool relu, const GemmScratch& scratch, const Parallel& parallel);
// dw[kh, kw, c, f] and db[f] from the input x and the output gradient dy.
void conv2d_backward_filter(const ConvGeometry& g, const float* x, const float* dy, float* dw,
                            float* db, const GemmScratch& scratch, const Parallel& parallel);
// dx[n, h, w, c] from dy and the weights (overwrites dx).
void conv2d_backward_input(const ConvGeometry& g, const float* dy, const float* w, float* dx,
                           const GemmScratch& scratch, const Parallel& parallel);

void conv2d_forward_reference(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y);
void conv2d_backward_filter_reference(const ConvGeometry& g, const float* x, const float* dy, float* dw, float* db);
void conv2d_backward_input_reference(const ConvGeometry& g, const float* dy, const float* w, float* dx);

// --- pooling ---------------------------------------------------------------------

// Same fields as a convolution; output.channels == input.channels. A global
// average pool is a VALID average pool whose window is the whole image.
using PoolGeometry = ConvGeometry;
constexpr PoolGeometry pool_geometry(const LayerSpec& layer, Dims input, int n) {
  if (layer.kind != LayerKind::global_avg_pool) return conv_geometry(layer, input, n);
  LayerSpec whole = avg_pool(1, 1, Padding::valid);
  whole.window_h = input.height;
  whole.window_w = input.width;
  return conv_geometry(whole, input, n);
}

// y = the maximum of each window of x; padding never wins.
void max_pool_forward(const PoolGeometry& g, const float* x, float* y);
// dx = dy routed to the first maximum of each window (overwrites dx).
void max_pool_backward(const PoolGeometry& g, const float* x, const float* dy, float* dx);
void max_pool_forward_reference(const PoolGeometry& g, const float* x, float* y);
void max_pool_backward_reference(const PoolGeometry& g, const float* x, const float* dy, float* dx);

// y = the mean of the cells of each window of x inside the image.
void avg_pool_forward(const PoolGeometry& g, const float* x, float* y);
// dx = each window's dy shared equally among its cells inside the image (overwrites dx).
void avg_pool_backward(const PoolGeometry& g, const float* dy, float* dx);

// --- element-wise ----------------------------------------------------------------

// y = max(x, 0); x and y may be the same buffer.
void relu_forward(std::size_t count, const float* x, float* y);
// dx = dy where y > 0, else 0; dx may alias dy.
void relu_backward(std::size_t count, const float* y, const float* dy, float* dx);
// y = 1 / (1 + e^-x) and y = tanh(x); x and y may be the same buffer.
void sigmoid_forward(std::size_t count, const float* x, float* y);
void tanh_forward(std::size_t count, const float* x, float* y);
// dx = dy * y * (1 - y) and dx = dy * (1 - y^2), from the outputs y; dx may alias dy.
void sigmoid_backward(std::size_t count, const float* y, const float* dy, float* dx);
void tanh_backward(std::size_t count, const float* y, const float* dy, float* dx);
// y = x * mask (mask holds 0 or 1/keep_prob); any of them may alias.
void multiply_elementwise(std::size_t count, const float* x, const float* mask, float* y);
// sums[j] = sum over rows i of m[i, j], for m[rows, cols]; workers take
// shares of the columns, whole cache lines of them (each column summed in
// row order: the same on any count).
void column_sums(int rows, int cols, const float* m, float* sums, const Parallel& parallel);

}  // namespace fixnet

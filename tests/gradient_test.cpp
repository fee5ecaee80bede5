// fixnet tests: every backward pass against central finite differences.
// Each check takes L = sum(r * y) for a fixed random r, so dL/dy = r, and
// compares the analytic dL/d(input or parameter) with (L(v+h) - L(v-h)) / 2h.
#include <doctest.h>

#include <functional>
#include <string>

#include "fixnet/kernels.h"
#include "fixnet/loss.h"
#include "fixnet/model.h"
#include "test_util.h"

using namespace fixnet;
using fixnet_test::distinct_values;
using fixnet_test::random_values;

namespace {

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += double(a[i]) * double(b[i]);
  return s;
}

// Compares analytic[i] with the central difference of loss() in values[i].
void check_gradient(const char* what, std::vector<float>& values, const std::vector<float>& analytic,
                    const std::function<double()>& loss, float h = 1e-2f, double tolerance = 2e-3) {
  REQUIRE(values.size() == analytic.size());
  double worst = 0.0;
  std::size_t worst_at = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float saved = values[i];
    values[i] = saved + h;
    const double up = loss();
    values[i] = saved - h;
    const double down = loss();
    values[i] = saved;
    const double numeric = (up - down) / (2.0 * double(h));
    const double error = std::fabs(numeric - analytic[i]) / std::fmax(1.0, std::fabs(numeric));
    if (error > worst) {
      worst = error;
      worst_at = i;
    }
  }
  INFO(std::string(what) << ": worst relative error " << worst << " at element " << worst_at);
  CHECK(worst < tolerance);
}

struct ConvCase {
  Dims input;
  int filters, kernel_h, kernel_w, stride;
  Padding padding;
};

// SAME with odd and even inputs and kernels, stride 1 and 2; VALID with strides 1..3.
const ConvCase kConvCases[] = {
    {{5, 5, 2}, 3, 3, 3, 1, Padding::same},  {{6, 6, 3}, 2, 4, 4, 1, Padding::same},
    {{7, 6, 2}, 3, 3, 2, 2, Padding::same},  {{8, 8, 1}, 2, 5, 5, 2, Padding::same},
    {{6, 7, 2}, 2, 2, 2, 2, Padding::same},  {{7, 7, 3}, 2, 3, 3, 2, Padding::valid},
    {{6, 6, 2}, 3, 2, 2, 3, Padding::valid}, {{4, 5, 3}, 4, 1, 1, 1, Padding::same},
};

}  // namespace

TEST_CASE("conv2d backward passes match finite differences") {
  fixnet_test::TestScratch scratch;
  for (const ConvCase& c : kConvCases) {
    const LayerSpec layer = conv2d(c.filters, c.kernel_h, c.kernel_w, c.stride, c.padding);
    const ConvGeometry g = conv_geometry(layer, c.input, 2);
    CAPTURE(c.input.height);
    CAPTURE(c.input.width);
    CAPTURE(c.kernel_h);
    CAPTURE(c.stride);
    const std::size_t nx = std::size_t(g.n) * c.input.size(), ny = std::size_t(g.n) * g.output.size();
    std::vector<float> x = random_values(nx, 1), w = random_values(layer_weight_count(layer, c.input), 2),
                       b = random_values(std::size_t(c.filters), 3), r = random_values(ny, 4), y(ny);
    auto loss = [&] {
      conv2d_forward(g, x.data(), w.data(), b.data(), y.data(), false, scratch.get(), Parallel{});
      return dot(y, r);
    };
    std::vector<float> dx(nx), dw(w.size()), db(b.size());
    conv2d_backward_filter(g, x.data(), r.data(), dw.data(), db.data(), scratch.get(), Parallel{});
    conv2d_backward_input(g, r.data(), w.data(), dx.data(), scratch.get(), Parallel{});
    check_gradient("conv2d dx", x, dx, loss);
    check_gradient("conv2d dw", w, dw, loss);
    check_gradient("conv2d db", b, db, loss);
    // The scalar references obey the same definitions.
    conv2d_backward_filter_reference(g, x.data(), r.data(), dw.data(), db.data());
    conv2d_backward_input_reference(g, r.data(), w.data(), dx.data());
    check_gradient("reference conv2d dx", x, dx, loss);
    check_gradient("reference conv2d dw", w, dw, loss);
  }
}

TEST_CASE("dense backward pass matches finite differences") {
  fixnet_test::TestScratch scratch;
  const int n = 3, inputs = 7, units = 5;
  std::vector<float> x = random_values(n * inputs, 5), w = random_values(inputs * units, 6),
                     b = random_values(units, 7), r = random_values(n * units, 8), y(n * units);
  auto loss = [&] {
    dense_forward(n, inputs, units, x.data(), w.data(), b.data(), y.data(), false, scratch.get(), Parallel{});
    return dot(y, r);
  };
  std::vector<float> dx(x.size()), dw(w.size()), db(b.size());
  dense_backward(n, inputs, units, x.data(), w.data(), r.data(), dw.data(), db.data(), dx.data(), scratch.get(),
                 Parallel{});
  check_gradient("dense dx", x, dx, loss);
  check_gradient("dense dw", w, dw, loss);
  check_gradient("dense db", b, db, loss);
}

TEST_CASE("max_pool backward pass matches finite differences") {
  struct PoolCase {
    Dims input;
    int window, stride;
    Padding padding;
  };
  const PoolCase cases[] = {{{5, 5, 2}, 2, 2, Padding::same}, {{6, 6, 3}, 2, 2, Padding::same},
                            {{7, 5, 1}, 3, 2, Padding::same}, {{5, 6, 2}, 3, 1, Padding::same},
                            {{7, 7, 2}, 3, 2, Padding::valid}, {{4, 4, 17}, 2, 2, Padding::same}};
  for (const PoolCase& c : cases) {
    const PoolGeometry g = pool_geometry(max_pool(c.window, c.stride, c.padding), c.input, 2);
    const std::size_t nx = std::size_t(g.n) * c.input.size(), ny = std::size_t(g.n) * g.output.size();
    std::vector<float> x = distinct_values(nx, 9), r = random_values(ny, 10), y(ny), dx(nx);
    auto loss = [&] {
      max_pool_forward(g, x.data(), y.data());
      return dot(y, r);
    };
    max_pool_backward(g, x.data(), r.data(), dx.data());
    check_gradient("max_pool dx", x, dx, loss, 1e-3f);
    max_pool_backward_reference(g, x.data(), r.data(), dx.data());
    check_gradient("reference max_pool dx", x, dx, loss, 1e-3f);
  }
}

TEST_CASE("average-pooling backward passes match finite differences") {
  struct PoolCase {
    LayerSpec layer;
    Dims input;
  };
  // SAME windows clipped by padding (fewer cells), overlapping and VALID ones, global.
  const PoolCase cases[] = {{avg_pool(2, 2), {5, 5, 2}},          {avg_pool(3, 2), {7, 5, 1}},
                            {avg_pool(3, 1), {5, 6, 17}},         {avg_pool(3, 2, Padding::valid), {7, 7, 2}},
                            {global_avg_pool(), {4, 3, 17}},      {global_avg_pool(), {1, 1, 5}}};
  for (const PoolCase& c : cases) {
    const PoolGeometry g = pool_geometry(c.layer, c.input, 2);
    const std::size_t nx = std::size_t(g.n) * c.input.size(), ny = std::size_t(g.n) * g.output.size();
    std::vector<float> x = random_values(nx, 9), r = random_values(ny, 10), y(ny), dx(nx);
    auto loss = [&] {
      avg_pool_forward(g, x.data(), y.data());
      return dot(y, r);
    };
    avg_pool_backward(g, r.data(), dx.data());
    check_gradient("avg_pool dx", x, dx, loss);
  }
}

TEST_CASE("sigmoid and tanh backward passes match finite differences") {
  const std::size_t count = 203;  // not a multiple of any vector width
  std::vector<float> x = random_values(count, 11, -4.0f, 4.0f), r = random_values(count, 12), y(count), dx(count);
  auto sigmoid_loss = [&] {
    sigmoid_forward(count, x.data(), y.data());
    return dot(y, r);
  };
  sigmoid_loss();
  sigmoid_backward(count, y.data(), r.data(), dx.data());
  check_gradient("sigmoid dx", x, dx, sigmoid_loss, 1e-2f, 1e-3);
  auto tanh_loss = [&] {
    tanh_forward(count, x.data(), y.data());
    return dot(y, r);
  };
  tanh_loss();
  tanh_backward(count, y.data(), r.data(), dx.data());
  check_gradient("tanh dx", x, dx, tanh_loss, 1e-2f, 1e-3);
}

TEST_CASE("relu and dropout backward passes match finite differences") {
  // An odd count: not a multiple of any vector width, and distinct_values then
  // stays 0.005 away from relu's kink at 0.
  const std::size_t count = 203;
  std::vector<float> x = distinct_values(count, 11), r = random_values(count, 12), y(count), dx(count);
  auto relu_loss = [&] {
    relu_forward(count, x.data(), y.data());
    return dot(y, r);
  };
  relu_loss();
  relu_backward(count, y.data(), r.data(), dx.data());
  check_gradient("relu dx", x, dx, relu_loss, 1e-3f);

  std::vector<float> mask(count);
  Rng rng(13);
  for (float& m : mask) m = rng.uniform() < 0.6f ? 1.0f / 0.6f : 0.0f;
  auto dropout_loss = [&] {
    multiply_elementwise(count, x.data(), mask.data(), y.data());
    return dot(y, r);
  };
  multiply_elementwise(count, r.data(), mask.data(), dx.data());
  check_gradient("dropout dx", x, dx, dropout_loss);
}

TEST_CASE("softmax cross-entropy gradient matches finite differences") {
  const int n = 4, classes = 6;
  std::vector<float> logits = random_values(n * classes, 14, -3.0f, 3.0f), gradient(n * classes);
  const std::uint8_t labels[n] = {0, 5, 2, 2};
  softmax_cross_entropy(logits.data(), labels, n, classes, gradient.data());
  check_gradient("cross-entropy dlogits", logits, gradient,
                 [&] { return double(softmax_cross_entropy(logits.data(), labels, n, classes, nullptr)); }, 1e-2f, 1e-3);
}

TEST_CASE("mean squared error gradient matches finite differences") {
  const int n = 3, size = 4;
  std::vector<float> outputs = random_values(n * size, 18, -2.0f, 2.0f), gradient(n * size);
  const std::vector<float> targets = random_values(n * size, 19, -2.0f, 2.0f);
  mean_squared_error(outputs.data(), targets.data(), n, size, gradient.data());
  check_gradient("squared error doutputs", outputs, gradient,
                 [&] { return double(mean_squared_error(outputs.data(), targets.data(), n, size, nullptr)); }, 1e-2f,
                 1e-4);
}

namespace {

// Checks every parameter gradient of `spec` (batch 3, one fixed dropout
// mask) against finite differences of loss(outputs, gradient), which returns
// the loss of the outputs and, when gradient is not null, writes its
// gradient there.
template <class Loss>
void check_model_gradients(const char* what, const ModelSpec& spec, std::uint64_t seed, Loss loss) {
  PlanOptions options;
  options.batch = 3;
  options.optimizer = OptimizerKind::gradient_descent;
  const Plan p = plan(spec, options);
  REQUIRE(p.status.ok());
  fixnet_test::TestArena arena(p.bytes);
  Model model;
  REQUIRE(model.init(spec, options, arena.data(), p.bytes).ok());
  Rng init(seed);
  model.initialize_parameters(init);
  const std::vector<float> input = random_values(std::size_t(3 * spec.input.size()), seed + 1);
  // The same dropout mask on every forward pass: the same seed each time.
  auto outputs = [&] {
    Rng dropout_rng(seed + 2);
    const float* y = nullptr;
    REQUIRE(model.forward(input.data(), 3, true, &dropout_rng, &y).ok());
    return y;
  };
  std::vector<float> doutputs(std::size_t(3 * p.classes));
  loss(outputs(), doutputs.data());
  REQUIRE(model.backward(doutputs.data(), 3).ok());
  const std::vector<float> analytic(model.gradients(), model.gradients() + model.parameter_count());
  std::vector<float> params(model.parameters(), model.parameters() + model.parameter_count());
  // Finite differences move the model's own parameters.
  auto moved_loss = [&] {
    std::copy(params.begin(), params.end(), model.mutable_parameters());
    return loss(outputs(), nullptr);
  };
  check_gradient(what, params, analytic, moved_loss, 1e-3f, 5e-3);
}

}  // namespace

TEST_CASE("a whole model's parameter gradients match finite differences") {
  // Every layer kind of the tutorial in one network, with SAME stride 2, VALID and dropout.
  const ModelSpec spec{Dims{7, 6, 2},
                       {conv2d(3, 3, 3, 2, Padding::same, truncated_normal_init(0.5f), constant_init(0.1f)), relu(),
                        max_pool(2, 1, Padding::same), conv2d(4, 2, 2, 1, Padding::valid, truncated_normal_init(0.5f)),
                        flatten(), dense(5, truncated_normal_init(0.5f), constant_init(0.1f)), relu(), dropout(0.7f),
                        dense(3, truncated_normal_init(0.5f))}};
  const std::uint8_t labels[3] = {2, 0, 1};
  check_model_gradients("model parameters", spec, 15, [&](const float* logits, float* gradient) {
    return double(softmax_cross_entropy(logits, labels, 3, 3, gradient));
  });
}

TEST_CASE("a regression model with sigmoid, tanh and average pooling matches finite differences") {
  // Trained sigmoid and tanh keep their outputs for the backward pass; a
  // dropout and a ReLU after them must not overwrite those (the plan keeps
  // them apart), or the gradients below would be wrong.
  const ModelSpec spec{Dims{6, 6, 2},
                       {conv2d(3, 3, 3, 1, Padding::same, truncated_normal_init(0.5f), constant_init(0.1f)), tanh(),
                        dropout(0.7f), avg_pool(2, 2), conv2d(4, 2, 2, 1, Padding::same, truncated_normal_init(0.5f)),
                        sigmoid(), relu(), global_avg_pool(), dense(5, truncated_normal_init(0.5f)), tanh(),
                        dropout(0.8f), dense(2, truncated_normal_init(0.5f), constant_init(0.2f))}};
  const Plan p = plan(spec, PlanOptions{3, OptimizerKind::gradient_descent});
  CHECK(!p.layers[1].in_place);  // tanh keeps its own output, and so does the dropout after it
  CHECK(!p.layers[2].in_place);
  CHECK(p.layers[6].in_place);   // the ReLU after the sigmoid may share its buffer
  const std::vector<float> targets = random_values(3 * 2, 22);
  check_model_gradients("regression model parameters", spec, 20, [&](const float* outputs, float* gradient) {
    return double(mean_squared_error(outputs, targets.data(), 3, 2, gradient));
  });
}

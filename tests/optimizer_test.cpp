// fixnet tests: optimizer updates against values worked out from the formulas.
#include <doctest.h>

#include <vector>

#include "fixnet/optimizer.h"
#include "test_util.h"

using namespace fixnet;

TEST_CASE("two Adam steps equal the hand-computed values") {
  // lr 0.1, TensorFlow defaults beta1 0.9, beta2 0.999, epsilon 1e-8.
  // Step 1, g = (0.5, -0.1): m = 0.1 g = (0.05, -0.01); v = 0.001 g^2 = (2.5e-4, 1e-5);
  //   lr_1 = 0.1 sqrt(1 - 0.999) / (1 - 0.9) = 0.0316227766;
  //   m / (sqrt(v) + eps) = (3.16227640, -3.16226766), so p moves by lr (less eps):
  //   p = (1 - 0.0999999368, -2 + 0.0999996838) = (0.9000000632, -1.9000003162).
  // Step 2, g = (0.2, 0.3): m = (0.065, 0.021); v = (2.8975e-4, 9.999e-5);
  //   lr_2 = 0.1 sqrt(1 - 0.999^2) / (1 - 0.9^2) = 0.0235316725;
  //   p = (0.8101425956, -1.9494192501).
  OptimizerSettings s;
  s.learning_rate = 0.1f;
  float p[2] = {1.0f, -2.0f}, m[2] = {0, 0}, v[2] = {0, 0};
  const float g1[2] = {0.5f, -0.1f}, g2[2] = {0.2f, 0.3f};
  adam_update(p, g1, m, v, 2, adam_step(s, 1));
  CHECK(m[0] == doctest::Approx(0.05).epsilon(1e-6));
  CHECK(m[1] == doctest::Approx(-0.01).epsilon(1e-6));
  CHECK(v[0] == doctest::Approx(2.5e-4).epsilon(1e-6));
  CHECK(v[1] == doctest::Approx(1e-5).epsilon(1e-6));
  CHECK(p[0] == doctest::Approx(0.9000000632).epsilon(1e-7));
  CHECK(p[1] == doctest::Approx(-1.9000003162).epsilon(1e-7));
  adam_update(p, g2, m, v, 2, adam_step(s, 2));
  CHECK(m[0] == doctest::Approx(0.065).epsilon(1e-6));
  CHECK(v[1] == doctest::Approx(9.999e-5).epsilon(1e-6));
  CHECK(p[0] == doctest::Approx(0.8101425956).epsilon(1e-7));
  CHECK(p[1] == doctest::Approx(-1.9494192501).epsilon(1e-7));
}

TEST_CASE("Adam treats a partial last vector as the full ones") {
  OptimizerSettings s;
  s.learning_rate = 1e-3f;
  constexpr int kCount = 37;  // whole vectors and a partial one
  float p[kCount], m[kCount] = {}, v[kCount] = {}, g[kCount];
  for (int i = 0; i < kCount; ++i) {
    p[i] = 1.0f;
    g[i] = 0.5f;
  }
  adam_update(p, g, m, v, kCount, adam_step(s, 1));
  for (int i = 1; i < kCount; ++i) CHECK(p[i] == p[0]);
  CHECK(p[0] == doctest::Approx(1.0 - 1e-3).epsilon(1e-6));
}

TEST_CASE("gradient descent subtracts the learning rate times the gradient") {
  float p[5] = {1, 2, 3, 4, 5};
  const float g[5] = {1, -1, 0.5f, 0, 2};
  gradient_descent_update(p, g, 5, 0.5f);
  const float expected[5] = {0.5f, 2.5f, 2.75f, 4.0f, 4.0f};
  for (int i = 0; i < 5; ++i) CHECK(p[i] == expected[i]);
}

TEST_CASE("updates applied in pieces of any length have the bits of one update over the whole") {
  // Training updates each layer's parameters, and a dense layer's weights
  // block by block; a piece's partial last vector must round as a full one.
  constexpr int kCount = 53;
  const std::vector<float> params = fixnet_test::random_values(kCount, 1), grads = fixnet_test::random_values(kCount, 2),
                           m0 = fixnet_test::random_values(kCount, 3, -0.1f, 0.1f),
                           v0 = fixnet_test::random_values(kCount, 4, 0.0f, 0.01f);
  OptimizerSettings s;
  s.learning_rate = 1e-3f;
  const AdamStep step = adam_step(s, 3);
  std::vector<float> whole = params, m_whole = m0, v_whole = v0, sgd_whole = params;
  adam_update(whole.data(), grads.data(), m_whole.data(), v_whole.data(), kCount, step);
  gradient_descent_update(sgd_whole.data(), grads.data(), kCount, 0.1f);
  std::vector<float> pieces = params, m_pieces = m0, v_pieces = v0, sgd_pieces = params;
  for (int first = 0, length = 1; first < kCount; first += length, length += 2) {
    const int count = first + length <= kCount ? length : kCount - first;
    adam_update(pieces.data() + first, grads.data() + first, m_pieces.data() + first, v_pieces.data() + first,
                std::size_t(count), step);
    gradient_descent_update(sgd_pieces.data() + first, grads.data() + first, std::size_t(count), 0.1f);
  }
  CHECK(pieces == whole);
  CHECK(m_pieces == m_whole);
  CHECK(v_pieces == v_whole);
  CHECK(sgd_pieces == sgd_whole);
  CHECK(pieces != params);
}

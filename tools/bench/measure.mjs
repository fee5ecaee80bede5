// fixnet benchmark: the measurements of the page's WebAssembly bindings, shared
// by the node runner (fixnet_wasm.mjs) and the browser runner (browser/worker.js).
//
// measure(m, { what, threads, seconds, readMnist }) takes an instantiated module
// (createFixnet()) and returns { threads, what, images_per_s, latency_ms, ... }.
// readMnist(name) resolves to the decompressed bytes of one MNIST file.
// cnn-train: the tutorial CNN, Adam 1e-4, batch 50, dropout keep 0.5, real MNIST
// minibatches; softmax-train: batch 100, gradient descent 0.5; cnn-infer: one test
// image, batch 1, median latency, through the model file readModel() resolves to
// if given, else a freshly initialised CNN; cnn-scaling: cnn-train in alternating
// 1-second slices of 1 thread and `threads` in one module (1, N, 1, ..., N, 1),
// so both sides meet the same moments of the machine: each slice's images/s and
// each N-thread slice's over the mean of the 1-thread slices on either side
// (switching re-creates the module's thread pool, outside the timing).

const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

export async function measure(m, { what, threads, seconds, readMnist, readModel }) {
  const check = (code) => { if (code !== 0) throw new Error(m.UTF8ToString(m._fx_error())); };
  const sizes = [];
  for (let which = 0; which < FILES.length; ++which) {
    const bytes = await readMnist(FILES[which]);
    if (bytes.length > m._fx_buffer_capacity(which)) throw new Error(`${FILES[which]} is larger than MNIST`);
    m.HEAPU8.set(bytes, m._fx_buffer(which));
    sizes.push(bytes.length);
  }
  check(m._fx_set_data(...sizes));
  const result = { threads: m._fx_set_threads(threads), what, images_per_s: null, latency_ms: null };
  if (what === 'cnn-scaling' && result.threads < 2) throw new Error('cnn-scaling needs 2 threads or more (the threaded module)');
  const cnn = what !== 'softmax-train';
  check(m._fx_model_new(cnn ? 1 : 0, cnn ? 50 : 100, cnn ? 1e-4 : 0.5, 0.5, 0));
  const train = (steps) => check(m._fx_train(steps));
  if (what === 'cnn-infer') {
    // The model file in buffer 4: readModel's, else the new model as
    // initialised (as the other contenders time it), saved; loading either
    // gives the same evaluation model the page classifies with.
    let size;
    if (readModel) {
      const bytes = await readModel();
      if (bytes.length > m._fx_buffer_capacity(4)) throw new Error('model file is larger than the page accepts');
      m.HEAPU8.set(bytes, m._fx_buffer(4));
      size = bytes.length;
    } else {
      size = m._fx_model_save();
      if (size === 0) throw new Error(m.UTF8ToString(m._fx_error()));
    }
    check(m._fx_model_load(size));
    for (let i = 0; i < 50; ++i) m._fx_predict_test_image(i);
    const times = [];
    const end = performance.now() + seconds * 1000;
    for (let i = 0; performance.now() < end; ++i) {
      const t0 = performance.now();
      if (m._fx_predict_test_image(i % 10000) < 0) throw new Error(m.UTF8ToString(m._fx_error()));
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    result.latency_ms = times[times.length >> 1];
    result.images_per_s = 1000 / result.latency_ms;
    result.runs = times.length;
  } else if (what === 'cnn-train' || what === 'softmax-train') {
    const batch = cnn ? 50 : 100, chunk = cnn ? 5 : 100;
    train(cnn ? 10 : 50);  // warm-up
    let steps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      train(chunk);
      steps += chunk;
    }
    result.seconds = (performance.now() - t0) / 1000;
    result.images_per_s = (steps * batch) / result.seconds;
    result.steps = steps;
  } else if (what === 'cnn-scaling') {
    const all = result.threads, slice = 1, pairs = Math.max(1, Math.floor(seconds / (2 * slice)));
    train(10);  // warm-up, as for cnn-train
    const rates = [];
    for (let i = 0; i <= 2 * pairs; ++i) {
      m._fx_set_threads(i % 2 === 0 ? 1 : all);
      train(1);  // the pool's threads started, caches refilled
      let steps = 0;
      const t0 = performance.now();
      for (; performance.now() - t0 < slice * 1000; ++steps) train(1);
      rates.push((steps * 50) / ((performance.now() - t0) / 1000));
    }
    result.slice_s = slice;
    result.one = rates.filter((_, i) => i % 2 === 0);
    result.all = rates.filter((_, i) => i % 2 === 1);
    result.ratios = result.all.map((r, i) => (2 * r) / (result.one[i] + result.one[i + 1]));
  } else {
    throw new Error('--what must be cnn-train, softmax-train, cnn-infer or cnn-scaling');
  }
  result.simd = m.UTF8ToString(m._fx_simd());
  return result;
}

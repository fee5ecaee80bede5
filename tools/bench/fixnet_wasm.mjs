// fixnet benchmark: the page's WebAssembly bindings under node (the same
// bindings.cpp and lib/ the browser runs, built for node).
//
//   node --no-experimental-fetch fixnet_wasm.mjs --module build-wasm/wasm/fixnet-node.js
//        --data DIR [--threads N] --what cnn-train|softmax-train|cnn-infer [--seconds S]
//
// cnn-train: the tutorial CNN, Adam 1e-4, batch 50, dropout keep 0.5, real MNIST
// minibatches; softmax-train: batch 100, gradient descent 0.5; cnn-infer: one test
// image, batch 1, median latency. Prints one JSON line like the peers.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { resourceUsage } from 'node:process';
import path from 'node:path';

const require = createRequire(import.meta.url);

function parseArgs(argv) {
  const args = { threads: 1, seconds: 10, what: 'cnn-train' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!['module', 'data', 'threads', 'what', 'seconds'].includes(key)) throw new Error(`unknown option ${argv[i]}`);
    args[key] = argv[i + 1];
  }
  args.threads = Number(args.threads);
  args.seconds = Number(args.seconds);
  if (!args.module || !args.data) throw new Error('--module and --data are required');
  return args;
}

const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const createFixnet = require(path.resolve(args.module));
  const m = await createFixnet();
  const check = (code) => { if (code !== 0) throw new Error(m.UTF8ToString(m._fx_error())); };
  const sizes = FILES.map((name, which) => {
    const raw = readFileSync(path.join(args.data, name + '.gz'));
    const bytes = gunzipSync(raw);
    if (bytes.length > m._fx_buffer_capacity(which)) throw new Error(`${name} is larger than MNIST`);
    m.HEAPU8.set(bytes, m._fx_buffer(which));
    return bytes.length;
  });
  check(m._fx_set_data(...sizes));
  const threads = m._fx_set_threads(args.threads);
  const cnn = args.what !== 'softmax-train';
  check(m._fx_model_new(cnn ? 1 : 0, cnn ? 50 : 100, cnn ? 1e-4 : 0.5, 0.5, 0));
  const train = (steps) => check(m._fx_train(steps));
  const result = { peer: `fixnet wasm (${m.UTF8ToString(m._fx_simd())}, node ${process.versions.node})`,
                   threads, what: args.what, images_per_s: null, latency_ms: null };
  if (args.what === 'cnn-infer') {
    train(20);  // not a blank model
    for (let i = 0; i < 50; ++i) m._fx_predict_test_image(i);
    const times = [];
    const end = performance.now() + args.seconds * 1000;
    for (let i = 0; performance.now() < end; ++i) {
      const t0 = performance.now();
      if (m._fx_predict_test_image(i % 10000) < 0) throw new Error(m.UTF8ToString(m._fx_error()));
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    result.latency_ms = times[times.length >> 1];
    result.images_per_s = 1000 / result.latency_ms;
    result.runs = times.length;
  } else {
    const batch = cnn ? 50 : 100;
    train(cnn ? 10 : 50);  // warm-up
    let steps = 0;
    const t0 = performance.now();
    const chunk = cnn ? 5 : 100;
    while (performance.now() - t0 < args.seconds * 1000) { train(chunk); steps += chunk; }
    const seconds = (performance.now() - t0) / 1000;
    result.images_per_s = steps * batch / seconds;
    result.steps = steps;
    result.seconds = seconds;
  }
  result.peak_rss_mb = resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify(result));
  process.exit(0);
}

main().catch((e) => { console.log(JSON.stringify({ peer: 'fixnet wasm', error: String(e.message || e) })); process.exit(1); });

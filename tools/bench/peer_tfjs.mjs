#!/usr/bin/env node
// TF.js (wasm backend, SIMD) peer for the fixnet benchmark.  `npm install` here first.
//
//   node peer_tfjs.mjs --data DIR --threads N --what cnn-train|softmax-train|cnn-infer [--seconds S]
//   node peer_tfjs.mjs --data DIR --check [--threads N]   (kernels right? CNN learns?)
//
// Measures on real MNIST (gzip IDX files in --data):
//   cnn-train      "Deep MNIST for Experts" CNN, Adam 1e-4, batch 50, random
//                  minibatches, dropout keep 0.5                 -> images_per_s
//   softmax-train  784->10 softmax regression, SGD 0.5, batch 100 -> images_per_s
//   cnn-infer      the CNN on one image (batch 1), no dropout      -> median latency_ms
// Warms up, times for about --seconds S (default 10), prints ONE JSON line on stdout
// (or a line with "error" if the peer cannot run).
//
// As shipped, tfjs-backend-wasm 4.22.0 cannot train this CNN and is slow at parts of it,
// so this file patches the backend with tf.registerKernel (compute stays in the wasm module,
// on XNNPACK, except one JS loop):
//  * Conv2DBackpropFilter is missing (training fails): registered here as one forward
//    wasm Conv2D: dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n,oh+kh,ow+kw,ci] dy[n,oh,ow,co] is a
//    VALID correlation of x transposed to [ci,h,w,n] with dy transposed to [oh,ow,n,co] as
//    the filter; the [ci,kh,kw,co] result is transposed back.  (stride 1 only)
//  * Conv2DBackpropInput is a slow loop (~360 ms for conv2 at batch 50): for stride 1 it is
//    replaced by a wasm Conv2D of dy with the filter flipped and its channels swapped.
//  * BatchMatMul reaches XNNPACK only for untransposed operands; the transposed products of
//    the matmul gradients run a naive loop (0.6-2 GFLOP/s vs ~18).  Rewritten as wasm
//    Transpose + XNNPACK matmul, computing AB or (B^T A^T)^T, whichever moves less data.
//  * MaxPoolGrad takes ~34 ms for the first pool at batch 50: for non-overlapping windows
//    it is a JS loop over the wasm heap (~5 ms).
//  --minimal-patch registers only the missing Conv2DBackpropFilter (the shipped kernels
//  otherwise), to show what the patches are worth.
//  * Threads: the wasm backend disables threads under node (tfjs issue 3830: its pthread
//    workers are made from Blob URLs, which node's Worker cannot load) and caps its pool at
//    logical cpus / 2.  With --threads > 1 we shim both (worker scripts go to a temp dir)
//    and load the threaded-SIMD binary; "threads" in the JSON is what XNNPACK reports.
// `--check` compares the patched kernels' gradients with tfjs-backend-cpu, then trains the
// CNN 300 steps and reports test accuracy (stderr + one JSON line), to show it learns.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {createRequire} from 'node:module';

const PEER = 'tfjs-wasm 4.22.0';
let args = {threads: 1, what: null};
const notes = [];

function parseArgs(argv) {
  const a = {threads: 1, seconds: 10, what: null, data: null, check: false, minimal: false};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--data') a.data = argv[++i];
    else if (k === '--threads') a.threads = parseInt(argv[++i], 10);
    else if (k === '--what') a.what = argv[++i];
    else if (k === '--seconds') a.seconds = parseFloat(argv[++i]);
    else if (k === '--check') a.check = true;
    else if (k === '--minimal-patch') a.minimal = true;
    else throw new Error(`unknown argument ${k}`);
  }
  if (!a.data) throw new Error('--data DIR is required');
  if (!a.check && !['cnn-train', 'softmax-train', 'cnn-infer'].includes(a.what))
    throw new Error('--what must be cnn-train, softmax-train or cnn-infer');
  return a;
}

function emit(obj) { process.stdout.write(JSON.stringify({peer: PEER, ...obj}) + '\n'); }

// ---- threads under node -----------------------------------------------------------
// Emscripten's pthread pool asks locateFile() for the worker script and gets a Blob URL;
// it also posts the main script to each worker as a Blob.  Node's Worker wants a file
// path, so we remember the text of Blobs and hand out temp files instead.
function enableNodeWasmThreads(tf, threads) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-wasm-'));
  process.on('exit', () => fs.rmSync(dir, {recursive: true, force: true}));
  const texts = new WeakMap();
  let mainScript = null;
  const RealBlob = globalThis.Blob;
  globalThis.Blob = class extends RealBlob {
    constructor(parts, opts) {
      super(parts, opts);
      if (parts.every((p) => typeof p === 'string')) {
        const t = parts.join('');
        texts.set(this, t);
        if (t.startsWith('var WasmBackendModuleThreadedSimd')) mainScript = t;
      }
    }
  };
  const realCreate = URL.createObjectURL;
  let n = 0;
  URL.createObjectURL = (blob) => {
    let t = texts.get(blob);
    if (t === undefined) return realCreate(blob);
    if (t.includes('WasmBackendModuleThreadedSimd(Module)')) {  // the pthread worker
      const mainFile = path.join(dir, 'main.js');
      // the factory's source refers to names from the bundle's module scope
      const prelude = 'var require$$0 = require("fs"), require$$1 = require("path"), ' +
          'require$$3 = require("perf_hooks"), require$$4 = require("os"), ' +
          'commonjsGlobal = globalThis, _scriptDir;\n';
      if (!fs.existsSync(mainFile)) fs.writeFileSync(mainFile, prelude + mainScript);
      // the worker would turn the posted Blob into an object URL: load our file instead
      t = t.replace('if(typeof e.data.urlOrBlob=="string")', 'if(true)')
           .replace('importScripts(e.data.urlOrBlob)', `importScripts(${JSON.stringify(mainFile)})`);
    }
    const f = path.join(dir, `blob${n++}.js`);
    fs.writeFileSync(f, t);
    return f;
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  // The backend caps its pool at (logical cpus / 2), i.e. 1 on this 2-vCPU machine; let it
  // see enough cpus for the requested count while it initialises (restored afterwards).
  const osCjs = createRequire(import.meta.url)('os');
  const realCpus = osCjs.cpus;
  osCjs.cpus = () => { const c = realCpus(); while (c.length < 2 * threads) c.push(c[0]); return c; };
  return () => { osCjs.cpus = realCpus; };
}

// ---- kernels ----------------------------------------------------------------------
function installKernels(tf) {
  const k = (name) => tf.getKernel(name, 'wasm').kernelFunc;
  const transpose = k('Transpose'), conv2d = k('Conv2D');

  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter', backendName: 'wasm',
    kernelFunc: ({inputs, backend, attrs}) => {
      const {x, dy} = inputs;
      const {strides, pad, dataFormat, dimRoundingMode, filterShape} = attrs;
      const fmt = tf.backend_util.convertConv2DDataFormat(dataFormat);
      const ci = tf.backend_util.computeConv2DInfo(
          x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, fmt);
      if (fmt !== 'channelsLast' || ci.strideHeight !== 1 || ci.strideWidth !== 1)
        throw new Error('Conv2DBackpropFilter (peer kernel): only NHWC, stride 1');
      const {top, left} = ci.padInfo;
      // pad bottom/right so that the VALID output is exactly filterHeight x filterWidth
      const bottom = ci.filterHeight + ci.outHeight - 1 - ci.inHeight - top;
      const right = ci.filterWidth + ci.outWidth - 1 - ci.inWidth - left;
      const xT = transpose({inputs: {x}, backend, attrs: {perm: [3, 1, 2, 0]}});
      const dyT = transpose({inputs: {x: dy}, backend, attrs: {perm: [1, 2, 0, 3]}});
      const g = conv2d({inputs: {x: xT, filter: dyT}, backend, attrs: {
        strides: [1, 1], dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined,
        pad: [[0, 0], [top, bottom], [left, right], [0, 0]]}});
      const out = transpose({inputs: {x: g}, backend, attrs: {perm: [1, 2, 0, 3]}});
      for (const t of [xT, dyT, g]) backend.disposeData(t.dataId);
      return out;
    },
  });
  notes.push('registered Conv2DBackpropFilter as transpose + wasm Conv2D (XNNPACK) + transpose');
  if (args.minimal) return;

  // The shipped Conv2DBackpropInput is a slow loop (~360 ms for conv2 at batch 50).  For
  // stride 1 it is the forward correlation of dy with the filter flipped in h and w and with
  // in/out channels swapped, padded by (k - 1 - pad) on each side.
  const bpiOrig = k('Conv2DBackpropInput'), reverse = k('Reverse');
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput', backendName: 'wasm',
    kernelFunc: (a) => {
      const {inputs: {dy, filter}, backend, attrs} = a;
      const {strides, pad, dataFormat, dimRoundingMode, inputShape} = attrs;
      const fmt = tf.backend_util.convertConv2DDataFormat(dataFormat);
      const ci = tf.backend_util.computeConv2DInfo(
          inputShape, filter.shape, strides, 1, pad, dimRoundingMode, false, fmt);
      if (fmt !== 'channelsLast' || ci.strideHeight !== 1 || ci.strideWidth !== 1)
        return bpiOrig(a);
      const {top, bottom, left, right} = ci.padInfo;
      const fr = reverse({inputs: {x: filter}, backend, attrs: {dims: [0, 1]}});
      const ft = transpose({inputs: {x: fr}, backend, attrs: {perm: [0, 1, 3, 2]}});
      const kh = ci.filterHeight - 1, kw = ci.filterWidth - 1;
      const out = conv2d({inputs: {x: dy, filter: ft}, backend, attrs: {
        strides: [1, 1], dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined,
        pad: [[0, 0], [kh - top, kh - bottom], [kw - left, kw - right], [0, 0]]}});
      for (const t of [fr, ft]) backend.disposeData(t.dataId);
      return out;
    },
  });
  notes.push('Conv2DBackpropInput (stride 1) rewritten as wasm Conv2D of dy with the flipped filter');

  // MaxPoolGrad: the shipped kernel takes ~34 ms for the first pool at batch 50.  For
  // non-overlapping windows that need no padding (this model) a JS loop over the wasm heap
  // routes each dy to the first maximum of its window, as the cpu backend does.
  const mpgOrig = k('MaxPoolGrad');
  tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({
    kernelName: 'MaxPoolGrad', backendName: 'wasm',
    kernelFunc: (a) => {
      const {inputs: {dy, input}, backend, attrs} = a;
      const pi = tf.backend_util.computePool2DInfo(
          input.shape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
      const {batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW,
             strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw} = pi;
      if (fh !== sh || fw !== sw || OH * sh !== H || OW * sw !== W) return mpgOrig(a);
      const dx = backend.makeOutput(input.shape, 'float32');
      const xs = backend.typedArrayFromHeap(input), g = backend.typedArrayFromHeap(dy);
      const out = backend.typedArrayFromHeap(dx);
      out.fill(0);
      let o = 0;
      for (let n = 0; n < N; n++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++)
            for (let c = 0; c < C; c++, o++) {
              let best = -Infinity, at = 0;
              for (let i = 0; i < fh; i++) {
                let q = ((n * H + oh * sh + i) * W + ow * sw) * C + c;
                for (let j = 0; j < fw; j++, q += C)
                  if (xs[q] > best) { best = xs[q]; at = q; }
              }
              out[at] = g[o];
            }
      return dx;
    },
  });
  notes.push('MaxPoolGrad (non-overlapping windows) as a JS loop over the wasm heap');

  // BatchMatMul: XNNPACK is used only for untransposed operands, and it packs ("b",
  // transposing it) whenever b is a tensor it has not seen: ~11 ns/element, while a wasm
  // Transpose costs ~2 ns/element.  So compute either op(A)op(B) or (op(B)^T op(A)^T)^T,
  // whichever transposes and packs fewer elements; a b that comes back (weights at
  // inference) stays packed in XNNPACK's cache.
  const bmm = k('BatchMatMul');
  const seen = new WeakSet();
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul', backendName: 'wasm',
    kernelFunc: ({inputs, backend, attrs}) => {
      const {a, b} = inputs, {transposeA: tA, transposeB: tB} = attrs;
      const size = (t) => t.shape.reduce((p, q) => p * q, 1);
      const tmp = [];  // intermediates to free
      const tr = (t) => {
        const perm = [...t.shape.keys()];
        perm.push(perm.splice(-2, 1)[0]);  // swap the last two axes
        return transpose({inputs: {x: t}, backend, attrs: {perm}});
      };
      const keep = (t) => { tmp.push(t); return t; };
      const mm = (x, y) => bmm({inputs: {a: x, b: y}, backend,
                                attrs: {transposeA: false, transposeB: false}});
      const outSize = size(a) / a.shape[a.shape.length - (tA ? 2 : 1)] *
                      b.shape[b.shape.length - (tB ? 2 : 1)];
      const packB = !tB && seen.has(b.dataId) ? 0 : 5.5 * size(b);
      const direct = (tA ? size(a) : 0) + (tB ? size(b) : 0) + packB;
      const swapped = (tB ? 0 : size(b)) + (tA ? 0 : size(a)) + 5.5 * size(a) + outSize;
      if (!tB) seen.add(b.dataId);
      const out = (direct <= swapped || a.shape.length !== 2 || b.shape.length !== 2) ?
          mm(tA ? keep(tr(a)) : a, tB ? keep(tr(b)) : b) :
          tr(keep(mm(tB ? b : keep(tr(b)), tA ? a : keep(tr(a)))));
      for (const t of tmp) backend.disposeData(t.dataId);
      return out;
    },
  });
  notes.push('BatchMatMul: transposed operands via wasm Transpose, computed as AB or (B^T A^T)^T, whichever packs/transposes less, on XNNPACK');
}

// ---- data -------------------------------------------------------------------------
function loadIdx(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const ndim = buf[3];
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  return {dims, data: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * ndim)};
}

function loadMnist(dir, split) {
  const x = loadIdx(path.join(dir, `${split}-images-idx3-ubyte.gz`));
  const y = loadIdx(path.join(dir, `${split}-labels-idx1-ubyte.gz`));
  return {n: x.dims[0], x: x.data, y: y.data};
}

// images scaled to [0,1] (NHWC, C=1) and one-hot labels for the given indices
function batch(tf, ds, idx) {
  const xs = new Float32Array(idx.length * 784), ys = new Float32Array(idx.length * 10);
  idx.forEach((j, i) => {
    for (let p = 0; p < 784; p++) xs[i * 784 + p] = ds.x[j * 784 + p] / 255;
    ys[i * 10 + ds.y[j]] = 1;
  });
  return {xs: tf.tensor4d(xs, [idx.length, 28, 28, 1]), ys: tf.tensor2d(ys, [idx.length, 10])};
}

const randomIdx = (n, bs) => Array.from({length: bs}, () => Math.floor(Math.random() * n));

// ---- models -----------------------------------------------------------------------
function cnn(tf) {
  const w = (s) => tf.variable(tf.truncatedNormal(s, 0, 0.1));
  const b = (n) => tf.variable(tf.fill([n], 0.1));
  const p = {w1: w([5, 5, 1, 32]), b1: b(32), w2: w([5, 5, 32, 64]), b2: b(64),
             w3: w([7 * 7 * 64, 1024]), b3: b(1024), w4: w([1024, 10]), b4: b(10)};
  const forward = (x, training) => {
    let h = tf.fused.conv2d({x, filter: p.w1, strides: 1, pad: 'same', bias: p.b1, activation: 'relu'});
    h = tf.maxPool(h, 2, 2, 'same');
    h = tf.fused.conv2d({x: h, filter: p.w2, strides: 1, pad: 'same', bias: p.b2, activation: 'relu'});
    h = tf.maxPool(h, 2, 2, 'same').reshape([-1, 7 * 7 * 64]);
    h = tf.fused.matMul({a: h, b: p.w3, bias: p.b3, activation: 'relu'});
    if (training) h = tf.dropout(h, 0.5);
    return tf.fused.matMul({a: h, b: p.w4, bias: p.b4});
  };
  return {forward, vars: Object.values(p), bs: 50, opt: tf.train.adam(1e-4, 0.9, 0.999, 1e-8)};
}

function softmaxReg(tf) {
  const W = tf.variable(tf.zeros([784, 10])), B = tf.variable(tf.zeros([10]));
  const forward = (x) => tf.fused.matMul({a: x.reshape([-1, 784]), b: W, bias: B});
  return {forward, vars: [W, B], bs: 100, opt: tf.train.sgd(0.5)};
}

function trainStep(tf, m, ds) {
  const {xs, ys} = batch(tf, ds, randomIdx(ds.n, m.bs));
  const loss = m.opt.minimize(
      () => tf.losses.softmaxCrossEntropy(ys, m.forward(xs, true)), true, m.vars);
  const v = loss.dataSync()[0];
  tf.dispose([xs, ys, loss]);
  return v;
}

function accuracy(tf, m, ds, n) {
  return tf.tidy(() => {
    const {xs, ys} = batch(tf, ds, [...Array(n).keys()]);
    return m.forward(xs, false).argMax(1).equal(ys.argMax(1)).mean().dataSync()[0];
  });
}

// gradients through the patched kernels on wasm versus tfjs-backend-cpu.  (Overlapping
// max-pool windows are left out: they use the shipped wasm MaxPoolGrad, which sometimes
// disagrees with the cpu backend; this model does not use them.)
async function kernelCheck(tf) {
  const rnd = (shape) => tf.randomNormal(shape).arraySync();
  const cases = [
    ['conv 5x5 same', [[2, 14, 14, 3], [5, 5, 3, 4]], (x, w) => tf.conv2d(x, w, 1, 'same')],
    ['conv 4x4 same', [[2, 9, 9, 3], [4, 4, 3, 2]], (x, w) => tf.conv2d(x, w, 1, 'same')],
    ['conv 3x3 valid', [[2, 8, 7, 2], [3, 3, 2, 3]], (x, w) => tf.conv2d(x, w, 1, 'valid')],
    ['matMul', [[6, 5], [5, 7]], (a, b) => tf.matMul(a, b)],
    ['matMul tA tB', [[5, 6], [7, 5]], (a, b) => tf.matMul(a, b, true, true)],
    ['matMul big b', [[3, 40], [40, 30]], (a, b) => tf.matMul(a, b)],
    ['batched matMul', [[2, 3, 4], [2, 4, 5]], (a, b) => tf.matMul(a, b)],
    ['maxPool 2x2', [[2, 6, 4, 3]], (x) => tf.maxPool(x, 2, 2, 'same')],
  ];
  let worst = 0;
  for (const [name, shapes, f] of cases) {
    const vals = shapes.map(rnd);
    const res = {};
    for (const be of ['wasm', 'cpu']) {
      await tf.setBackend(be);
      res[be] = tf.tidy(() => {
        const ts = vals.map((v) => tf.tensor(v));
        const g = tf.grads((...t) => f(...t).square().sum())(ts);
        return [f(...ts), ...g].map((t) => t.dataSync());
      });
    }
    await tf.setBackend('wasm');
    const err = Math.max(...res.wasm.map((a, i) => Math.max(...a.map(
        (v, j) => Math.abs(v - res.cpu[i][j]) / (1 + Math.abs(res.cpu[i][j]))))));
    worst = Math.max(worst, err);
    console.error(`kernel check ${name}: max rel diff wasm vs cpu ${err.toExponential(2)}`);
  }
  if (!(worst < 1e-3)) throw new Error(`patched kernels disagree with cpu backend (${worst})`);
}

// ---- main -------------------------------------------------------------------------
async function main() {
  args = parseArgs(process.argv.slice(2));
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const restore = args.threads > 1 ? enableNodeWasmThreads(tf, args.threads) : () => {};
  wasm.setThreadsCount(args.threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  await tf.ready();
  restore();
  const threads = wasm.getThreadsCount();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  notes.unshift(`simd=${simd} xnnpack_threads=${threads}` +
                (args.threads > 1 ? ' (threaded-simd binary via node worker shim)' : ''));
  installKernels(tf);
  const train = loadMnist(args.data, 'train');

  if (args.check) {  // patched kernels agree with the cpu backend?  does the CNN learn?
    await kernelCheck(tf);
    const test = loadMnist(args.data, 't10k');
    const m = cnn(tf);
    const t0 = performance.now();
    console.error(`step 0: test acc (first 1000) ${accuracy(tf, m, test, 1000).toFixed(3)}`);
    for (let s = 1; s <= 300; s++) {
      const loss = trainStep(tf, m, train);
      if (s % 100 === 0)
        console.error(`step ${s}: loss ${loss.toFixed(3)} test acc (first 1000) ` +
                      `${accuracy(tf, m, test, 1000).toFixed(3)}  ` +
                      `${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const acc = accuracy(tf, m, test, 1000);
    emit({what: 'check', threads, test_accuracy_1000: acc, ok: acc > 0.8, notes: notes.join('; ')});
    return;
  }

  let steps = 0, secs, ips, latency = null;
  if (args.what === 'cnn-infer') {
    const m = cnn(tf);
    const test = loadMnist(args.data, 't10k');
    const xs = Array.from({length: 100}, (_, i) => batch(tf, test, [i]).xs);
    const run = (x) => tf.tidy(() => { m.forward(x, false).dataSync(); });
    for (let i = 0; i < 50; i++) run(xs[i % 100]);
    const lat = [];
    const t0 = performance.now();
    while (performance.now() - t0 < args.seconds * 1000) {
      const s = performance.now();
      run(xs[steps % 100]);
      lat.push(performance.now() - s);
      steps++;
    }
    secs = (performance.now() - t0) / 1000;
    lat.sort((p, q) => p - q);
    latency = lat[lat.length >> 1];
    ips = 1000 / latency;
  } else {
    const m = args.what === 'cnn-train' ? cnn(tf) : softmaxReg(tf);
    for (let i = 0; i < 5; i++) trainStep(tf, m, train);
    const t0 = performance.now();
    while (performance.now() - t0 < args.seconds * 1000) {
      trainStep(tf, m, train);
      steps++;
    }
    secs = (performance.now() - t0) / 1000;
    ips = steps * m.bs / secs;
  }
  emit({threads, what: args.what, images_per_s: +ips.toFixed(2),
        latency_ms: latency === null ? null : +latency.toFixed(4),
        peak_rss_mb: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
        steps, seconds: +secs.toFixed(3), notes: notes.join('; ')});
}

main().then(() => process.exit(0), (e) => {
  emit({threads: args.threads, what: args.what, error: String(e && e.stack || e)});
  process.exit(1);
});

#!/usr/bin/env node
// fixnet browser test: the web demo in headless Chromium, as a person uses it.
// Serves web/, the wasm build and MNIST with tools/server.py on a free port,
// waits for "ready", trains the softmax recipe (test accuracy >= 0.90), draws
// digits with the mouse and checks the prediction and its bars, saves the
// model, loads it back, refuses a corrupted file, reloads the page to see the
// model restored, and takes screenshots (desktop and phone). Prints measured
// numbers and "N passed, N failed"; exits 0, 1 on failure, 77 without data or
// wasm build.
//
//   node tests/browser/page_test.mjs [SCREENSHOT.png]   (default build-wasm/page.png)
//
// Environment: MNIST_DIR (default data/mnist), FIXNET_WASM_DIR (default
// build-wasm/wasm), FIXNET_TEST_MODEL (a .fxn file to load instead of the one
// saved), FIXNET_TEST_INT8_MODEL (an int8 .fxn file to load after it: the page
// must say it is int8, test it and read drawn digits with it),
// FIXNET_TEST_CNN_SECONDS (also train the CNN that long and report it),
// CHROMIUM (default /usr/bin/chromium).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { DIGITS, PLACEMENTS, STYLE } from './digits.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WASM_DIR = path.resolve(process.env.FIXNET_WASM_DIR || path.join(ROOT, 'build-wasm/wasm'));
const DATA_DIR = path.resolve(process.env.MNIST_DIR || path.join(ROOT, 'data/mnist'));
const SCREENSHOT = path.resolve(process.argv[2] || path.join(ROOT, 'build-wasm/page.png'));
const CNN_SECONDS = Number(process.env.FIXNET_TEST_CNN_SECONDS || 0);
const MNIST_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Checks ---------------------------------------------------------------------------

let passed = 0, failed = 0;
const summary = [];

function check(ok, what) {
  if (ok) ++passed;
  else {
    ++failed;
    console.log(`FAIL: ${what}`);
  }
  return ok;
}

const report = (label, text) => summary.push(`  ${label.padEnd(26)} ${text}`);
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

// Exits 77 (skipped), or 1 under CI=true, which allows no skipping.
function skip(why) {
  const strict = process.env.CI === 'true';
  console.log(`page_test: ${strict ? 'FAILED (CI=true may not skip)' : 'skipped'}: ${why}`);
  process.exit(strict ? 1 : 77);
}

// The server --------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Starts python3 with `args` (a server on `port`) and waits until it answers.
async function startServer(port, args = [path.join(ROOT, 'tools/server.py'), '--port', String(port),
  '--web', path.join(ROOT, 'web'), '--wasm', WASM_DIR, '--data', DATA_DIR]) {
  const server = spawn('python3', args, { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  for (let i = 0; i < 100; ++i) {
    if (server.exitCode !== null) throw new Error(`${args[0]} exited with ${server.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) return { server, exited };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill();
  throw new Error(`${args[0]} did not answer within 10 s`);
}

// The page -----------------------------------------------------------------------------

// Long tasks of the main thread, from page start, for the training window.
function observeLongTasks() {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
}

// Timestamps the page's classify requests and the worker's answers (by id),
// to measure how long after the last stroke the final prediction comes.
// Also keeps the type of every worker message, in order (window.__messages).
function observeClassification() {
  const sent = [], answered = [];
  window.__classify = { sent, answered };
  window.__messages = [];
  window.__firstMessage = {};  // type -> when it first came (ms since the navigation started)
  window.Worker = class extends window.Worker {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', ({ data }) => {
        window.__messages.push(data?.full ? 'test-full' : data?.type);
        window.__firstMessage[data?.type] ??= performance.now();
        if (data?.type === 'classified') answered.push([data.id, performance.now()]);
      });
    }
    postMessage(message, transfer) {
      if (message?.type === 'classify') sent.push([message.id, performance.now()]);
      super.postMessage(message, transfer);
    }
  };
}

// Ms from now (just after a stroke ended) to the answer to the last request
// (the pad throttles its requests to one per 60 ms, then sends one for the
// final drawing; on a slow machine that may go before the stroke's end).
async function predictionLatency(page) {
  const start = await page.evaluate(() => performance.now());
  await page.waitForTimeout(100);  // any request still held back by the throttle is sent
  const answer = await page.waitForFunction(() => {
    const [last] = window.__classify.sent.at(-1) ?? [];
    const answer = last && window.__classify.answered.find(([id]) => id >= last);
    return answer && answer[1];
  }, null, { timeout: 30000 });
  return Math.max(0, (await answer.jsonValue()) - start);
}

const statusText = (page) => page.textContent('#status');

// Waits for the status line to match `pattern`; on a timeout, the error says
// what the status line showed instead.
async function waitForStatus(page, pattern, timeout = 60000) {
  try {
    await page.waitForFunction((source) => new RegExp(source, 'i').test(document.getElementById('status').textContent),
      pattern.source, { timeout });
  } catch (e) {
    throw new Error(`the status never matched ${pattern} in ${seconds(timeout)}; it shows "${await statusText(page)}" (${e.message})`);
  }
  return statusText(page);
}

// Presses #train and resolves when the full test evaluation is shown; times
// (ms from the press, page clock) of the first test accuracy >= 0.90 and of
// the final one, and the longest main-thread task in between.
async function trainAndTime(page) {
  const times = await page.evaluate(() => new Promise((resolve) => {
    const value = document.getElementById('test-accuracy');
    const label = document.getElementById('test-accuracy-label');
    const start = performance.now();
    let reached = null;
    new MutationObserver(() => {
      const now = performance.now();
      if (reached === null && Number(value.textContent) >= 0.9) reached = now - start;
      if (/^all /.test(label.textContent)) resolve({ start, reached, done: now - start });
    }).observe(label, { childList: true, characterData: true, subtree: true });
    document.getElementById('train').click();
  }));
  const longest = await page.evaluate(({ start, done }) => Math.max(0, ...window.__longTasks
    .filter((t) => t.start + t.duration >= start && t.start <= start + done).map((t) => t.duration)), times);
  return { ...times, longest };
}

// Draws `strokes` (see digits.mjs) with the mouse at `placement`.
async function drawDigit(page, strokes, { cx, cy, size }) {
  const box = await page.locator('#draw').boundingBox();
  const at = ([x, y]) => [box.x + box.width * (cx + x * size), box.y + box.height * (cy + y * size)];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const p of stroke.slice(1)) await page.mouse.move(...at(p));
    await page.mouse.up();
  }
}

// The prediction once it has stopped changing: { digit, probabilities, ink }
// (ink: the sum of the model's 28x28 view, 0..1 a pixel).
async function settledPrediction(page) {
  let last = '', stableSince = Date.now();
  for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
    const state = await page.evaluate(() => {
      const digit = document.getElementById('prediction').dataset.digit;
      const probabilities = [...document.querySelectorAll('#probabilities li')].map((li) => Number(li.dataset.probability));
      const pixels = document.getElementById('model-input').getContext('2d').getImageData(0, 0, 28, 28).data;
      let ink = 0;
      for (let i = 0; i < pixels.length; i += 4) ink += pixels[i] / 255;
      return JSON.stringify({ digit: digit === undefined ? null : Number(digit), probabilities, ink });
    });
    if (state !== last) {
      last = state;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 300) return JSON.parse(state);
    await page.waitForTimeout(50);
  }
  throw new Error('the prediction did not settle within 10 s');
}

// Draws `digit` and checks the prediction's consistency; returns it.
async function drawAndCheck(page, digit, placement) {
  await page.click('#clear');
  await page.waitForSelector('#prediction:not([data-digit])');
  await drawDigit(page, DIGITS[digit], placement);
  const latency = await predictionLatency(page);
  const p = await settledPrediction(page);
  const sum = p.probabilities.reduce((a, b) => a + b, 0);
  const top = p.probabilities.indexOf(Math.max(...p.probabilities));
  check(p.digit !== null, `a prediction for a drawn ${digit}`);
  check(Math.abs(sum - 1) < 1e-3, `probabilities of a drawn ${digit} sum to 1 (${sum})`);
  check(top === p.digit, `the largest bar (${top}) is the predicted digit (${p.digit})`);
  return { ...p, latency };
}

// Mean ink (sum of pixels / 255) of each digit in MNIST's test set.
function mnistInk() {
  const images = zlib.gunzipSync(fs.readFileSync(path.join(DATA_DIR, 't10k-images-idx3-ubyte.gz')));
  const labels = zlib.gunzipSync(fs.readFileSync(path.join(DATA_DIR, 't10k-labels-idx1-ubyte.gz')));
  const sums = new Array(10).fill(0), counts = new Array(10).fill(0);
  for (let i = 0; i < labels.length - 8; ++i) {
    let ink = 0;
    for (let j = 0; j < 784; ++j) ink += images[16 + i * 784 + j];
    sums[labels[8 + i]] += ink / 255;
    ++counts[labels[8 + i]];
  }
  return sums.map((s, d) => s / counts[d]);
}

// With the model of $FIXNET_TEST_MODEL (a CNN trained natively): every digit
// drawn at its own size, place and pen width; at least 9 of 10 recognised.
async function drawWithLoadedModel(page) {
  const pens = ['0.06', '0.08', '0.11'];
  const results = [];
  for (let d = 0; d < 10; ++d) {
    await page.locator('#pen-width').fill(pens[d % pens.length]);
    const p = await drawAndCheck(page, d, PLACEMENTS[(d + 1) % PLACEMENTS.length]);
    results.push(`${d}->${p.digit}`);
  }
  const recognised = results.filter((r) => r[0] === r[3]).length;
  check(recognised >= 9, `the loaded model recognises at least 9 of 10 drawn digits (${recognised})`);
  report('drawn, loaded model', `${recognised}/10 recognised (${results.join(' ')}); pen widths ${pens.join(', ')} of the pad`);
  await page.locator('#pen-width').fill('0.08');
}

// An int8 model file: loaded, named int8, tested on all test digits, and
// reading drawn digits as the float one does.
async function loadInt8Model(page, file) {
  await page.setInputFiles('#model-file', file);
  const status = await waitForStatus(page, /^loaded .*test accuracy|could not/);
  const accuracy = Number((/test accuracy ([0-9.]+)/.exec(status) || [])[1]);
  check(accuracy >= 0.97, `the int8 model is tested on all test digits (${status})`);
  const note = await page.textContent('#model-note');
  check(/int8/.test(note), `the page says the model is int8 (${note})`);
  await drawWithLoadedModel(page);
  report('int8 model', `${path.basename(file)} (${fs.statSync(file).size.toLocaleString('en')} B): test accuracy ${accuracy}; "${note}"`);
}

// A handle to a DataTransfer in the page holding `file`, as a drop carries it.
function fileTransfer(page, file) {
  return page.evaluateHandle(({ name, base64 }) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name));
    return transfer;
  }, { name: path.basename(file), base64: fs.readFileSync(file).toString('base64') });
}

// Drops `file` (a path) on the page, as a user dragging it from their desktop.
async function dropFile(page, file) {
  const dataTransfer = await fileTransfer(page, file);
  await page.dispatchEvent('body', 'dragover', { dataTransfer });
  await page.dispatchEvent('body', 'drop', { dataTransfer });
}

// How many messages of `type` the worker has sent so far.
const messageCount = (page, type) => page.evaluate((t) => window.__messages.filter((m) => m === t).length, type);

// Waits until the worker has sent `count` messages of `type` in all.
async function waitForMessages(page, type, count, timeout = 60000) {
  await page.waitForFunction(({ t, n }) => window.__messages.filter((m) => m === t).length >= n,
    { t: type, n: count }, { timeout });
}

const isError = async (page) => await page.getAttribute('#status', 'class') === 'error';

// Files the page must refuse with an error that stays on screen whatever runs
// behind it: a corrupted file while the previous model's evaluation runs, an
// empty file, a 1 GB one, an image, and any file while training. `model` is a
// valid model file, which is also dropped on the page, and loaded at the end.
async function refuseBadFiles(page, model, work) {
  const bytes = fs.readFileSync(model);
  bytes[Math.floor(bytes.length / 2)] ^= 0x40;
  const corrupt = path.join(work, 'corrupt.fxn');
  fs.writeFileSync(corrupt, bytes);
  const empty = path.join(work, 'empty.fxn');
  fs.writeFileSync(empty, '');
  const huge = path.join(work, 'huge.fxn');
  fs.closeSync(fs.openSync(huge, 'w'));
  fs.truncateSync(huge, 1024 ** 3);  // 1 GiB, sparse
  const image = path.join(ROOT, 'tests/fuzz/seeds/image/digit.png');

  // A valid file dropped on the page loads; its evaluation starts, and a
  // corrupted file chosen meanwhile is refused. The error outlasts the
  // evaluation's progress and result (when the evaluation is still running
  // at the refusal: a CNN's takes seconds, a softmax's may be over).
  const evaluations = await messageCount(page, 'test-full');
  await dropFile(page, model);
  await waitForStatus(page, /^loaded /);
  await page.setInputFiles('#model-file', corrupt);
  const refused = await waitForStatus(page, /could not load/);
  const overlapped = await messageCount(page, 'test-full') === evaluations;
  await waitForMessages(page, 'test-full', evaluations + 1);
  const kept = await statusText(page);
  check(kept === refused && await isError(page), `a refused file's error stays after the evaluation ends ("${kept}")`);
  report('dropped, then corrupted', `"${refused}", still shown after the evaluation ended ` +
    `(${overlapped ? 'it ended after the refusal' : 'it had ended before the refusal'})`);

  const expected = [
    [empty, /^cannot load empty\.fxn: the file is empty$/],
    [huge, /^cannot load huge\.fxn: it is 1\.1 GB, and the largest model file this page holds is [0-9.]+ MB$/],
    [image, /^could not load digit\.png: model file: not a fixnet model file \(bad magic\)\. The previous model is still in use\.$/],
  ];
  for (const [file, pattern] of expected) {
    await page.click('#clear');  // a control used: the previous error may go
    await page.setInputFiles('#model-file', file);
    const text = await waitForStatus(page, /cannot load|could not load/);
    check(pattern.test(text) && await isError(page), `${path.basename(file)} is refused ("${text}")`);
    report(`refused ${path.basename(file)}`, `"${text}"`);
  }
  const after = await drawAndCheck(page, 7, PLACEMENTS[0]);
  check(after.digit !== null, 'predictions still work after refused files');

  // Dropped while training: refused, training goes on, the error stays.
  await page.selectOption('#model', 'softmax');
  await page.fill('#steps', '1000000');
  await page.click('#train');
  await waitForStatus(page, /^training/);
  await dropFile(page, model);
  const busy = await waitForStatus(page, /cannot load/);
  await waitForMessages(page, 'progress', await messageCount(page, 'progress') + 5);
  const still = await statusText(page);
  const stepsDone = Number((await page.textContent('#steps-done')).replace(/,/g, ''));
  check(/a model is being trained; press Reset/.test(busy) && still === busy && await isError(page) && stepsDone > 0,
    `a file dropped while training is refused, training goes on, the error stays ("${still}", ${stepsDone} steps)`);
  report('dropped while training', `"${busy}"; training went on (${stepsDone.toLocaleString('en')} steps)`);
  await page.click('#reset');
  check(!(await isError(page)), 'Reset clears the error');

  // A file dropped at once after Reset (in the same task, before the worker
  // can answer the reset) loads: the run is over for the page at once.
  await page.click('#train');
  await waitForStatus(page, /^training/);
  const transfer = await fileTransfer(page, model);
  await page.evaluate((dataTransfer) => {
    document.getElementById('reset').click();
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer, bubbles: true, cancelable: true }));
  }, transfer);
  const loaded = await waitForStatus(page, /^loaded .*test accuracy|cannot load|could not load/);
  check(/^loaded .*test accuracy/.test(loaded), `a file dropped right after Reset loads ("${loaded}")`);
}

// Training that diverges stops with a message, and the model is not kept.
// No setting the page offers makes training diverge (ReLUs die first: the
// CNN at rate 100 ends at 10% accuracy with a finite loss), so the test
// makes it: the worker's fixnet.js is served with train() writing 3e38 into
// the softmax's weights when the test says so; the next step's logits
// overflow, and the library stops the step.
const POISON = `
    if (self.__poisonWeights) {
      self.__poisonWeights = false;
      const p = this.m._fx_layer_weights(1) >> 2;
      this.m.HEAPF32.fill(3e38, p, p + (this.m._fx_layer_weight_count(1) >>> 0));
    }
`;

async function serveWeightPoisoner(page) {
  await page.route('**/worker/fixnet.js', async (route) => {
    const response = await route.fetch();
    const text = (await response.text()).replace(/( {2}train\(steps\) \{\n)/, `$1${POISON}`);
    check(text.includes('__poisonWeights'), 'the test could patch fixnet.js');
    await route.fulfill({ response, body: text });
  });
}

// The page's own worker (the module's threads are workers too).
const pageWorker = (page) => page.workers().find((w) => new URL(w.url()).pathname === '/worker.js');

async function divergence(page) {
  await page.selectOption('#model', 'softmax');
  await pageWorker(page).evaluate(() => { self.__poisonWeights = true; });  // the run's first call diverges
  await page.click('#train');
  const text = await waitForStatus(page, /training stopped|test accuracy/, 60000);
  check(/^error: training stopped after step [0-9]+: training diverged: the loss is not finite \(try a smaller learning rate\)$/.test(text) &&
    await isError(page), `a diverging run stops with a message ("${text}")`);
  check(!(await page.evaluate(() => document.getElementById('train').disabled)), 'Train is enabled again after the run stopped');
  await page.waitForFunction(() => /diverged and was discarded/.test(document.getElementById('model-note').textContent));
  check(await page.evaluate(() => document.getElementById('save').disabled), 'a diverged model cannot be saved');
  // The last model kept was loaded from a file; the diverged one is not kept.
  await page.reload();
  await waitForStatus(page, /restored|error/);
  const restored = await page.textContent('#model-note');
  check(/loaded from/.test(restored), `the diverged model was not kept ("${restored}")`);
  report('diverging softmax', `"${text}"; after a reload: "${restored}"`);
}

// Reports a job posted before Train was pressed must not replace what Train
// shows. The page's main thread is kept busy while the evaluation of `model`
// (just loaded) posts its progress, then Train is pressed in the same task:
// those reports reach the page after the press.
async function trainWhileTesting(page, model) {
  await page.selectOption('#model', 'softmax');
  await page.fill('#steps', '100000');  // still training when checked; Reset then drops it unkept
  await page.setInputFiles('#model-file', model);
  // This file's evaluation (not one still running from before, on a slow machine).
  const name = path.basename(model).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const under = await waitForStatus(page, new RegExp(`^loaded ${name}.*(testing on all .*: [0-9]+%|test accuracy)|could not`));
  if (!/%$/.test(under)) {  // tested before a report came: nothing to race with
    report('Train while testing', `not run: ${path.basename(model)} was tested at once ("${under}")`);
    return;
  }
  const progress = await messageCount(page, 'progress');
  const pressed = await page.evaluate(() => {
    const until = performance.now() + 300;
    while (performance.now() < until);  // the worker goes on posting evaluation reports
    document.getElementById('train').click();
    return document.getElementById('status').textContent;
  });
  await waitForMessages(page, 'progress', progress + 1);  // the evaluation's reports were handled before it
  const shown = await statusText(page);
  check(/^training the softmax/.test(pressed) && /^training the softmax/.test(shown),
    `the previous model's evaluation reports do not replace "training" (pressed: "${pressed}", then "${shown}")`);
  await page.click('#reset');
  report('Train while testing', `pressed during "${under}": "${shown}"`);
}

// After a full evaluation: the confusion matrix adds up to the test set and
// its diagonal to the test accuracy; choosing a cell shows its digits, and
// choosing it again all the mistakes.
async function confusionMatrix(page, accuracy) {
  const cells = await page.$$eval('#confusion tr', (rows) => rows.slice(1).map((r) =>
    [...r.querySelectorAll('td')].map((td) => Number(td.textContent.replace(/,/g, '')))));
  check(cells.length === 10 && cells.every((r) => r.length === 10), 'a 10 x 10 confusion matrix');
  let total = 0, right = 0, worst = { n: -1 };
  cells.forEach((row, label) => row.forEach((n, predicted) => {
    total += n;
    if (label === predicted) right += n;
    else if (n > worst.n) worst = { n, label, predicted };
  }));
  check(total === 10000 && Math.abs(right / total - accuracy) < 5e-5,
    `the matrix holds the 10,000 test digits (${total}) and its diagonal the accuracy (${right / total} vs ${accuracy})`);
  const cell = `#confusion button[data-label="${worst.label}"][data-predicted="${worst.predicted}"]`;
  await page.click(cell);
  await page.waitForFunction((text) => document.getElementById('mistakes-shown').textContent.startsWith(text),
    `${worst.n.toLocaleString('en')} test ${worst.label}s read as ${worst.predicted}`, { timeout: 10000 });
  const shown = await page.$$eval('#mistakes li', (items) => items.map((li) => li.textContent));
  check(shown.length === Math.min(worst.n, 48) && shown.every((t) => t === `${worst.predicted} for ${worst.label}`),
    `the cell shows its ${Math.min(worst.n, 48)} digits (${shown.length}: ${[...new Set(shown)].join(', ')})`);
  await page.click(cell);
  const all = await page.$$eval('#mistakes li', (items) => new Set(items.map((li) => li.textContent)).size);
  check(all > 1, `choosing the cell again shows all the mistakes (${all} kinds)`);
  report('confusion matrix', `${right.toLocaleString('en')} of ${total.toLocaleString('en')} on the diagonal; ` +
    `most confused: ${worst.n} ${worst.label}s read as ${worst.predicted}, shown when chosen`);
}

// Ready on arrival: the page opens with the model tools/page-model made and
// reads drawn digits with it before any training, MNIST loaded or not.
async function shippedModel(page) {
  const file = path.join(ROOT, 'web/models/micro.fxn');
  await page.waitForFunction(() => /shipped with the page|none yet/.test(document.getElementById('model-note').textContent),
    null, { timeout: 30000 });
  const usable = await page.evaluate(() => window.__firstMessage.model);
  const note = await page.textContent('#model-note');
  check(/micro convolutional network shipped with the page/.test(note), `the page opens with its shipped model ("${note}")`);
  const results = [];
  for (let d = 0; d < 10; ++d) {
    const p = await drawAndCheck(page, d, PLACEMENTS[(d + 2) % PLACEMENTS.length]);
    results.push({ digit: d, predicted: p.digit, latency: p.latency });
  }
  const recognised = results.filter((r) => r.predicted === r.digit).length;
  check(recognised >= 9, `the shipped model recognises at least 9 of 10 drawn digits (${recognised})`);
  await page.click('#clear');
  const bytes = fs.readFileSync(file);
  report('ready on arrival', `model in use ${seconds(usable)} after the page was asked for (navigation start); first digit's prediction ` +
    `${results[0].latency.toFixed(0)} ms after its last stroke; ${recognised}/10 drawn digits recognised ` +
    `(${results.map((r) => `${r.digit}->${r.predicted}`).join(' ')}); ${path.basename(file)} ` +
    `${bytes.length.toLocaleString('en')} B, ${zlib.gzipSync(bytes, { level: 9 }).length.toLocaleString('en')} B gzipped`);
}

// See inside: for a drawing, a view per convolution (a map per filter) and
// per dense layer of the shipped micro model, redrawn as the digit is drawn;
// the last dense layer's largest unit is the digit predicted.
async function insideViews(page) {
  await page.click('#clear');
  await page.waitForSelector('#prediction:not([data-digit])');
  const firstMap = () => page.evaluate(() => {
    const c = document.querySelector('#inside .layer-view canvas');
    return c ? Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join() : '';
  });
  await drawDigit(page, DIGITS[4].slice(0, 1), PLACEMENTS[0]);
  await settledPrediction(page);
  const halfDrawn = await firstMap();
  await drawDigit(page, DIGITS[4].slice(1), PLACEMENTS[0]);
  const p = await settledPrediction(page);
  const views = await page.evaluate(() => [...document.querySelectorAll('#inside .layer-view')].map((f) => ({
    kind: f.dataset.kind, top: f.dataset.top === undefined ? null : Number(f.dataset.top),
    sizes: [...f.querySelectorAll('canvas')].map((c) => `${c.width}x${c.height}`),
  })));
  const shapes = views.map((v) => `${v.kind} ${v.sizes.length}x${v.sizes[0]}`).join(', ');
  check(shapes === 'conv2d 16x28x28, conv2d 32x14x14, dense 1x10x1',
    `a view per convolution (a map per filter) and dense layer of the micro model (${shapes})`);
  check(views.length === 3 && views[2].top === p.digit, `the last dense layer's largest unit is the digit read (${views[2]?.top}, ${p.digit})`);
  check(halfDrawn !== '' && halfDrawn !== await firstMap(), 'the feature maps change as the digit is drawn');
  report('inside views', `drawn 4 -> ${p.digit}: ${shapes}`);
}

// Teach it your handwriting: STYLE (digits.mjs) is a way of writing a digit
// the shipped model reads wrong. Six drawings of it are taught; Learn
// fine-tunes the model; then the six and two drawings it never saw must be
// read right, and the MNIST test accuracy may fall by less than half a point.
async function teaching(page) {
  const counts = () => page.$$eval('#teach button', (bs) => bs.map((b) => Number(b.querySelector('.count').textContent)));
  // A slip first: a 1 taught as 7 shows as a tile, and its × forgets it.
  await page.click('#clear');
  await page.waitForSelector('#prediction:not([data-digit])');
  await drawDigit(page, DIGITS[1], PLACEMENTS[0]);
  await settledPrediction(page);
  await page.click('#teach button[data-digit="7"]');
  await page.waitForSelector('#taught li[data-digit="7"]');
  const slipped = (await counts())[7];
  await page.click('#taught li[data-digit="7"] button');
  await page.waitForFunction(() => document.querySelectorAll('#taught li').length === 0);
  check(slipped === 1 && (await counts())[7] === 0 && await page.isDisabled('#learn'),
    `a digit taught by mistake is shown and forgotten with its × (7s: ${slipped}, then ${(await counts())[7]})`);
  const before = [];
  for (const [i, placement] of PLACEMENTS.entries()) {
    await page.click('#clear');
    await page.waitForSelector('#prediction:not([data-digit])');
    await drawDigit(page, STYLE.variant(i), placement);
    before.push((await settledPrediction(page)).digit);
    await page.click(`#teach button[data-digit="${STYLE.digit}"]`);
    await page.waitForFunction(([d, n]) => Number(document.querySelector(`#teach button[data-digit="${d}"] .count`).textContent) === n,
      [STYLE.digit, i + 1]);
  }
  const wrong = before.filter((d) => d !== STYLE.digit).length;
  check(wrong >= 5, `the shipped model reads the ${STYLE.name} wrong before learning (${wrong} of 6: ${before.join(' ')})`);
  check(await page.isDisabled(`#teach button[data-digit="${STYLE.digit}"]`), 'a drawing is taught once');
  const start = Date.now();
  await page.click('#learn');
  await page.waitForFunction(() => document.getElementById('personal-accuracy').dataset.testAfter !== undefined, null, { timeout: 120000 });
  const seconds = (Date.now() - start) / 1000;
  const result = await page.evaluate(() => ({ ...document.getElementById('personal-accuracy').dataset }));
  const [testBefore, testAfter] = [Number(result.testBefore), Number(result.testAfter)];
  check(result.examples === '6' && Number(result.correctBefore) === 6 - wrong && result.correctAfter === '6',
    `after learning the model reads all 6 taught drawings (${result.correctBefore} before, ${result.correctAfter} after)`);
  check(testBefore - testAfter < 0.005, `MNIST test accuracy falls by less than half a point (${testBefore} -> ${testAfter})`);
  const unseen = [];
  for (const [i, placement] of [{ cx: 0.45, cy: 0.55, size: 0.65 }, { cx: 0.55, cy: 0.45, size: 0.5 }].entries()) {
    await page.click('#clear');
    await page.waitForSelector('#prediction:not([data-digit])');
    await drawDigit(page, STYLE.variant(6 + i), placement);
    unseen.push((await settledPrediction(page)).digit);
  }
  check(unseen.every((d) => d === STYLE.digit), `two drawings of the style it was not taught are read as ${STYLE.digit} (${unseen.join(' ')})`);
  const note = await page.textContent('#model-note');
  check(/fine-tuned here on your 6 digits/.test(note), `the page says the model was fine-tuned ("${note}")`);
  report('teaching', `${STYLE.name}: read as ${before.join(' ')} before; 6 taught, learned in ${seconds.toFixed(1)} s ` +
    `(Learn pressed to MNIST's result shown); taught ${result.correctBefore}/6 -> ${result.correctAfter}/6 right, unseen -> ${unseen.join(' ')}; ` +
    `MNIST test accuracy ${testBefore.toFixed(4)} -> ${testAfter.toFixed(4)}`);
  check((await counts())[STYLE.digit] === 6, 'six taught');
}

// The taught digits survive a reload; Forget clears them, for good.
async function taughtAfterReload(page) {
  const counts = () => page.$$eval('#teach button', (bs) => bs.map((b) => Number(b.querySelector('.count').textContent)).join(' '));
  const kept = await counts();
  const expected = Array.from({ length: 10 }, (_, d) => (d === STYLE.digit ? 6 : 0)).join(' ');
  const tiles = await page.locator('#taught li[data-digit="6"]').count();
  check(kept === expected && tiles === 6, `the taught digits survive a reload (${kept}; ${tiles} tiles)`);
  await page.click('#forget');
  await page.waitForFunction(() => document.getElementById('forget').disabled);
  await page.reload();
  await waitForStatus(page, /ready|error/);
  await page.waitForFunction(() => document.querySelector('#teach button .count') !== null);
  await page.waitForTimeout(500);
  const after = await counts();
  check(after === '0 0 0 0 0 0 0 0 0 0' && await page.isDisabled('#learn'), `Forget clears them, also after a reload (${after})`);
  report('taught digits', `after a reload: ${kept}; after Forget and a reload: ${after}`);
}

// Deploy anywhere: tools/build-site's folder, served by Python's plain static
// server, which sends no cross-origin isolation headers: one thread, and the
// page says so; the shipped model reads a drawn digit; MNIST comes from the
// folder (built with --data) or, built without, from the four files the
// visitor chooses.
async function staticSite(context) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fixnet-site-'));
  try {
    for (const withData of [true, false]) {
      const site = path.join(work, withData ? 'site' : 'site-no-data');
      const built = spawnSync(path.join(ROOT, 'tools/build-site'), [site, ...(withData ? ['--data', DATA_DIR] : [])],
        { encoding: 'utf8' });
      check(built.status === 0, `tools/build-site writes the site (${built.stderr.trim() || 'exit 0'})`);
      if (built.status === 0) await visitStaticSite(context, site, withData);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function visitStaticSite(context, site, withData) {
  const port = await freePort();
  const { server, exited } = await startServer(port, ['-m', 'http.server', '--bind', '127.0.0.1', '--directory', site, String(port)]);
  const page = await context.newPage();
  try {
    page.on('pageerror', (e) => check(false, `no page error on the static site (${e.message})`));
    await page.addInitScript(observeClassification);
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => /shipped with the page|none yet/.test(document.getElementById('model-note').textContent),
      null, { timeout: 30000 });
    const engine = await page.textContent('#engine');
    check(/1 thread\).*One thread: the server does not send the cross-origin isolation headers/.test(engine),
      `the static site runs on one thread and says why ("${engine}")`);
    const p = await drawAndCheck(page, 7, PLACEMENTS[0]);
    check(p.digit === 7, `the static site reads a drawn 7 (${p.digit})`);
    let chosen = '';
    if (!withData) {
      const missing = await waitForStatus(page, /No MNIST|error|ready/);
      check(/^No MNIST to train on: the server has no MNIST files in data\/\. Choose the four files/.test(missing) &&
        await page.isVisible('label[for="mnist-files"]'), `without data/ the page offers to choose the files ("${missing}")`);
      await page.setInputFiles('#mnist-files', MNIST_FILES.map((f) => path.join(DATA_DIR, f)));
      chosen = '; MNIST from the four files chosen';
    }
    const ready = await waitForStatus(page, /test accuracy|error/);
    check(/^ready; .*test accuracy 0\.9[0-9]+ on all 10,000 test digits/.test(ready),
      `the static site loads MNIST (${withData ? 'from its folder' : 'from chosen files'}) and tests its model (${ready})`);
    report(withData ? 'static site' : 'static site, no data/', `tools/build-site, python3 -m http.server: ` +
      `${engine.replace(/^[^(]*\(([^)]*)\).*$/, '$1')}; drawn 7 -> ${p.digit}${chosen}; "${ready}"`);
  } finally {
    await page.close();
    server.kill();
    await exited;
  }
}

// The test ------------------------------------------------------------------------------

async function run(page, port) {
  // Load to ready.
  await page.goto(`http://127.0.0.1:${port}/`);
  await shippedModel(page);
  await insideViews(page);
  const ready = await waitForStatus(page, /ready|error|No MNIST/);
  check(/^ready/.test(ready), `status says ready (${ready})`);
  const readyAt = await page.evaluate(() => window.__firstMessage.ready);
  report('page load to ready', `${seconds(readyAt)} (now: "${ready}")`);
  await waitForStatus(page, /test accuracy/);
  await teaching(page);

  // Softmax, the tutorial's recipe.
  check(await page.inputValue('#model') === 'softmax', 'the softmax is the default model');
  const t = await trainAndTime(page);
  const accuracy = Number(await page.textContent('#test-accuracy'));
  const label = await page.textContent('#test-accuracy-label');
  const rate = await page.textContent('#images-per-second');
  check(accuracy >= 0.9, `softmax test accuracy >= 0.90 (${accuracy})`);
  report('softmax (1,000 x 100)', `test accuracy ${accuracy} on ${label}; >= 0.90 shown ${t.reached === null ? 'never' : `${seconds(t.reached)}`} after Train, ` +
    `final ${seconds(t.done)} after; ${rate} images/s`);
  report('longest main-thread task', t.longest > 0 ? `${t.longest.toFixed(0)} ms during training` : 'none over 50 ms during training');
  check(t.longest < 200, `no main-thread task over 200 ms during training (${t.longest.toFixed(0)} ms)`);
  const wrong = await page.locator('#mistakes li').count();
  check(wrong > 0, `misclassified test digits shown (${wrong})`);
  check(await page.locator('#weights canvas').count() === 10, 'ten softmax weight maps');
  await confusionMatrix(page, accuracy);

  // Drawing.
  const ink = mnistInk();
  const results = [];
  for (let d = 0; d < 10; ++d) {
    const placement = PLACEMENTS[d % PLACEMENTS.length];
    const p = await drawAndCheck(page, d, placement);
    results.push({ digit: d, predicted: p.digit, inkRatio: p.ink / ink[d], latency: p.latency });
  }
  const recognised = results.filter((r) => r.predicted === r.digit).length;
  const ratios = results.map((r) => r.inkRatio);
  check(recognised >= 6, `at least 6 of 10 drawn digits recognised (${recognised})`);
  const meanRatio = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  check(meanRatio > 0.7 && meanRatio < 1.4, `drawn strokes MNIST-like: ink ${meanRatio.toFixed(2)}x MNIST's`);
  report('drawn digits', `${recognised}/10 recognised (${results.map((r) => `${r.digit}->${r.predicted}`).join(' ')}); ` +
    `ink of the model's view ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}x MNIST's, mean ${meanRatio.toFixed(2)}x; ` +
    `prediction ${Math.max(...results.map((r) => r.latency)).toFixed(0)} ms or less after the last stroke`);
  await page.click('#clear');
  check(await page.getAttribute('#prediction', 'data-digit') === null, 'an empty pad has no prediction');

  // Model files: save, load it back, refuse a corrupted copy.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fixnet-page-test-'));
  try {
    let model = process.env.FIXNET_TEST_MODEL;
    if (!model) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
      model = path.join(work, download.suggestedFilename());
      await download.saveAs(model);
      const saved = fs.readFileSync(model);
      // The softmax's file: header 24 + 2 layers x 32 + count 8 + 7,850 floats + CRC 4.
      check(saved.subarray(0, 4).toString() === 'FXNM' && saved.length === 31500 && model.endsWith('.fxn'),
        `saved a softmax model file (${path.basename(model)}, ${saved.length} bytes)`);
    }
    await page.setInputFiles('#model-file', model);
    const loaded = await waitForStatus(page, /^loaded .*test accuracy|could not/);
    check(/^loaded .*test accuracy/.test(loaded), `a valid model file loads and is tested (${loaded})`);
    report('model files', `loaded ${path.basename(model)} (${fs.statSync(model).size.toLocaleString('en')} B)`);
    await refuseBadFiles(page, model, work);  // ends with `model` loaded again
    if (process.env.FIXNET_TEST_MODEL) await drawWithLoadedModel(page);
    if (process.env.FIXNET_TEST_INT8_MODEL) await loadInt8Model(page, process.env.FIXNET_TEST_INT8_MODEL);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  // Screenshots: desktop, then phone.
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const phone = SCREENSHOT.replace(/(\.png)?$/, '-phone.png');
  await page.screenshot({ path: phone, fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `nothing wider than a phone's 390 px (overflow ${overflow} px)`);
  await page.setViewportSize({ width: 1280, height: 900 });
  report('screenshots', `${SCREENSHOT}, ${phone}`);

  // A reload restores the last model from IndexedDB (and serves the worker
  // the fixnet.js the divergence test needs).
  await serveWeightPoisoner(page);
  await page.reload();
  const restored = await waitForStatus(page, /restored|error/);
  check(/ready.*restored/.test(restored), `the model survives a reload (${restored})`);
  const p = await drawAndCheck(page, 3, PLACEMENTS[2]);
  report('reload', `${restored.replace(/\.$/, '')}; drawn 3 -> ${p.digit}`);
  await taughtAfterReload(page);

  if (process.env.FIXNET_TEST_MODEL) await trainWhileTesting(page, process.env.FIXNET_TEST_MODEL);
  await divergence(page);

  if (CNN_SECONDS > 0) await cnnRun(page);
}

// Trains the CNN recipe for CNN_SECONDS, drawing a digit halfway (a
// prediction must come while it trains), and reports its measured numbers.
async function cnnRun(page) {
  await page.selectOption('#model', 'cnn');
  check(await page.inputValue('#steps') === '20000' && await page.inputValue('#batch') === '50', 'the CNN recipe fills the fields');
  await page.click('#clear');
  const start = await page.evaluate(() => performance.now());
  await page.click('#train');
  await page.waitForTimeout(CNN_SECONDS * 500);
  await drawDigit(page, DIGITS[2], PLACEMENTS[0]);
  const predictionMs = await predictionLatency(page);
  const predicted = await page.getAttribute('#prediction', 'data-digit');
  await page.waitForTimeout(CNN_SECONDS * 500);
  const pausing = Date.now();
  await page.click('#pause');
  await waitForStatus(page, /paused/);
  const pauseMs = Date.now() - pausing;
  const [steps, rate, accuracy, label] = await Promise.all(['#steps-done', '#images-per-second', '#test-accuracy', '#test-accuracy-label']
    .map((s) => page.textContent(s)));
  const evalShare = await page.getAttribute('#test-accuracy-label', 'title');
  const long = await page.evaluate((from) => window.__longTasks.filter((t) => t.start >= from).map((t) => t.duration), start);
  const longest = Math.max(0, ...long);
  report(`CNN, ${CNN_SECONDS} s`, `${steps} steps, ${rate} images/s, test accuracy ${accuracy} (${label}); ` +
    `${evalShare}; drawn 2 -> ${predicted} ${predictionMs.toFixed(0)} ms after the last stroke; paused ${pauseMs} ms after the click; ` +
    `main-thread tasks over 50 ms: ${long.length}${long.length ? `, longest ${longest.toFixed(0)} ms` : ''}`);
  await page.screenshot({ path: SCREENSHOT.replace(/(\.png)?$/, '-cnn.png'), fullPage: true });
  await page.click('#reset');
}

async function main() {
  if (!fs.existsSync(path.join(WASM_DIR, 'fixnet.mjs')) || !fs.existsSync(path.join(WASM_DIR, 'fixnet.wasm'))) {
    skip(`no wasm build in ${WASM_DIR}: run meson setup build-wasm --cross-file cross/emscripten.ini && ninja -C build-wasm`);
  }
  const missing = MNIST_FILES.filter((f) => !fs.existsSync(path.join(DATA_DIR, f)));
  if (missing.length) skip(`no MNIST in ${DATA_DIR} (${missing.join(', ')}): run tools/fetch-mnist or set MNIST_DIR`);
  report('wasm', `fixnet.wasm ${fs.statSync(path.join(WASM_DIR, 'fixnet.wasm')).size.toLocaleString('en')} B, ` +
    `fixnet.mjs ${fs.statSync(path.join(WASM_DIR, 'fixnet.mjs')).size.toLocaleString('en')} B`);

  const port = await freePort();
  const { server, exited } = await startServer(port);
  const stopServer = () => server.exitCode === null && server.kill();
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { stopServer(); process.exit(1); });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fixnet-chromium-'));
  let context = null;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: BROWSER_ARGS,
      headless: true,
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    const page = context.pages()[0] ?? await context.newPage();
    page.on('pageerror', (e) => check(false, `no page error (${e.message})`));
    await page.addInitScript(observeLongTasks);
    await page.addInitScript(observeClassification);
    await run(page, port);
    await staticSite(context);
  } catch (e) {
    check(false, `the test ran to its end (${e.stack})`);
  } finally {
    await context?.close();
    fs.rmSync(profile, { recursive: true, force: true });
    stopServer();
    await exited;
  }
  console.log('fixnet page test');
  for (const line of summary) console.log(line);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();

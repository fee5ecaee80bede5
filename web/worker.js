// fixnet web: the module worker that owns the WebAssembly instance. It loads
// the module, a model (the last visit's, else the page's own), the digits
// the visitor taught it and MNIST, then runs one job at a time (a training
// run, a fine-tuning on the taught digits or a full test evaluation) in
// slices of about 40 ms, yielding to its message loop between slices
// through a MessageChannel, so pause, predictions and model files are
// handled within one slice (a slice holds at least one training step: a CNN
// step of batch 50 is ~200 ms).
import { loadFixnet, PIXELS } from './worker/fixnet.js';
import { loadMnist, DataMissing } from './worker/mnist.js';
import { storeModel, storedModel, storeExample, storedExamples, removeExample, clearExamples } from './worker/store.js';
import { TrainingRun } from './worker/training.js';
import { TuningRun } from './worker/tuning.js';
import { FullEvaluation } from './worker/evaluation.js';
import { RECIPES, settingsProblem } from './recipes.js';

let fx = null;
let haveData = false;
let loadingData = false;
let job = null;       // TrainingRun or FullEvaluation
let paused = false;
let scheduled = false;
let pendingClassify = null;  // the latest drawing to classify; older ones are dropped
let tested = null;    // the last FullEvaluation finished: the confusion matrix shown
let examples = [];    // the digits the visitor taught: { id, key (IndexedDB's, once stored), pixels: 784 bytes, label }
let exampleIds = 0;

let handled = 0;      // the number of the last request handled (see the page's send)
const post = (message, transfer = []) => self.postMessage({ ...message, handled }, transfer);
const tick = new MessageChannel();
tick.port1.onmessage = pump;

function schedule() {
  if (!scheduled) {
    scheduled = true;
    tick.port2.postMessage(null);
  }
}

function setJob(next) {
  job = next;
  paused = false;
  const state = job instanceof TrainingRun ? 'training' : job instanceof TuningRun ? 'tuning' : job ? 'evaluating' : 'idle';
  post({ type: 'state', state });
  if (job) schedule();
}

// The pending classification, then one slice of the current job.
function pump() {
  scheduled = false;
  if (pendingClassify) classify();
  if (!job || paused) return;
  const current = job;
  try {
    if (current.work()) return schedule();
    if (current instanceof FullEvaluation) {
      tested = current;
      return setJob(null);
    }
    if (current instanceof TrainingRun) {
      post({ type: 'trained' });
      keepModel('trained');
    } else {
      keepModel('tuned');
      postModel('tuned', { examples: current.count });
    }
    setJob(new FullEvaluation(fx, post));  // a trained or tuned model is tested
  } catch (e) {
    const what = current instanceof TrainingRun ? `training stopped after step ${fx.modelSteps()}: `
      : current instanceof TuningRun ? `fine-tuning stopped after step ${current.step}: ` : '';
    post({ type: 'error', message: what + e.message });
    setJob(null);
    if (!fx.modelKind()) post({ type: 'discarded' });  // a diverged model is dropped, not kept
  }
}

function classify() {
  const { id, width, height, pixels } = pendingClassify;
  pendingClassify = null;
  try {
    if (!fx.modelKind()) return post({ type: 'classified', id, result: null, reason: 'no-model' });
    const result = fx.classify(new Uint8Array(pixels), width, height);
    if (result) result.inside = fx.inside();
    post({ type: 'classified', id, result, reason: result ? null : 'no-ink' });
  } catch (e) {
    post({ type: 'classified', id, result: null, reason: e.message });
  }
}

// Stores the current model for the next visit (best effort).
function keepModel(origin, name) {
  storeModel({ bytes: fx.saveModel(), kind: fx.modelKind(), origin, name, savedAt: Date.now() }).catch(() => {});
}

// The page shows this many of the latest taught digits.
const EXAMPLES_SHOWN = 48;

// Tells the page how many examples of each digit it has been taught, and
// shows it the latest ({ id, label, pixels }).
function postExamples(extra = {}) {
  const counts = new Array(10).fill(0);
  for (const e of examples) ++counts[e.label];
  const latest = examples.slice(-EXAMPLES_SHOWN).map(({ id, label, pixels }) => ({ id, label, pixels }));
  post({ type: 'examples', counts, latest, ...extra });
}

function postModel(origin, extra = {}) {
  post({ type: 'model', origin, kind: fx.modelKind(), int8: fx.modelInt8(), weights: fx.pictureWeights(), ...extra });
}

const handlers = {
  train(settings) {
    const problem = settingsProblem(settings);
    if (problem) return post({ type: 'error', message: problem });
    job = null;  // fx_model_new below replaces the model any job works on
    setJob(new TrainingRun(fx, { ...settings, kind: RECIPES[settings.model].kind }, post));
    postModel('training');
  },
  pause() {
    if (!(job instanceof TrainingRun) || paused) return;
    paused = true;
    job.pause();
    post({ type: 'state', state: 'paused' });
  },
  resume() {
    if (!(job instanceof TrainingRun) || !paused) return;
    paused = false;
    job.resume();
    post({ type: 'state', state: 'training' });
    schedule();
  },
  reset() {
    setJob(null);
  },
  classify(request) {
    pendingClassify = request;  // classified before the next slice, so only the latest is
    schedule();
  },
  // Keeps the model's view of a drawing ({ input: 784 floats in [0, 1] }) as
  // an example of `label`, here and in IndexedDB.
  teach({ input, label }) {
    if (!Number.isInteger(label) || label < 0 || label > 9) throw new Error(`not a digit: ${label}`);
    if (!input || input.length !== PIXELS) throw new Error('no drawing to teach');
    if (examples.length >= fx.maxExamples()) {
      throw new Error(`the page keeps at most ${fx.maxExamples()} examples; forget them to teach more`);
    }
    const pixels = Uint8Array.from(input, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    const example = { id: ++exampleIds, key: null, pixels, label };
    examples.push(example);
    storeExample(example).then((key) => {
      example.key = key;
      if (!examples.includes(example)) removeExample(key).catch(() => {});  // forgotten meanwhile
      postExamples({ taught: label });
    }, (e) => postExamples({ taught: label, unsaved: `the browser did not store it (${e.message}): it is kept for this visit only` }));
  },
  // Forgets one taught example ({ id }).
  unteach({ id }) {
    const example = examples.find((e) => e.id === id);
    if (!example) return;
    examples = examples.filter((e) => e !== example);
    postExamples();
    if (example.key !== null) {
      removeExample(example.key).catch((e) => post({ type: 'error', message: `could not forget the stored example: ${e.message}` }));
    }
  },
  forget() {
    examples = [];
    clearExamples().then(() => postExamples(), (e) => post({ type: 'error', message: `could not forget the stored examples: ${e.message}` }));
  },
  learn() {
    if (job instanceof TrainingRun) throw new Error('a model is being trained; press Reset to stop training first');
    if (!fx.modelKind()) throw new Error('no model to teach: train or load one first');
    if (fx.modelInt8()) throw new Error('an int8 model cannot be fine-tuned: train or load a float model');
    if (examples.length === 0) throw new Error('teach it some digits first: draw one, then press the digit it is');
    if (!haveData) throw new Error('fine-tuning mixes in MNIST\'s training digits, so that the model keeps reading them; load MNIST first');
    setJob(new TuningRun(fx, examples, post));
  },
  'mnist-files'({ files }) {
    if (haveData) throw new Error('MNIST is loaded already');
    if (loadingData) throw new Error('MNIST is being loaded');
    loadData({ files });
  },
  confused({ label, predicted }) {
    if (!tested) throw new Error('no test evaluation has finished yet');
    post({ type: 'confused', label, predicted, ...tested.confusedDigits(label, predicted) });
  },
  save() {
    const bytes = fx.saveModel();
    post({ type: 'saved', bytes, kind: fx.modelKind() }, [bytes.buffer]);
  },
  load({ bytes, name }) {
    if (job instanceof TrainingRun) throw new Error('a model is being trained; press Reset to stop training first');
    fx.loadModel(new Uint8Array(bytes));  // throws, leaving the current model, on a bad file
    keepModel('loaded', name);
    postModel('loaded', { name });
    setJob(haveData ? new FullEvaluation(fx, post) : null);
  },
};

self.onmessage = ({ data }) => {
  handled = data.number;
  try {
    if (!fx) throw new Error('the page is still loading');
    handlers[data.type](data);
  } catch (e) {
    post({ type: 'error', request: data.type, id: data.id, message: e.message });
  }
};

// The model the page opens with, so a visitor can draw at once: made by
// tools/page-model (the micro recipe), served beside the page.
const SHIPPED_MODEL = 'models/micro.fxn';

// Loads the last visit's model, else the shipped one, and tells the page.
// Before MNIST: drawing works while the data loads (or without it).
async function loadFirstModel() {
  let restoreError = null;
  try {
    const restored = await storedModel();
    if (restored) {
      fx.loadModel(restored.bytes);
      postModel('restored', { savedAt: restored.savedAt, name: restored.name, previousOrigin: restored.origin });
      return null;
    }
  } catch (e) {
    restoreError = e.message;
  }
  try {
    const response = await fetch(new URL(SHIPPED_MODEL, self.location));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    fx.loadModel(new Uint8Array(await response.arrayBuffer()));
    postModel('shipped', { name: SHIPPED_MODEL.split('/').pop() });
  } catch (e) {
    post({ type: 'no-shipped-model', name: SHIPPED_MODEL, message: e.message });
  }
  return restoreError;
}

// Start-up: module, a model, then the data.
async function start() {
  // Threads need SharedArrayBuffer, which only a cross-origin isolated page
  // has (tools/serve sends the headers); otherwise one thread. URLs are
  // relative to the page: it may be served from any folder (tools/build-site).
  const cores = Math.min(navigator.hardwareConcurrency || 1, 8);
  const module = self.crossOriginIsolated && cores > 1 ? 'fixnet-threads.mjs' : 'fixnet.mjs';
  let threads = 1;
  try {
    fx = await loadFixnet(new URL(`wasm/${module}`, self.location));
    threads = fx.setThreads(cores);
  } catch (e) {
    post({ type: 'fatal', message: `could not load the WebAssembly module wasm/${module} (${e.message}); build it with: ninja -C build-wasm` });
    return;
  }
  post({ type: 'wasm', simd: fx.simd(), staticBytes: fx.staticBytes(), threads, isolated: self.crossOriginIsolated,
    modelFileBytes: fx.modelFileCapacity() });

  // No training can start before 'ready', so nothing replaces this model meanwhile.
  const restoreError = await loadFirstModel();
  try {
    examples = (await storedExamples()).map((e) => ({ ...e, id: ++exampleIds }));
  } catch (e) {
    post({ type: 'error', message: `could not read the digits you taught on an earlier visit: ${e.message}` });
  }
  postExamples();
  await loadData({ url: new URL('data/', self.location) }, restoreError);
}

// MNIST from `source` (mnist.js's loadMnist), then 'ready'; the model in
// use then (the first one, or one the visitor loaded meanwhile, untested
// without data) is tested. On failure the page says why, and the visitor
// may choose the files.
async function loadData(source, restoreError = null) {
  let data = null;
  loadingData = true;
  try {
    let last = 0;
    data = await loadMnist(fx, source, (loaded, total) => {
      const now = performance.now();
      if (now - last < 250 && loaded !== total) return;
      last = now;
      post({ type: 'data-progress', loaded, total });
    });
  } catch (e) {
    post({ type: e instanceof DataMissing ? 'data-missing' : 'data-error', message: e.message });
    return;
  } finally {
    loadingData = false;
  }
  haveData = true;
  post({ type: 'ready', ...data, restoreError });
  if (fx.modelKind() && !job) setJob(new FullEvaluation(fx, post));
}

start();

// fixnet web: the page. Starts the worker (which owns the WebAssembly
// module, the data and every computation) and connects its messages to the
// panels: training, drawing and predictions, pictures of the model, files.
import { TrainPanel } from './ui/train-panel.js';
import { TrainingChart } from './ui/chart.js';
import { DrawPad } from './ui/drawpad.js';
import { Predictor } from './ui/prediction.js';
import { Insight } from './ui/insight.js';
import { ModelFiles } from './ui/model-files.js';
import { Teacher } from './ui/teacher.js';
import { InsideView } from './ui/inside.js';
import * as format from './ui/format.js';

const $ = (id) => document.getElementById(id);
const MODEL_NAMES = {
  softmax: 'softmax regression', cnn: 'convolutional network', micro: 'micro convolutional network',
  other: 'network of another architecture',
};
const REFRESH_PREDICTION_MS = 500;  // while training, the drawing is re-classified this often

const worker = new Worker('worker.js', { type: 'module' });

// Every request carries a number, and every worker message the number of the
// last request the worker had handled when it posted it. A job's reports
// posted before the worker handled the latest request that replaces the job
// (train, reset, load) are stale: the page drops them, so the evaluation of
// the previous model cannot overwrite "training…", say.
const JOB_REQUESTS = new Set(['train', 'reset', 'load', 'learn']);
const JOB_REPORTS = new Set(['state', 'progress', 'trained', 'test', 'evaluating', 'mistakes', 'weights', 'tuning', 'tuned']);
let requests = 0;
let jobRequest = 0;  // the number of the latest request that replaces the job
function send(message, transfer = []) {
  ++requests;
  if (JOB_REQUESTS.has(message.type)) jobRequest = requests;
  worker.postMessage({ ...message, number: requests }, transfer);
}
const stale = (message) => JOB_REPORTS.has(message.type) && message.handled < jobRequest;

const panel = new TrainPanel();
const chart = new TrainingChart($('chart'));
const pad = new DrawPad($('draw'), () => predictor.request());
const teacher = new Teacher(send, {
  buttons: $('teach'), learn: $('learn'), forget: $('forget'), note: $('teach-note'), accuracy: $('personal-accuracy'),
  taught: $('taught'), taughtNote: $('taught-note'),
});
const inside = new InsideView({ view: $('inside'), note: $('inside-note') });
let modelInt8 = false;
const predictor = new Predictor(pad, send, { prediction: $('prediction'), bars: $('probabilities'), input: $('model-input') },
  (result) => {
    teacher.drawing(result?.input);
    inside.show(result?.inside, modelInt8 ? 'The inside view shows float models; this one is int8.'
      : 'Draw a digit to see what each layer makes of it.');
  });
const insight = new Insight({
  weights: $('weights'), heading: $('weights-heading'), note: $('weights-note'), scale: $('weights-scale'),
  mistakes: $('mistakes'), mistakesNote: $('mistakes-note'), confusion: $('confusion'),
  confusionView: $('confusion-view'), shown: $('mistakes-shown'),
}, (label, predicted) => send({ type: 'confused', label, predicted }));
const files = new ModelFiles(send, {
  busy: () => (state === 'training' || state === 'paused'
    ? 'a model is being trained; press Reset to stop training first' : null),
  onLoading(name) {
    loading = name;
    setStatus(`loading ${name}…`);
  },
  onRefused: (sentence) => setStatus(sentence, { error: true }),
});

let ready = false;
let state = 'loading';
let evaluating = '';  // what the current full evaluation is of, for the status line
let firstModel = '';  // the model in use before MNIST came, for the status line at 'ready'
let loading = '';     // the model file on its way to the worker
let runModel = '';    // the model of the current training run
let lastProgress = null;
let lastRefresh = 0;

// The status line. An error stays until the user does something (a control,
// a file): news from the background (progress, evaluations, `background`)
// does not replace it.
let showingError = false;
function setStatus(text, { error = false, background = false } = {}) {
  if (background && showingError && !error) return;
  showingError = error;
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}
const report = (text) => setStatus(text, { background: true });

function setState(next) {
  state = next;
  panel.setState(state, { canTrain: ready });
  teacher.setCanLearn(ready && hasModel && state !== 'training' && state !== 'paused' && state !== 'tuning');
}
let hasModel = false;

// Page controls -----------------------------------------------------------------

$('train').addEventListener('click', () => {
  const settings = panel.settings();
  if (settings.problem) return setStatus(`cannot train: ${settings.problem}`, { error: true });
  chart.reset(settings.steps);
  panel.clear(settings.steps);
  insight.clearMistakes();
  lastProgress = null;
  runModel = settings.model;
  send({ type: 'train', ...settings });
  setStatus(`training the ${MODEL_NAMES[settings.model]}…`);
});
$('pause').addEventListener('click', () => send({ type: state === 'paused' ? 'resume' : 'pause' }));
// A control used: what follows it may replace an error.
document.addEventListener('click', (e) => {
  if (e.target.closest('button, .button')) showingError = false;
}, { capture: true });
// The worker handles messages in order, so whatever is sent after the reset
// (a model file, say) finds no training run: the page is idle at once, not
// only when the worker's answer arrives.
$('reset').addEventListener('click', () => {
  send({ type: 'reset' });
  teacher.stopped();
  if (ready) setState('idle');
  chart.reset(0);
  panel.clear();
  setStatus(ready ? 'ready' : $('status').textContent);
  $('train').focus();
});
$('clear').addEventListener('click', () => pad.clear());
$('mnist-files').addEventListener('change', (e) => {
  const chosen = [...e.target.files];
  e.target.value = '';  // the same files may be chosen again after an error
  if (chosen.length === 0) return;
  setStatus(`loading MNIST from ${chosen.length} chosen file${chosen.length === 1 ? '' : 's'}…`);
  send({ type: 'mnist-files', files: chosen });
});
const pen = $('pen-width');
pen.value = pad.pen;
pen.addEventListener('input', () => { pad.pen = Number(pen.value); });

// Worker messages ----------------------------------------------------------------

const handlers = {
  fatal({ message }) {
    setStatus(`error: ${message}`, { error: true });
  },
  wasm({ simd, staticBytes, threads, isolated, modelFileBytes }) {
    files.maxBytes = modelFileBytes;
    $('engine').textContent = `fixnet in WebAssembly (${simd}, ${threads} thread${threads === 1 ? '' : 's'}), ` +
      `with ${format.bytes(staticBytes)} of memory fixed before the first step.` +
      (isolated ? '' : ' One thread: the server does not send the cross-origin isolation headers ' +
        '(COOP and COEP) that threads need.');
    report('loading MNIST…');
  },
  'data-progress'({ loaded, total }) {
    const bar = $('data-progress');
    bar.hidden = false;
    if (total > 0) {
      bar.value = loaded / total;
      report(`loading MNIST: ${format.bytes(loaded)} of ${format.bytes(total)} (${Math.floor((100 * loaded) / total)}%)`);
    } else {
      bar.removeAttribute('value');
      report(`loading MNIST: ${format.bytes(loaded)}`);
    }
  },
  'data-missing'({ message }) {
    $('data-progress').hidden = true;
    $('mnist-choose').hidden = false;
    setStatus(`No MNIST to train on: ${message}. Choose the four files if you have them (train-images-idx3-ubyte.gz ` +
      'and the three others), fetch them with tools/fetch-mnist, or serve a copy with MNIST_DIR=/path/to/mnist ' +
      'tools/serve. You can still draw, and load or save model files.', { error: true });
  },
  'data-error'({ message }) {
    $('data-progress').hidden = true;
    $('mnist-choose').hidden = false;
    setStatus(`error loading MNIST: ${message}`, { error: true });
  },
  ready({ train, test, subset, restoreError }) {
    ready = true;
    $('data-progress').hidden = true;
    $('mnist-choose').hidden = true;
    setState('idle');
    // The first model is tested next: its reports carry on from this line.
    evaluating = firstModel ? `ready; ${firstModel}` : '';
    const model = firstModel ? `; ${firstModel}` : '';
    report((subset
      ? `ready, with the small offline MNIST set (${format.count(train)} training and ${format.count(test)} test digits)${model}: ` +
        'accuracies are not comparable with full MNIST; tools/fetch-mnist gets the full set when online.'
      : `ready: ${format.count(train)} training and ${format.count(test)} test digits loaded${model}.`) +
      (restoreError ? ` The model of your last visit could not be restored (${restoreError}).` : ''));
  },
  'no-shipped-model'({ name, message }) {
    noteModel(`none yet: the page's model ${name} could not be loaded (${message}). Train one, or load a model file.`);
  },
  state({ state: next }) {
    const pauseHadFocus = document.activeElement === $('pause');
    setState(next);
    // Keep keyboard focus on a control that still works.
    if (next === 'training') $('pause').focus();
    else if (pauseHadFocus && $('pause').disabled) $('train').focus();
    if (next === 'paused') report(`paused at step ${format.count(lastProgress?.step ?? 0)}`);
    if (next === 'training' && lastProgress) report(`training the ${MODEL_NAMES[runModel]}…`);
  },
  examples(message) {
    teacher.examples(message);
  },
  tuning(message) {
    teacher.progress(message);
    report(message.step === 0
      ? `testing the model before learning: ${Math.floor((100 * message.tested) / message.testCount)}%`
      : `learning from your ${format.count(teacher.total)} digits: step ${format.count(message.step)} of ${format.count(message.steps)}`);
  },
  tuned(message) {
    teacher.tuned(message);
    evaluating = `learned from your ${format.count(message.examples)} digits in ${format.elapsed(message.seconds)} ` +
      `(${message.correctBefore} then ${message.correctAfter} of them read right)`;
    report(`${evaluating}; testing on all test digits…`);
  },
  trained() {
    evaluating = `trained ${format.count(lastProgress.steps)} steps in ${format.elapsed(lastProgress.elapsedMs / 1000)}`;
    report(`${evaluating}; testing on all test digits…`);
    noteModel(`the ${MODEL_NAMES[runModel]}, trained here; kept in this browser for your next visit.`);
  },
  progress(message) {
    lastProgress = message;
    panel.showProgress(message);
    chart.add(message.points);
    const now = performance.now();
    if (!pad.empty && now - lastRefresh > REFRESH_PREDICTION_MS) {
      lastRefresh = now;
      predictor.request();
    }
  },
  test(message) {
    panel.showTest(message);
    if (!message.full) return chart.addTest(message.step, message.accuracy);
    teacher.tested(message.accuracy);
    report(`${evaluating ? `${evaluating}; ` : ''}test accuracy ${message.accuracy.toFixed(4)} on all ${format.count(message.count)} test digits.`);
    evaluating = '';
  },
  evaluating({ done, count }) {
    report(`${evaluating ? `${evaluating}; ` : ''}testing on all ${format.count(count)} test digits: ${Math.floor((100 * done) / count)}%`);
  },
  mistakes(message) {
    insight.showMistakes(message);
  },
  confused(message) {
    insight.showCell(message);
  },
  model({ origin, kind, int8, weights, name, savedAt, previousOrigin, examples }) {
    files.canSave = true;
    modelInt8 = int8;
    hasModel = true;
    setState(state);
    if (origin !== 'tuned') teacher.modelChanged();
    insight.showWeights(kind, weights);
    if (!pad.empty) predictor.request();
    const what = `the ${int8 ? 'int8 ' : ''}${MODEL_NAMES[kind]}`;
    if (origin === 'training') return noteModel(`${what} being trained; predictions use it as it is now.`);
    if (origin === 'tuned') {
      return noteModel(`${what}, its dense layers fine-tuned here on your ${format.count(examples)} digits; ` +
        'kept in this browser for your next visit.');
    }
    if (origin === 'loaded') {
      evaluating = `loaded ${name}`;
      firstModel = `${what} from ${name} is in use`;  // if MNIST is still loading
      noteModel(`${what} from ${name}; kept in this browser for your next visit.`);
      return report(`loaded ${name} (${int8 ? 'int8 ' : ''}${MODEL_NAMES[kind]})${ready ? '; testing…' : '.'}`);
    }
    if (origin === 'shipped') {
      firstModel = 'the micro convolutional network shipped with the page is in use';
      return noteModel(`the micro convolutional network shipped with the page (${name}, made by tools/page-model); ` +
        'draw a digit, or train a model of your own.');
    }
    const when = new Date(savedAt).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
    const from = { loaded: `loaded from ${name}`, tuned: 'fine-tuned here on your digits' }[previousOrigin] ?? 'trained here';
    noteModel(`${what}, ${from}, restored from your visit of ${when}.`);
    firstModel = `restored ${what} from your last visit`;
  },
  discarded() {
    files.canSave = false;
    hasModel = false;
    setState(state);
    insight.showWeights(null, null);
    noteModel('none: the training run diverged and was discarded. Train again with a smaller learning rate, or load a model file.');
    if (!pad.empty) predictor.request();
  },
  weights({ kind, weights }) {
    insight.showWeights(kind, weights);
  },
  classified(message) {
    predictor.answered(message);
  },
  saved(message) {
    const name = files.download(message);
    report(`saved the model as ${name} (${format.bytes(message.bytes.byteLength)}).`);
  },
  error({ request, id, message }) {
    if (request === 'classify') return predictor.answered({ id, result: null, reason: message });
    if (request === 'load') {
      return setStatus(`could not load ${loading}: ${message}. The previous model is still in use.`, { error: true });
    }
    setStatus(`error: ${message}`, { error: true });
  },
};

function noteModel(text) {
  $('model-note').textContent = `Current model: ${text}`;
}

worker.onmessage = ({ data }) => {
  if (!stale(data)) handlers[data.type](data);
};
worker.onerror = (e) => setStatus(`error: the worker failed (${e.message ?? 'no message'})`, { error: true });
setState('loading');
setStatus('loading the WebAssembly module…');

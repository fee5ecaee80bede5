// fixnet web, worker side: one training run. Trains in slices that fit a
// time budget; between slices, evaluates a fixed 1,000-image test subset
// whenever enough training time has passed that evaluation costs at most
// about a tenth of the run. Reports measured progress to the page.
import { Evaluation, SLICE_MS } from './evaluation.js';

const SUBSET = 1000;                 // the periodic test subset: test images 0..999
const EVAL_SHARE = 0.1;              // evaluation's share of the time, at most
const MIN_EVAL_INTERVAL_MS = 200;    // of training between two subset evaluations
const FORWARD_SHARE = 1 / 3;         // a forward pass's share of a training step, roughly
const PROGRESS_INTERVAL_MS = 100;
const RATE_WINDOW_MS = 5000;         // images/s is measured over this much recent time
const MAX_POINTS = 500;              // chart points per run, about

export class TrainingRun {
  // Starts a fresh model with `settings` ({ kind, steps, batch, learningRate,
  // keepProb, seed }); `post` sends a message to the page.
  constructor(fx, settings, post) {
    fx.newModel(settings);
    this.fx = fx;
    this.steps = settings.steps;
    this.post = post;
    this.batch = fx.modelBatch();
    this.step = 0;
    this.stepsPerPoint = Math.max(1, Math.ceil(this.steps / MAX_POINTS));
    this.msPerStep = 0;
    this.trainMs = 0;
    this.evalMs = 0;
    this.trainMsSinceEval = 0;
    this.lastEvalMs = 0;
    this.evaluation = null;  // the subset evaluation under way
    this.points = [];        // [step, mean loss, training accuracy] not yet posted
    this.lastPost = 0;
    this.activeMs = 0;       // wall time while not paused
    this.resume();
  }

  get finished() { return this.step >= this.steps; }

  pause() {
    this.activeMs += performance.now() - this.activeSince;
    this.activeSince = null;
  }

  resume() {
    this.activeSince = performance.now();
    this.samples = [[this.activeSince, this.step * this.batch]];  // [time, images trained]
  }

  // Does about SLICE_MS of work; false once every step is done.
  work() {
    if (this.evaluation) this.evaluateSlice();
    else this.trainSlice();
    const now = performance.now();
    if (this.finished || now - this.lastPost >= PROGRESS_INTERVAL_MS) this.postProgress(now);
    return !this.finished;
  }

  // Steps in calls of at most stepsPerPoint (each call is one chart point)
  // until the budget is spent, then decides whether to evaluate next.
  trainSlice() {
    const start = performance.now();
    let elapsed = 0;
    do {
      const fit = this.msPerStep > 0 ? Math.floor((SLICE_MS - elapsed) / this.msPerStep) : 1;
      const n = Math.max(1, Math.min(this.steps - this.step, this.stepsPerPoint, fit));
      const t0 = performance.now();
      const { loss, correct } = this.fx.train(n);
      const perStep = (performance.now() - t0) / n;
      this.msPerStep = this.msPerStep > 0 ? 0.8 * this.msPerStep + 0.2 * perStep : perStep;
      this.step += n;
      this.points.push([this.step, loss / n, correct / (n * this.batch)]);
      elapsed = performance.now() - start;
    } while (!this.finished && elapsed + this.msPerStep < SLICE_MS);
    this.trainMs += elapsed;
    this.trainMsSinceEval += elapsed;
    this.samples.push([performance.now(), this.step * this.batch]);
    // Before the first evaluation its cost is estimated from the step time.
    const evalMs = this.lastEvalMs || (SUBSET / this.batch) * this.msPerStep * FORWARD_SHARE;
    const wait = Math.max(MIN_EVAL_INTERVAL_MS, (evalMs * (1 - EVAL_SHARE)) / EVAL_SHARE);
    if (!this.finished && this.trainMsSinceEval >= wait) {
      this.evaluation = new Evaluation(this.fx, 0, Math.min(SUBSET, this.fx.testCount()));
    }
  }

  evaluateSlice() {
    const e = this.evaluation;
    e.slice(SLICE_MS);
    if (!e.done) return;
    this.evalMs += e.ms;
    this.lastEvalMs = e.ms;
    this.trainMsSinceEval = 0;
    this.evaluation = null;
    this.post({ type: 'test', accuracy: e.accuracy, count: e.count, step: this.step, full: false });
    this.post({ type: 'weights', kind: this.fx.modelKind(), weights: this.fx.pictureWeights() });
  }

  // Images per second over the recent window (wall time, evaluation
  // included), or 0 before there is enough to measure.
  imagesPerSecond(now) {
    while (this.samples.length > 2 && now - this.samples[1][0] > RATE_WINDOW_MS) this.samples.shift();
    const [t0, images0] = this.samples[0];
    const [t1, images1] = this.samples[this.samples.length - 1];
    return t1 - t0 >= 250 ? ((images1 - images0) * 1000) / (t1 - t0) : 0;
  }

  // Posts the new chart points and the measured numbers; time left is
  // projected from the run's average pace so far (evaluations included).
  postProgress(now) {
    const rate = this.imagesPerSecond(now);
    const elapsedMs = this.activeMs + (now - this.activeSince);
    this.post({
      type: 'progress',
      step: this.step,
      steps: this.steps,
      batch: this.batch,
      points: this.points,
      imagesPerSecond: rate,
      secondsLeft: this.step > 0 ? ((this.steps - this.step) * elapsedMs) / this.step / 1000 : null,
      elapsedMs,
      evalShare: this.evalMs / (this.trainMs + this.evalMs),
    });
    this.points = [];
    this.lastPost = now;
  }
}

// fixnet web, worker side: fine-tuning the current model on the visitor's
// taught examples, as a worker job. It first measures the model as it is
// (its answers on the examples, and all MNIST test digits), then trains the
// layers the library chooses (wasm/bindings.cpp, fx_tune_start) on batches
// of the examples mixed with MNIST training digits, and measures the
// examples again; the worker then tests the tuned model on MNIST.
import { Evaluation, SLICE_MS } from './evaluation.js';

// Plain gradient descent (fx_tune_start): a trained model's gradients on
// MNIST's digits are small and those of the examples it reads wrong large,
// so the steps go where the examples need them. (Adam's steps move every
// weight alike: with the page's test style, Adam at 1e-3 cost the micro
// model 0.28 points of MNIST test accuracy, gradient descent at 0.1 0.03.)
const LEARNING_RATE = 0.1;
// Each batch holds 10 examples: 100 steps show each of 6 examples about 170
// times, each time moved differently.
const STEPS_PER_EXAMPLE = 10;
const MIN_STEPS = 100, MAX_STEPS = 300;
const SEED = 1;
const PROGRESS_INTERVAL_MS = 100;

// Steps for `count` examples: enough that each is seen, moved, many times.
const stepsFor = (count) => Math.min(MAX_STEPS, Math.max(MIN_STEPS, STEPS_PER_EXAMPLE * count));

export class TuningRun {
  // `examples`: [{ pixels, label }]; `post` sends a message to the page.
  constructor(fx, examples, post) {
    this.fx = fx;
    this.post = post;
    this.count = examples.length;
    fx.setExamples(examples);
    this.before = fx.examplesCorrect(this.count).correct;
    this.testBefore = new Evaluation(fx, 0, fx.testCount());
    this.steps = stepsFor(this.count);
    this.step = 0;
    this.start = performance.now();
    this.lastPost = 0;
  }

  // Does about SLICE_MS of work; false once done (the 'tuned' report posted).
  work() {
    const start = performance.now();
    if (!this.testBefore.done) {
      this.testBefore.slice(SLICE_MS);
      if (this.testBefore.done) this.fx.tuneStart(this.count, LEARNING_RATE, SEED);
    } else {
      do this.fx.tune(1); while (++this.step < this.steps && performance.now() - start < SLICE_MS);
    }
    const now = performance.now();
    if (this.step === this.steps) {
      this.post({
        type: 'tuned', examples: this.count, steps: this.steps, seconds: (now - this.start) / 1000,
        correctBefore: this.before, correctAfter: this.fx.examplesCorrect(this.count).correct,
        testBefore: this.testBefore.accuracy,
      });
      return false;
    }
    if (now - this.lastPost >= PROGRESS_INTERVAL_MS) {
      this.lastPost = now;
      const e = this.testBefore;
      this.post({ type: 'tuning', step: this.step, steps: this.steps, tested: e.next, testCount: e.count });
    }
    return true;
  }
}

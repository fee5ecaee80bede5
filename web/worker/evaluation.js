// fixnet web, worker side: test-set evaluation in slices, so the worker can
// answer messages (predictions, pause) between them.

export const SLICE_MS = 40;  // worker work between two yields to its message loop
const MISTAKES_SHOWN = 48;
const PROGRESS_INTERVAL_MS = 250;

export class Evaluation {
  // Test images [first, first + count), in calls of one model batch.
  constructor(fx, first, count, { keepPredictions = false } = {}) {
    this.fx = fx;
    this.first = first;
    this.count = count;
    this.next = 0;
    this.correct = 0;
    this.ms = 0;  // time spent evaluating
    this.predictions = keepPredictions ? new Uint8Array(count) : null;
  }

  get done() { return this.next >= this.count; }
  get accuracy() { return this.correct / this.count; }

  // Evaluates for about `budgetMs` (at least one batch).
  slice(budgetMs) {
    const start = performance.now();
    const batch = this.fx.modelBatch();
    do {
      const n = Math.min(batch, this.count - this.next);
      const { correct, predictions } = this.fx.evaluate(this.first + this.next, n);
      this.predictions?.set(predictions, this.next);
      this.correct += correct;
      this.next += n;
    } while (!this.done && performance.now() - start < budgetMs);
    this.ms += performance.now() - start;
  }

  // Up to `limit` test images ({ index, label, predicted, pixels }) for
  // which wanted(label, predicted) holds, and how many there are; needs
  // keepPredictions.
  digits(limit, wanted) {
    const items = [];
    let matching = 0;
    for (let i = 0; i < this.count; ++i) {
      const index = this.first + i;
      const label = this.fx.testLabel(index), predicted = this.predictions[i];
      if (!wanted(label, predicted)) continue;
      if (++matching <= limit) items.push({ index, label, predicted, pixels: this.fx.testImage(index) });
    }
    return { items, matching };
  }

  // The misclassified images, as digits() gives them.
  mistakes(limit) {
    const { items, matching } = this.digits(limit, (label, predicted) => label !== predicted);
    return { items, wrong: matching };
  }

  // The confusion matrix: how many images of each label were read as each
  // digit, at [label * 10 + predicted]; needs keepPredictions.
  confusion() {
    const counts = new Array(100).fill(0);
    for (let i = 0; i < this.count; ++i) ++counts[this.fx.testLabel(this.first + i) * 10 + this.predictions[i]];
    return counts;
  }
}

// The whole test set as a worker job: posts progress, then the accuracy and
// the digits the model got wrong.
export class FullEvaluation {
  constructor(fx, post) {
    this.evaluation = new Evaluation(fx, 0, fx.testCount(), { keepPredictions: true });
    this.post = post;
    this.lastPost = 0;
  }

  // Evaluates for about SLICE_MS; false when done.
  work() {
    const e = this.evaluation;
    e.slice(SLICE_MS);
    if (!e.done) {
      const now = performance.now();
      if (now - this.lastPost >= PROGRESS_INTERVAL_MS) {
        this.lastPost = now;
        this.post({ type: 'evaluating', done: e.next, count: e.count });
      }
      return true;
    }
    this.post({ type: 'test', accuracy: e.accuracy, count: e.count, full: true });
    this.post({ type: 'mistakes', ...e.mistakes(MISTAKES_SHOWN), count: e.count, confusion: e.confusion() });
    return false;
  }

  // Up to MISTAKES_SHOWN test digits of `label` read as `predicted`, and how many there are.
  confusedDigits(label, predicted) {
    return this.evaluation.digits(MISTAKES_SHOWN, (l, p) => l === label && p === predicted);
  }
}

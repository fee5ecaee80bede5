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

  // Up to `limit` misclassified images ({ index, label, predicted, pixels })
  // and how many there are; needs keepPredictions.
  mistakes(limit) {
    const items = [];
    let wrong = 0;
    for (let i = 0; i < this.count; ++i) {
      const index = this.first + i;
      const label = this.fx.testLabel(index);
      if (label === this.predictions[i]) continue;
      if (++wrong <= limit) items.push({ index, label, predicted: this.predictions[i], pixels: this.fx.testImage(index) });
    }
    return { items, wrong };
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
    this.post({ type: 'mistakes', ...e.mistakes(MISTAKES_SHOWN), count: e.count });
    return false;
  }
}

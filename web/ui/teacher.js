// fixnet web: teaching the model the visitor's handwriting. A button per
// digit (#teach button[data-digit]) keeps the model's view of the drawing
// shown as an example of that digit (the worker stores it in IndexedDB) and
// shows how many of each there are and the latest of them (#taught, each
// with a button that forgets it); #learn fine-tunes the model on them,
// #forget drops them all. #personal-accuracy says how many of the examples the
// model read right before and after learning, and its accuracy on MNIST's
// test digits before and after.
import { count } from './format.js';

export class Teacher {
  // `send(message)` posts to the worker.
  constructor(send, { buttons, learn, forget, note, accuracy, taught, taughtNote }) {
    Object.assign(this, { send, learn, forget, note, accuracy, taught, taughtNote });
    this.input = null;       // the model's view of the drawing shown
    this.lastTaught = null;  // the view last taught, not to be taught twice
    this.counts = new Array(10).fill(0);
    this.canLearn = false;   // a model, MNIST, and no training under way
    this.result = null;      // the last fine-tuning's numbers, until its test accuracy comes
    this.buttons = Array.from({ length: 10 }, (_, digit) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.digit = digit;
      button.disabled = true;
      button.innerHTML = `${digit}<span class="count">0</span>`;
      button.addEventListener('click', () => this.teach(digit));
      buttons.append(button);
      return button;
    });
    learn.addEventListener('click', () => send({ type: 'learn' }));
    forget.addEventListener('click', () => send({ type: 'forget' }));
    this.update();
  }

  get total() { return this.counts.reduce((a, b) => a + b, 0); }

  // The drawing now shown: the model's 28x28 view of it, or null.
  drawing(input) {
    this.input = input ?? null;
    this.update();
  }

  teach(digit) {
    if (!this.input) return;
    this.send({ type: 'teach', input: this.input, label: digit });
    this.lastTaught = this.input;
    this.note.textContent = `Taught as ${digit}. Clear the pad and draw another.`;
    this.update();
  }

  // The worker's counts of taught examples and the latest of them ({
  // counts, latest: [{ id, label, pixels }], taught, unsaved }).
  examples({ counts, latest, taught, unsaved }) {
    this.counts = counts;
    this.showLatest(latest);
    if (unsaved) this.note.textContent = `Taught as ${taught}, but ${unsaved}.`;
    else if (this.total === 0) this.note.textContent = 'Draw a digit, then press the digit it is. What you teach stays in this browser.';
    this.update();
  }

  // A tile per taught digit, latest last, each with a button that forgets it.
  showLatest(latest) {
    this.taught.replaceChildren(...latest.map(({ id, label, pixels }) => {
      const li = document.createElement('li');
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 28;
      const ctx = canvas.getContext('2d');
      const image = ctx.createImageData(28, 28);
      pixels.forEach((v, i) => image.data.set([v, v, v, 255], i * 4));
      ctx.putImageData(image, 0, 0);
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = '\u00d7';
      remove.setAttribute('aria-label', `forget this ${label}`);
      remove.addEventListener('click', () => this.send({ type: 'unteach', id }));
      li.dataset.digit = label;
      li.append(canvas, String(label), remove);
      return li;
    }));
    const total = this.total;
    this.taughtNote.hidden = total === 0;
    this.taughtNote.textContent = total > latest.length
      ? `The latest ${latest.length} of the ${count(total)} digits you taught (× forgets one):`
      : 'The digits you taught (× forgets one):';
  }

  // Whether fine-tuning may start (a model, MNIST, no training run).
  setCanLearn(can) {
    this.canLearn = can;
    this.update();
  }

  // A fine-tuning run's report: { step, steps, tested, testCount }.
  progress({ step, steps, tested, testCount }) {
    this.accuracy.textContent = step === 0
      ? `Testing the model as it is first: ${Math.floor((100 * tested) / testCount)}% of MNIST's test digits…`
      : `Learning from your ${count(this.total)} digits: step ${count(step)} of ${count(steps)}…`;
  }

  // Fine-tuning finished: { examples, correctBefore, correctAfter, testBefore }.
  tuned(result) {
    this.result = result;
    this.showResult('testing…');
  }

  // A full test evaluation finished: after a fine-tuning, its accuracy is the "after".
  tested(accuracy) {
    if (!this.result) return;
    this.showResult(accuracy.toFixed(4));
    this.accuracy.dataset.testAfter = accuracy;
    this.result = null;
  }

  showResult(testAfter) {
    const { examples, correctBefore, correctAfter, testBefore } = this.result;
    Object.assign(this.accuracy.dataset, { examples, correctBefore, correctAfter, testBefore });
    delete this.accuracy.dataset.testAfter;
    this.accuracy.textContent = `Your ${count(examples)} digits: ${count(correctBefore)} read right before learning, ` +
      `${count(correctAfter)} after. MNIST's test digits: ${testBefore.toFixed(4)} before, ${testAfter} after.`;
  }

  // Another model is in use: the last result was about the one before.
  modelChanged() {
    this.result = null;
    this.accuracy.textContent = '';
    for (const key of Object.keys(this.accuracy.dataset)) delete this.accuracy.dataset[key];
  }

  // Reset pressed: a fine-tuning under way stops where it is.
  stopped() {
    if (this.accuracy.textContent.endsWith('…') && !this.result) {
      this.accuracy.textContent = 'Learning stopped: the model keeps what it had learnt.';
    }
  }

  update() {
    const fresh = this.input !== null && !sameView(this.input, this.lastTaught);
    this.buttons.forEach((button, digit) => {
      button.disabled = !fresh;
      button.querySelector('.count').textContent = count(this.counts[digit]);
      button.setAttribute('aria-label', `teach this drawing as ${digit} (${count(this.counts[digit])} taught)`);
    });
    this.learn.disabled = !this.canLearn || this.total === 0;
    this.forget.disabled = this.total === 0;
    this.learn.textContent = this.total ? `Learn from ${count(this.total)} digit${this.total === 1 ? '' : 's'}` : 'Learn from them';
  }
}

// Whether two views of a drawing are the same.
function sameView(a, b) {
  return b !== null && a.length === b.length && a.every((v, i) => v === b[i]);
}

// fixnet web: predictions for the drawing pad. Sends the pad's pixels to the
// worker at most every THROTTLE_MS (and once more after the last change);
// the worker classifies only the latest drawing it has, so answers may skip
// requests, and an answer older than one shown or than a clear is ignored.
// Shows the digit in #prediction (data-digit), a bar per digit, and the 28x28
// input the model saw.
import { percent } from './format.js';

const THROTTLE_MS = 60;

export class Predictor {
  // `send(message, transfer)` posts to the worker; onShow(result) hears of
  // every result shown (null for none).
  constructor(pad, send, { prediction, bars, input }, onShow) {
    this.pad = pad;
    this.send = send;
    this.onShow = onShow;
    this.prediction = prediction;
    this.input = input.getContext('2d');
    this.lastSent = 0;
    this.timer = null;
    this.id = 0;         // of the latest request
    this.shownId = 0;    // of the latest answer shown, or of the latest clear
    this.bars = Array.from({ length: 10 }, (_, digit) => {
      const li = document.createElement('li');
      li.dataset.digit = digit;
      li.innerHTML = `<span>${digit}</span><span class="track"><span class="fill"></span></span><span class="value"></span>`;
      bars.append(li);
      return { li, fill: li.querySelector('.fill'), value: li.querySelector('.value') };
    });
    this.show(null, 'draw a digit');
  }

  // Asks for a prediction of the pad as it is now (throttled).
  request() {
    if (this.pad.empty) {
      this.shownId = this.id;
      return this.show(null, 'draw a digit');
    }
    const wait = this.lastSent + THROTTLE_MS - performance.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.request();
      }, wait);
      return;
    }
    const { width, height, data } = this.pad.pixels();
    this.lastSent = performance.now();
    this.send({ type: 'classify', id: ++this.id, width, height, pixels: data.buffer }, [data.buffer]);
  }

  // The worker's answer: { id, result, reason } (result null without a prediction).
  answered({ id, result, reason }) {
    if (id <= this.shownId) return;
    this.shownId = id;
    if (result) this.show(result);
    else this.show(null, { 'no-model': 'train or load a model first', 'no-ink': 'no ink found' }[reason] ?? 'no prediction');
  }

  // Shows `result` ({ probabilities, input }) or, when null, no prediction and `note`.
  show(result, note) {
    const p = result?.probabilities ?? new Float32Array(10);
    const best = result ? p.indexOf(Math.max(...p)) : -1;
    if (best >= 0) this.prediction.dataset.digit = best;
    else delete this.prediction.dataset.digit;
    this.prediction.querySelector('.digit').textContent = best >= 0 ? best : '?';
    this.prediction.querySelector('.confidence').textContent = best >= 0 ? `${percent(p[best])} sure` : note;
    this.bars.forEach(({ li, fill, value }, digit) => {
      li.dataset.probability = p[digit];
      li.classList.toggle('top', digit === best);
      li.setAttribute('aria-label', `${digit}: ${percent(p[digit])}`);
      fill.style.setProperty('--p', p[digit]);
      value.textContent = result ? percent(p[digit]) : '';
    });
    this.drawInput(result?.input);
    this.onShow?.(result);
  }

  // The model's 28x28 view (ink bright on black, as MNIST), or black.
  drawInput(input) {
    const image = this.input.createImageData(28, 28);
    for (let i = 0; i < 28 * 28; ++i) {
      const v = input ? Math.round(Math.min(1, Math.max(0, input[i])) * 255) : 0;
      image.data.set([v, v, v, 255], i * 4);
    }
    this.input.putImageData(image, 0, 0);
  }
}

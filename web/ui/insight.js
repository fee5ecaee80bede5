// fixnet web: pictures of what a model learned. The softmax's weights as
// ten 28x28 maps, the CNN's first-layer filters as 32 5x5 maps (both in a
// diverging blue-white-red scale shared by all maps of a model, so their
// strengths compare), and the test digits the model got wrong.
import { count } from './format.js';

const BLUE = [33, 102, 172], WHITE = [247, 247, 247], RED = [178, 24, 43];

// The colour of v in [-1, 1].
function diverging(v) {
  const t = Math.min(1, Math.abs(v));
  const end = v < 0 ? BLUE : RED;
  return WHITE.map((w, i) => Math.round(w + (end[i] - w) * t));
}

// Fills canvas (side x side) from value(i) for pixel i, mapped by colour(v).
function paint(canvas, side, value, colour) {
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; ++i) image.data.set([...colour(value(i)), 255], i * 4);
  ctx.putImageData(image, 0, 0);
}

// A figure with a side x side canvas, its accessible name and an optional caption.
function tile(side, name, caption) {
  const figure = document.createElement('figure');
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = side;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', name);
  figure.append(canvas);
  if (caption) {
    const label = document.createElement('figcaption');
    label.textContent = caption;
    figure.append(label);
  }
  return figure;
}

export class Insight {
  constructor({ weights, heading, note, scale, mistakes, mistakesNote }) {
    Object.assign(this, { weights, heading, note, scale, mistakes, mistakesNote });
    this.layout = null;  // the kind the weight tiles are built for
  }

  // Shows `weights` of a model of `kind` (see Fixnet.pictureWeights()).
  showWeights(kind, weights) {
    if (!weights) {
      this.layout = null;
      this.weights.replaceChildren();
      this.scale.hidden = true;
      this.heading.textContent = 'Weights';
      this.note.textContent = kind ? 'This model\'s architecture has no picture here.' : 'Train or load a model to see what it learned.';
      return;
    }
    const softmax = kind === 'softmax';
    // softmax [784, 10]: weight of pixel i for digit d at i * 10 + d;
    // conv [5, 5, 1, F] HWIO: weight of tap i for filter f at i * F + f.
    const units = softmax ? 10 : weights.length / 25;
    if (this.layout !== kind) {
      this.layout = kind;
      this.weights.replaceChildren(...Array.from({ length: units }, (_, i) => softmax
        ? tile(28, `weights for digit ${i}`, String(i))
        : tile(5, `filter ${i + 1}`)));
      this.weights.classList.toggle('filters', !softmax);
      this.heading.textContent = softmax ? 'Weights of each digit' : 'First-layer filters';
      this.note.textContent = softmax
        ? 'Each map shows how a pixel votes for its digit: red for, blue against.'
        : 'The 5x5 patterns the first convolution looks for (red positive, blue negative).';
      this.scale.hidden = false;
    }
    // The scale ends at the 99th percentile of |w|, so a few extremes do not wash out the rest.
    const magnitudes = Float32Array.from(weights, Math.abs).sort();
    const max = Math.max(1e-12, magnitudes[Math.floor(0.99 * (magnitudes.length - 1))]);
    this.weights.querySelectorAll('canvas').forEach((canvas, unit) =>
      paint(canvas, softmax ? 28 : 5, (i) => weights[i * units + unit] / max, diverging));
  }

  // Shows { items, wrong, count } from a full test evaluation.
  showMistakes({ items, wrong, count: total }) {
    this.mistakesNote.textContent = wrong === 0
      ? `None of the ${count(total)} test digits.`
      : `${count(wrong)} of ${count(total)}${items.length < wrong ? `, the first ${items.length} shown` : ''}. ` +
        'Under each, in red what the model said, then the true digit.';
    this.mistakes.replaceChildren(...items.map(({ index, label, predicted, pixels }) => {
      const li = document.createElement('li');
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 28;
      paint(canvas, 28, (i) => pixels[i], (v) => [v, v, v]);
      li.setAttribute('aria-label', `test digit ${index}: the model said ${predicted}, it is ${label}`);
      li.innerHTML = `<b>${predicted}</b> for ${label}`;
      li.prepend(canvas);
      return li;
    }));
  }

  clearMistakes() {
    this.mistakes.replaceChildren();
    this.mistakesNote.textContent = 'Shown after a full evaluation on the test set.';
  }
}

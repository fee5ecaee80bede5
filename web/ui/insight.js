// fixnet web: pictures of what a model learned. The softmax's weights as
// ten 28x28 maps, a CNN's first-layer filters as 5x5 maps (both in a
// diverging blue-white-red scale shared by all maps of a model, so their
// strengths compare), and after a full test evaluation the confusion matrix
// and the test digits the model got wrong (those of one cell of the matrix
// when it is chosen).
import { count } from './format.js';

const BLUE = [33, 102, 172], WHITE = [247, 247, 247], RED = [178, 24, 43];

// The colour of v in [-1, 1].
export function diverging(v) {
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

// A list item per test digit: the digit, what the model said, its label.
function digitItems(items) {
  return items.map(({ index, label, predicted, pixels }) => {
    const li = document.createElement('li');
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 28;
    paint(canvas, 28, (i) => pixels[i], (v) => [v, v, v]);
    li.setAttribute('aria-label', `test digit ${index}: the model said ${predicted}, it is ${label}`);
    li.innerHTML = `<b>${predicted}</b> for ${label}`;
    li.prepend(canvas);
    return li;
  });
}

export class Insight {
  // `askCell(label, predicted)` asks the worker for the test digits of one cell.
  constructor({ weights, heading, note, scale, mistakes, mistakesNote, confusion, confusionView, shown }, askCell) {
    Object.assign(this, { weights, heading, note, scale, mistakes, mistakesNote, confusion, confusionView, shown, askCell });
    this.layout = null;  // the kind the weight tiles are built for
    this.wrongItems = [];  // the first mistakes of the last evaluation
    this.wrong = 0;        // and how many it made
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

  // Shows { items, wrong, count, confusion } from a full test evaluation.
  showMistakes({ items, wrong, count: total, confusion }) {
    this.mistakesNote.textContent = wrong === 0
      ? `None of the ${count(total)} test digits.`
      : `${count(wrong)} of ${count(total)}. Under each digit, in red what the model said, then the true digit.`;
    this.showConfusion(confusion);
    this.wrongItems = items;
    this.wrong = wrong;
    this.showDigits(items, wrong, null);
  }

  // The matrix: a row per label, a column per answer; every non-zero count
  // off the diagonal is a button that shows its digits.
  showConfusion(counts) {
    const header = document.createElement('tr');
    header.innerHTML = '<th scope="col">is \u2193 read as \u2192</th>' + Array.from({ length: 10 }, (_, d) => `<th scope="col">${d}</th>`).join('');
    const rows = Array.from({ length: 10 }, (_, label) => {
      const row = document.createElement('tr');
      const total = counts.slice(label * 10, label * 10 + 10).reduce((a, b) => a + b, 0);
      row.innerHTML = `<th scope="row">${label}</th>`;
      for (let predicted = 0; predicted < 10; ++predicted) {
        const n = counts[label * 10 + predicted];
        const cell = document.createElement('td');
        if (n === 0) {
          cell.className = 'zero';
          cell.textContent = '0';
        } else if (label === predicted) {
          cell.className = 'right';
          cell.textContent = count(n);
        } else {
          const button = document.createElement('button');
          button.type = 'button';
          button.textContent = count(n);
          button.dataset.label = label;
          button.dataset.predicted = predicted;
          button.setAttribute('aria-pressed', 'false');
          button.setAttribute('aria-label', `${count(n)} test ${label}s read as ${predicted}`);
          button.style.setProperty('--share', Math.min(1, (4 * n) / Math.max(1, total)).toFixed(3));
          button.addEventListener('click', () => {
            const pressed = button.getAttribute('aria-pressed') === 'true';
            this.confusion.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', 'false'));
            if (pressed) return this.showDigits(this.wrongItems, this.wrong, null);
            button.setAttribute('aria-pressed', 'true');
            this.askCell(label, predicted);
          });
          cell.append(button);
        }
        row.append(cell);
      }
      return row;
    });
    this.confusion.replaceChildren(this.confusion.querySelector('caption'), header, ...rows);
    this.confusionView.hidden = false;
  }

  // Shows the test digits of one cell ({ label, predicted, items, matching }).
  showCell({ label, predicted, items, matching }) {
    this.showDigits(items, matching, { label, predicted });
  }

  // The digit tiles, with a line saying which they are.
  showDigits(items, total, cell) {
    this.shown.textContent = cell
      ? `${count(total)} test ${cell.label}s read as ${cell.predicted}${items.length < total ? `, the first ${items.length}` : ''}; choose the count again for all mistakes.`
      : items.length < total ? `The first ${items.length} of them:` : '';
    this.shown.hidden = !this.shown.textContent;
    this.mistakes.replaceChildren(...digitItems(items));
  }

  clearMistakes() {
    this.mistakes.replaceChildren();
    this.wrongItems = [];
    this.confusionView.hidden = true;
    this.shown.hidden = true;
    this.mistakesNote.textContent = 'Shown after a full evaluation on the test set.';
  }
}

// fixnet web: the drawing inside the model. For the drawing shown, the
// output of each convolution (a map per filter) and of each dense layer (a
// cell per unit), after their activations, redrawn with every prediction.
// Colours as the weights': white at 0, red positive, blue negative, each
// layer scaled to its own largest magnitude.
import { count } from './format.js';
import { diverging } from './insight.js';

// The diverging scale in 511 steps from -1 to 1, as RGBA bytes, made once:
// a layer's maps are painted by table lookup, with no allocation per pixel.
const STEPS = 255;
const SCALE = new Uint8ClampedArray((2 * STEPS + 1) * 4);
for (let i = 0; i <= 2 * STEPS; ++i) SCALE.set([...diverging(i / STEPS - 1), 255], i * 4);

// Paints `values` (a plane of `width` x `height`, element (y, x) at
// (y * width + x) * stride + offset) on `canvas`, divided by `scale`.
function paintPlane(canvas, width, height, values, stride, offset, scale) {
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; ++i) {
    const step = Math.round(Math.max(-1, Math.min(1, values[i * stride + offset] / scale)) * STEPS) + STEPS;
    image.data.set(SCALE.subarray(step * 4, step * 4 + 4), i * 4);
  }
  ctx.putImageData(image, 0, 0);
}

function canvas(width, height, label) {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', label);
  return c;
}

// Dense layers show their units in rows of this many.
const UNITS_PER_ROW = 32;

export class InsideView {
  constructor({ view, note }) {
    this.view = view;
    this.note = note;
    this.layout = '';  // the shapes the blocks are built for
  }

  // Shows `views` (the worker's Fixnet.inside(): [{ layer, kind, height,
  // width, channels, values }]), or nothing with `why`.
  show(views, why) {
    if (!views || views.length === 0) {
      this.layout = '';
      this.view.replaceChildren();
      this.note.textContent = why;
      return;
    }
    const layout = views.map((v) => `${v.layer}:${v.kind}:${v.height}x${v.width}x${v.channels}`).join(' ');
    if (layout !== this.layout) this.build(views, layout);
    views.forEach((v, i) => this.paint(this.view.children[i], v));
  }

  build(views, layout) {
    this.layout = layout;
    let convolutions = 0, denses = 0;
    this.view.replaceChildren(...views.map((v, i) => {
      const figure = document.createElement('figure');
      figure.className = 'layer-view';
      figure.dataset.layer = v.layer;
      figure.dataset.kind = v.kind;
      const caption = document.createElement('figcaption');
      if (v.kind === 'conv2d') {
        caption.textContent = `Convolution ${++convolutions}: ${count(v.channels)} feature maps of ${v.height}x${v.width}`;
        const maps = document.createElement('div');
        maps.className = 'maps';
        maps.append(...Array.from({ length: v.channels }, (_, c) => canvas(v.width, v.height, `feature map ${c + 1}`)));
        figure.append(caption, maps);
      } else {
        const last = i === views.length - 1;
        caption.textContent = `Dense ${++denses}: ${count(v.channels)} units` + (last ? ', one per digit (0 to 9 from the left), before the softmax' : '');
        const columns = Math.min(UNITS_PER_ROW, v.channels);
        const units = canvas(columns, Math.ceil(v.channels / columns), `${count(v.channels)} unit activations`);
        units.className = 'units';
        figure.append(caption, units);
      }
      return figure;
    }));
    this.note.textContent = 'Each layer\'s output for your drawing: red for positive values, blue for negative, ' +
      'white for zero; a map per filter of each convolution, a cell per unit of each dense layer.';
  }

  paint(figure, { kind, width, height, channels, values }) {
    let scale = 1e-12;
    for (const v of values) scale = Math.max(scale, Math.abs(v));
    if (kind === 'conv2d') {
      figure.querySelectorAll('canvas').forEach((c, channel) => paintPlane(c, width, height, values, channels, channel, scale));
    } else {
      const units = figure.querySelector('canvas');
      const padded = new Float32Array(units.width * units.height);
      padded.set(values);
      paintPlane(units, units.width, units.height, padded, 1, 0, scale);
      let top = 0;
      values.forEach((v, i) => { if (v > values[top]) top = i; });
      figure.dataset.top = top;
    }
  }
}

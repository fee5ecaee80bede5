// fixnet web: the training chart, drawn with Canvas 2D. Loss (left axis,
// log scale) and training accuracy (right axis, 0..1) by step, each as a faint
// line of the measured points under a smoothed line, and the periodic test
// accuracies as dots. Redraws at most once per animation frame.

const MAX_POINTS = 1000;  // beyond this, neighbouring points are merged
const PAD = { left: 44, right: 40, top: 10, bottom: 24 };

export class TrainingChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.reset(0);
    new ResizeObserver(() => this.invalidate()).observe(canvas);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.invalidate());
  }

  // Empties the chart for a run of `steps` steps.
  reset(steps) {
    this.steps = steps;
    this.points = [];  // { step, loss, accuracy, weight }
    this.tests = [];   // { step, accuracy }
    this.invalidate();
  }

  // Adds [step, mean loss, training accuracy] points of one step-group each.
  add(points) {
    for (const [step, loss, accuracy] of points) this.points.push({ step, loss, accuracy, weight: 1 });
    if (this.points.length > MAX_POINTS) this.points = merge(this.points);
    this.invalidate();
  }

  addTest(step, accuracy) {
    this.tests.push({ step, accuracy });
    this.invalidate();
  }

  invalidate() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw() {
    const { canvas, ctx } = this;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const plot = { x: PAD.left, y: PAD.top, w: width - PAD.left - PAD.right, h: height - PAD.top - PAD.bottom };
    if (plot.w < 40 || plot.h < 40) return;
    const style = getComputedStyle(canvas);
    const color = (name) => style.getPropertyValue(name).trim();
    const scales = this.scales(plot);
    this.drawAxes(plot, scales, color);
    if (this.points.length) this.drawSeries(scales, color);
  }

  // Maps from data to pixels. x: 0 to a round step count just past the latest
  // point (the run's end at most), so the start of a long run is not squeezed
  // into a sliver. Loss: log scale between round bounds of its smoothed values,
  // with room below for the noisy raw points (a CNN starts above 10 and ends
  // near 0.05). Accuracy: linear, 0..1.
  scales(plot) {
    const latest = this.points.length ? this.points[this.points.length - 1].step : 0;
    const maxStep = Math.max(1, Math.min(this.steps, niceCeiling(Math.max(10, latest * 1.15), [1, 2, 2.5, 5])));
    const smoothLoss = smooth(this.points.map((p) => p.loss));
    const low = niceFloor(0.7 * Math.min(1, ...smoothLoss));
    const high = niceCeiling(Math.max(2 * low, ...smoothLoss), [1, 2, 5]);
    const span = Math.log(high / low);
    return {
      maxStep, low, high, smoothLoss,
      x: (step) => plot.x + (step / maxStep) * plot.w,
      loss: (loss) => plot.y + plot.h * (1 - Math.min(1, Math.max(0, Math.log(loss / low) / span))),
      accuracy: (a) => plot.y + plot.h * (1 - a),
    };
  }

  // Grid lines at accuracy quarters (labelled right), loss ticks (left), steps (below).
  drawAxes(plot, scales, color) {
    const { ctx } = this;
    ctx.font = '11px system-ui, sans-serif';
    ctx.lineWidth = 1;
    ctx.strokeStyle = color('--line');
    ctx.fillStyle = color('--muted');
    ctx.textBaseline = 'middle';
    const rule = (x0, x1, y) => {
      ctx.beginPath();
      ctx.moveTo(x0, y);
      ctx.lineTo(x1, y);
      ctx.stroke();
    };
    ctx.textAlign = 'left';
    for (let i = 0; i <= 4; ++i) {
      const y = Math.round(plot.y + (plot.h * i) / 4) + 0.5;
      rule(plot.x, plot.x + plot.w, y);
      ctx.fillText((1 - i / 4).toFixed(2), plot.x + plot.w + 6, y);
    }
    ctx.textAlign = 'right';
    for (const loss of this.points.length ? logTicks(scales.low, scales.high) : []) {
      const y = Math.round(scales.loss(loss)) + 0.5;
      rule(plot.x - 4, plot.x, y);
      ctx.fillText(String(loss), plot.x - 6, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const step of this.steps ? stepTicks(scales.maxStep) : []) {
      ctx.fillText(step.toLocaleString('en'), scales.x(step), plot.y + plot.h + 6);
    }
  }

  // Raw points faint, smoothed lines over them, test accuracies as dots.
  drawSeries(scales, color) {
    const { ctx, points } = this;
    const { x, smoothLoss } = scales;
    const smoothAccuracy = smooth(points.map((p) => p.accuracy));
    this.line(points.map((p) => [x(p.step), scales.loss(p.loss)]), color('--loss'), 1, 0.25);
    this.line(points.map((p) => [x(p.step), scales.accuracy(p.accuracy)]), color('--accuracy'), 1, 0.25);
    this.line(points.map((p, i) => [x(p.step), scales.loss(smoothLoss[i])]), color('--loss'), 2, 1);
    this.line(points.map((p, i) => [x(p.step), scales.accuracy(smoothAccuracy[i])]), color('--accuracy'), 2, 1);
    ctx.fillStyle = color('--test');
    for (const t of this.tests) {
      ctx.beginPath();
      ctx.arc(x(t.step), scales.accuracy(t.accuracy), 3.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  // A polyline through `xy` pixel points.
  line(xy, strokeStyle, lineWidth, alpha) {
    const { ctx } = this;
    ctx.save();
    ctx.globalAlpha = alpha;
    ctx.strokeStyle = strokeStyle;
    ctx.lineWidth = lineWidth;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    xy.forEach(([px, py], i) => (i ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
    ctx.stroke();
    ctx.restore();
  }
}

// Halves the points by merging neighbours (weighted means, the later step).
function merge(points) {
  const out = [];
  for (let i = 0; i + 1 < points.length; i += 2) {
    const a = points[i], b = points[i + 1], w = a.weight + b.weight;
    out.push({
      step: b.step,
      loss: (a.loss * a.weight + b.loss * b.weight) / w,
      accuracy: (a.accuracy * a.weight + b.accuracy * b.weight) / w,
      weight: w,
    });
  }
  if (points.length % 2) out.push(points[points.length - 1]);
  return out;
}

// Exponential moving average, debiased so the first values are not pulled to 0.
function smooth(values) {
  const alpha = Math.min(0.5, 8 / Math.max(values.length, 1));
  let mean = 0, weight = 0;
  return values.map((v) => {
    mean = (1 - alpha) * mean + alpha * v;
    weight = (1 - alpha) * weight + alpha;
    return mean / weight;
  });
}

// The smallest of `multiples` times a power of ten that is >= v.
function niceCeiling(v, multiples) {
  const power = 10 ** Math.floor(Math.log10(v));
  return [...multiples, 10].map((m) => m * power).find((c) => c >= v);
}

// The largest of 1, 2, 5 times a power of ten that is <= v.
function niceFloor(v) {
  const power = 10 ** Math.floor(Math.log10(v));
  return [5, 2, 1].map((m) => m * power).find((c) => c <= v * (1 + 1e-9));
}

// 1-2-5 values from low to high (only powers of ten when there are many).
function logTicks(low, high) {
  const ticks = [];
  for (let power = 10 ** Math.floor(Math.log10(low)); power <= high; power *= 10) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * power).toPrecision(1));
      if (v >= low * (1 - 1e-9) && v <= high * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks.length > 6 ? ticks.filter((v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9) : ticks;
}

// About five round step counts from 0 to maxStep.
function stepTicks(maxStep) {
  const spacing = Math.max(1, niceCeiling(maxStep / 5, [1, 2, 2.5, 5]));
  const ticks = [];
  for (let s = 0; s <= maxStep + 1e-9; s += spacing) ticks.push(s);
  return ticks;
}

// fixnet web: the drawing pad. Pointer events (mouse, touch, pen) with
// pointer capture; strokes are kept as points in 0..1 coordinates and
// rendered as smooth round curves through the midpoints, dark ink on
// transparent paper (which the library's preprocessing reads as white), at
// the canvas's device resolution up to MAX_SIDE pixels.

const MAX_SIDE = 512;  // keeps classify() images well inside the wasm image buffer
const INK = '#111';

// Pen width as a fraction of the pad's side. A digit drawn across ~70% of
// the pad is scaled to MNIST's 20 px box, so 0.08 of the side becomes a
// stroke of 0.08 / 0.7 * 20 ≈ 2.3 px: MNIST's 2-3 px. The browser test
// checks it: digits drawn at 45-80% of the pad carry 0.76-1.22x the ink of
// MNIST's digits in the model's view, 1.00x on average.
const DEFAULT_PEN = 0.08;

export class DrawPad {
  // Calls onChange() after every change of the drawing (while drawing, too).
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.onChange = onChange;
    this.strokes = [];  // { width, points: [[x, y], ...] }
    this.current = null;
    this.pointerId = null;
    this.pen = DEFAULT_PEN;
    this.pending = false;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
    new ResizeObserver(() => this.render()).observe(canvas);
  }

  get empty() { return this.strokes.length === 0; }

  clear() {
    this.strokes = [];
    this.current = null;
    this.pointerId = null;
    this.render();
    this.onChange();
  }

  // The drawing as RGBA pixels: { width, height, data }.
  pixels() {
    return this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height];
  }

  down(e) {
    if (this.pointerId !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.pointerId = e.pointerId;
    this.current = { width: this.pen, points: [this.point(e)] };
    this.strokes.push(this.current);
    this.changed();
  }

  move(e) {
    if (e.pointerId !== this.pointerId) return;
    const events = e.getCoalescedEvents?.() ?? [];
    for (const c of events.length ? events : [e]) this.current.points.push(this.point(c));
    this.changed();
  }

  up(e) {
    if (e.pointerId !== this.pointerId) return;
    this.pointerId = null;
    this.current = null;
    this.changed();
  }

  // Renders on the next frame, then tells the listener.
  changed() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
      this.onChange();
    });
  }

  render() {
    const { canvas, ctx } = this;
    const dpr = window.devicePixelRatio || 1;
    const side = Math.min(MAX_SIDE, Math.max(1, Math.round(canvas.clientWidth * dpr)));
    if (canvas.width !== side) canvas.width = canvas.height = side;
    ctx.clearRect(0, 0, side, side);
    ctx.strokeStyle = ctx.fillStyle = INK;
    ctx.lineCap = ctx.lineJoin = 'round';
    for (const stroke of this.strokes) drawStroke(ctx, stroke, side);
  }
}

// One stroke: quadratic curves from midpoint to midpoint, each point a control.
function drawStroke(ctx, { width, points }, side) {
  const p = points.map(([x, y]) => [x * side, y * side]);
  ctx.lineWidth = width * side;
  if (p.length === 1) {
    ctx.beginPath();
    ctx.arc(p[0][0], p[0][1], ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.beginPath();
  ctx.moveTo(p[0][0], p[0][1]);
  for (let i = 1; i < p.length - 1; ++i) {
    ctx.quadraticCurveTo(p[i][0], p[i][1], (p[i][0] + p[i + 1][0]) / 2, (p[i][1] + p[i + 1][1]) / 2);
  }
  ctx.lineTo(p[p.length - 1][0], p[p.length - 1][1]);
  ctx.stroke();
}

// fixnet browser test: hand-authored digits to draw on the page's pad. Each
// digit is a list of strokes; each stroke a list of points in a box from
// -0.5 to 0.5 (x right, y down), later scaled and placed on the pad.

const arc = (cx, cy, rx, ry, from, to, n = 24) =>
  Array.from({ length: n + 1 }, (_, i) => {
    const t = from + ((to - from) * i) / n;
    return [cx + rx * Math.cos(t), cy + ry * Math.sin(t)];
  });

// Points evenly along the polyline through `corners`.
const polyline = (corners, perSegment = 10) => [
  corners[0],
  ...corners.slice(1).flatMap(([x1, y1], i) => {
    const [x0, y0] = corners[i];
    return Array.from({ length: perSegment }, (_, j) => [x0 + ((x1 - x0) * (j + 1)) / perSegment, y0 + ((y1 - y0) * (j + 1)) / perSegment]);
  }),
];

const PI = Math.PI;

export const DIGITS = {
  0: [arc(0, 0, 0.3, 0.46, -PI / 2, 1.55 * PI, 40)],
  1: [polyline([[-0.12, -0.3], [0.06, -0.47], [0.02, 0.47]])],
  2: [[...arc(0, -0.2, 0.3, 0.26, -0.95 * PI, 0.2 * PI), ...polyline([[0.26, -0.06], [-0.32, 0.46], [0.36, 0.44]])]],
  3: [[...arc(-0.02, -0.23, 0.28, 0.22, -0.9 * PI, 0.5 * PI), ...arc(0, 0.21, 0.31, 0.25, -0.5 * PI, 0.85 * PI)]],
  4: [polyline([[0.06, -0.47], [-0.32, 0.14], [0.36, 0.14]]), polyline([[0.16, -0.2], [0.16, 0.47]])],
  5: [polyline([[0.3, -0.45], [-0.18, -0.45], [-0.22, -0.04]]), arc(-0.02, 0.2, 0.3, 0.26, -0.75 * PI, 0.85 * PI)],
  6: [[...arc(0.35, 0.05, 0.55, 0.52, -0.6 * PI, -PI, 16), ...arc(0.02, 0.22, 0.27, 0.24, PI, 3 * PI, 30)]],
  7: [polyline([[-0.32, -0.44], [0.34, -0.44], [-0.04, 0.47]])],
  8: [Array.from({ length: 61 }, (_, i) => {
    const t = (2 * PI * i) / 60;
    return [0.27 * Math.sin(2 * t), -0.46 * Math.cos(t)];
  })],
  9: [[...arc(0, -0.2, 0.27, 0.25, 0.1 * PI, 2.1 * PI, 30), ...polyline([[0.27, -0.15], [0.2, 0.47]])]],
};

// Where each digit is drawn: centre (0..1 of the pad) and height (fraction of the pad).
export const PLACEMENTS = [
  { cx: 0.5, cy: 0.5, size: 0.7 },
  { cx: 0.4, cy: 0.45, size: 0.55 },
  { cx: 0.6, cy: 0.55, size: 0.8 },
  { cx: 0.35, cy: 0.6, size: 0.45 },
  { cx: 0.72, cy: 0.3, size: 0.35 },
  { cx: 0.5, cy: 0.5, size: 0.9 },
];

// `strokes` rotated by `rot` degrees, sheared by `shear` degrees (x moves by
// tan(shear) * y) and stretched by sx, sy about the box centre.
const transform = (strokes, { rot = 0, shear = 0, sx = 1, sy = 1 }) => {
  const r = (rot * PI) / 180, k = Math.tan((shear * PI) / 180);
  const [c, s] = [Math.cos(r), Math.sin(r)];
  return strokes.map((stroke) => stroke.map(([x, y]) => {
    const [x1, y1] = [(x + k * y) * sx, y * sy];
    return [c * x1 - s * y1, s * x1 + c * y1];
  }));
};

// A style the page's shipped model reads wrong, for teaching: a 6 whose loop
// fills two thirds of its height under a short hook (read as 0). variant(i)
// is its i-th drawing, each a little rotated, sheared or stretched.
const BIG_LOOP_SIX = [[...arc(0.25, 0.05, 0.5, 0.52, -0.6 * PI, -PI, 12), ...arc(0, 0.12, 0.25, 0.34, PI, 3 * PI, 30)]];
const VARIANTS = [{}, { rot: 8 }, { rot: -8 }, { shear: 8 }, { shear: -8 }, { sx: 1.1 }, { sx: 0.9 }, { sy: 1.1 }];
export const STYLE = {
  digit: 6,
  name: 'six with a big loop',
  variant: (i) => transform(BIG_LOOP_SIX, VARIANTS[i % VARIANTS.length]),
};

// fixnet web: numbers as the page writes them.

export const count = (n) => Math.round(n).toLocaleString('en');

export function bytes(n) {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(1)} GB`;
}

// "45 s", "3 min 05 s", "1 h 12 min".
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

// Seconds with a precision that suits them: "0.84 s", "12.3 s", "3 min 05 s".
export function elapsed(seconds) {
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return duration(seconds);
}

export const percent = (p) => `${(p * 100).toFixed(p >= 0.995 || p < 0.1 ? 0 : 1)}%`;

// fixnet web, worker side: MNIST from the server's /data/ into the wasm
// buffers. Each gzip file is streamed through DecompressionStream straight
// into its buffer (no intermediate copy of the whole file), refusing a file
// that would overflow the buffer, then the bindings parse the four files.
import { Buffer } from './fixnet.js';

const FILES = [
  ['train-images-idx3-ubyte.gz', Buffer.trainImages],
  ['train-labels-idx1-ubyte.gz', Buffer.trainLabels],
  ['t10k-images-idx3-ubyte.gz', Buffer.testImages],
  ['t10k-labels-idx1-ubyte.gz', Buffer.testLabels],
];

// Thrown when the server has no MNIST: the page explains how to get it.
export class DataMissing extends Error {}

// Loads the four files from `baseUrl` into `fx`; calls onProgress(loaded,
// total) with compressed bytes (total 0 when the server gives no sizes).
// Resolves to { train, test, subset } (counts, and whether /data/SUBSET exists).
export async function loadMnist(fx, baseUrl, onProgress) {
  const abort = new AbortController();  // stops the other downloads when one fails
  const responses = await Promise.all(FILES.map(([name]) => fetch(new URL(name, baseUrl), { signal: abort.signal })));
  const missing = FILES.filter((_, i) => responses[i].status === 404).map(([name]) => name);
  if (missing.length === FILES.length) throw new DataMissing('the server has no MNIST files at /data/');
  if (missing.length) throw new DataMissing(`the server lacks ${missing.join(', ')} at /data/`);
  responses.forEach((r, i) => {
    if (!r.ok) throw new Error(`${FILES[i][0]}: HTTP ${r.status}`);
  });

  const lengths = responses.map((r) => Number(r.headers.get('Content-Length')) || 0);
  const total = lengths.every((n) => n > 0) ? lengths.reduce((a, b) => a + b, 0) : 0;
  let loaded = 0;
  const counted = (n) => {
    loaded += n;
    if (!abort.signal.aborted) onProgress(loaded, total);
  };
  let sizes;
  try {
    sizes = await Promise.all(FILES.map(([name, buffer], i) => streamInto(fx.view(buffer), responses[i], name, counted)));
  } catch (e) {
    abort.abort();
    throw e;
  }
  fx.setData(sizes);

  const subset = await fetch(new URL('SUBSET', baseUrl), { method: 'HEAD' });
  return { train: fx.trainCount(), test: fx.testCount(), subset: subset.ok };
}

// Gunzips `response` into `target`; returns the byte count written.
async function streamInto(target, response, name, counted) {
  const counter = new TransformStream({
    transform(chunk, controller) {
      counted(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
  const reader = response.body.pipeThrough(counter).pipeThrough(new DecompressionStream('gzip')).getReader();
  let size = 0;
  for (;;) {
    let result;
    try {
      result = await reader.read();
    } catch (e) {
      throw new Error(`${name} is not a valid gzip file (${e.message})`);
    }
    if (result.done) return size;
    if (size + result.value.byteLength > target.length) {
      reader.cancel().catch(() => {});  // not awaited: a cancelled pipe may never settle
      throw new Error(`${name} unpacks to more than ${target.length.toLocaleString('en')} bytes, ` +
        'more than MNIST holds: this page refuses it');
    }
    target.set(result.value, size);
    size += result.value.byteLength;
  }
}

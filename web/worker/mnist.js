// fixnet web, worker side: MNIST from the page's data/ folder, or from
// files the visitor chose, into the wasm buffers. Each gzip file is streamed through DecompressionStream straight
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

// The four files as responses: fetched from `source.url` (a folder), or
// from `source.files` (File objects the visitor chose, named as MNIST names
// them, gzipped or not). `abort` stops the downloads.
async function openFiles(source, abort) {
  if (source.files) {
    const byName = new Map(source.files.map((f) => [f.name.replace(/\.gz$/, ''), f]));
    const missing = FILES.filter(([name]) => !byName.has(name.replace(/\.gz$/, ''))).map(([name]) => name);
    if (missing.length) throw new Error(`choose all four MNIST files: ${missing.join(', ')} missing`);
    return FILES.map(([name]) => {
      const file = byName.get(name.replace(/\.gz$/, ''));
      const response = new Response(file, { headers: { 'Content-Length': String(file.size) } });
      return { response, gzipped: file.name.endsWith('.gz') };
    });
  }
  const responses = await Promise.all(FILES.map(([name]) => fetch(new URL(name, source.url), { signal: abort.signal })));
  const missing = FILES.filter((_, i) => responses[i].status === 404).map(([name]) => name);
  if (missing.length === FILES.length) throw new DataMissing('the server has no MNIST files in data/');
  if (missing.length) throw new DataMissing(`the server lacks ${missing.join(', ')} in data/`);
  responses.forEach((r, i) => {
    if (!r.ok) throw new Error(`${FILES[i][0]}: HTTP ${r.status}`);
  });
  return responses.map((response) => ({ response, gzipped: true }));
}

// Loads the four files of `source` (see openFiles) into `fx`; calls
// onProgress(loaded, total) with file bytes (total 0 when the server gives
// no sizes). Resolves to { train, test, subset } (counts, and whether the
// folder has a SUBSET marker).
export async function loadMnist(fx, source, onProgress) {
  const abort = new AbortController();  // stops the other downloads when one fails
  const opened = await openFiles(source, abort);
  const lengths = opened.map(({ response }) => Number(response.headers.get('Content-Length')) || 0);
  const total = lengths.every((n) => n > 0) ? lengths.reduce((a, b) => a + b, 0) : 0;
  let loaded = 0;
  const counted = (n) => {
    loaded += n;
    if (!abort.signal.aborted) onProgress(loaded, total);
  };
  let sizes;
  try {
    sizes = await Promise.all(FILES.map(([name, buffer], i) =>
      streamInto(fx.view(buffer), opened[i].response, opened[i].gzipped, name, counted)));
  } catch (e) {
    abort.abort();
    throw e;
  }
  fx.setData(sizes);

  const subset = source.url ? (await fetch(new URL('SUBSET', source.url), { method: 'HEAD' })).ok : false;
  return { train: fx.trainCount(), test: fx.testCount(), subset };
}

// Copies `response` (gunzipped when `gzipped`) into `target`; returns the
// byte count written.
async function streamInto(target, response, gzipped, name, counted) {
  const counter = new TransformStream({
    transform(chunk, controller) {
      counted(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
  const counting = response.body.pipeThrough(counter);
  const reader = (gzipped ? counting.pipeThrough(new DecompressionStream('gzip')) : counting).getReader();
  let size = 0;
  for (;;) {
    let result;
    try {
      result = await reader.read();
    } catch (e) {
      throw new Error(gzipped ? `${name} is not a valid gzip file (${e.message})` : `${name} could not be read (${e.message})`);
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

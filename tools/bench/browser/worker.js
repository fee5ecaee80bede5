// fixnet benchmark: the page's module in a Web Worker, as the demo runs it
// (threaded when the page is cross-origin isolated), measured by measure.mjs.
import { measure } from '../measure.mjs';

self.onmessage = async ({ data }) => {
  try {
    const threaded = self.crossOriginIsolated && data.threads > 1;
    const { default: createFixnet } = await import(`/wasm/${threaded ? 'fixnet-threads.mjs' : 'fixnet.mjs'}`);
    const m = await createFixnet();
    const readMnist = async (name) => {
      const response = await fetch(`/data/${name}.gz`);
      if (!response.ok) throw new Error(`/data/${name}.gz: HTTP ${response.status}`);
      return new Uint8Array(await new Response(response.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
    };
    const readModel = data.model ? async () => {
      const response = await fetch(`/models/${encodeURIComponent(data.model)}`);
      if (!response.ok) throw new Error(`/models/${data.model}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    } : undefined;
    postMessage(await measure(m, { ...data, readMnist, readModel }));
  } catch (e) {
    postMessage({ error: String(e.message || e) });
  }
};

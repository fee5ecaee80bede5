// fixnet benchmark: the page's WebAssembly bindings under node (the same
// bindings.cpp and lib/ the browser runs, built for node).
//
//   node --no-experimental-fetch fixnet_wasm.mjs --module build-wasm/wasm/fixnet-node.js
//        --data DIR [--threads N] --what cnn-train|softmax-train|cnn-infer|cnn-scaling [--seconds S] [--model FILE]
//
// Prints one JSON line like the peers (measurements: measure.mjs).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { resourceUsage } from 'node:process';
import path from 'node:path';
import { measure } from './measure.mjs';

const require = createRequire(import.meta.url);

function parseArgs(argv) {
  const args = { threads: 1, seconds: 10, what: 'cnn-train' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!['module', 'data', 'threads', 'what', 'seconds', 'model'].includes(key)) throw new Error(`unknown option ${argv[i]}`);
    args[key] = argv[i + 1];
  }
  args.threads = Number(args.threads);
  args.seconds = Number(args.seconds);
  if (!args.module || !args.data) throw new Error('--module and --data are required');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const createFixnet = require(path.resolve(args.module));
  const m = await createFixnet();
  const readMnist = async (name) => gunzipSync(readFileSync(path.join(args.data, name + '.gz')));
  const readModel = args.model ? async () => readFileSync(args.model) : undefined;
  const result = await measure(m, { ...args, readMnist, readModel });
  result.peer = `fixnet wasm (${result.simd}, node ${process.versions.node})`;
  result.peak_rss_mb = resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify(result));
  process.exit(0);
}

main().catch((e) => { console.log(JSON.stringify({ peer: 'fixnet wasm', error: String(e.message || e) })); process.exit(1); });

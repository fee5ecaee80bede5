// fixnet benchmark: the page's WebAssembly module in headless Chromium (Debian's
// /usr/bin/chromium through tests/browser's playwright-core), served
// cross-origin isolated so the threaded module can run.
//
//   node fixnet_browser.mjs --data DIR [--threads N] --what cnn-train|softmax-train|cnn-infer|cnn-scaling [--seconds S]
//        [--model FILE]
//
// Prints one JSON line like the peers (measurements: measure.mjs).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const require = createRequire(path.join(ROOT, 'tests/browser/package.json'));
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function parseArgs(argv) {
  const args = { threads: 1, seconds: 10, what: 'cnn-train' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!['data', 'threads', 'what', 'seconds', 'model'].includes(key)) throw new Error(`unknown option ${argv[i]}`);
    args[key] = argv[i + 1];
  }
  if (!args.data) throw new Error('--data is required');
  return args;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { chromium } = require('playwright-core');
  const port = await freePort();
  const server = spawn('python3', [path.join(ROOT, 'tools/server.py'), '--port', String(port), '--web', HERE,
    '--wasm', path.join(ROOT, 'build-wasm/wasm'), '--data', path.resolve(args.data),
    ...(args.model ? ['--models', path.dirname(path.resolve(args.model))] : [])], { stdio: 'ignore' });
  let browser = null;
  try {
    for (let tries = 0; ; ++tries) {  // until the server answers
      try {
        await new Promise((resolve, reject) => net.connect(port, '127.0.0.1', resolve).on('error', reject));
        break;
      } catch (e) {
        if (tries > 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: BROWSER_ARGS });
    const page = await browser.newPage();
    const model = args.model ? `&model=${encodeURIComponent(path.basename(args.model))}` : '';
    await page.goto(`http://127.0.0.1:${port}/browser/index.html?what=${args.what}&threads=${args.threads}&seconds=${args.seconds}${model}`);
    await page.waitForFunction(() => document.title === 'done', null, { timeout: (Number(args.seconds) * 5 + 60) * 1000 });
    const result = JSON.parse(await page.textContent('#result'));
    if (result.error) throw new Error(result.error);
    result.peer = `fixnet wasm (${result.simd}, Chromium ${browser.version()})`;
    result.peak_rss_mb = null;  // a browser's memory is not one process's
    console.log(JSON.stringify(result));
  } finally {
    if (browser) await browser.close();
    server.kill();
  }
}

main().catch((e) => { console.log(JSON.stringify({ peer: 'fixnet wasm (Chromium)', error: String(e.message || e) })); process.exit(1); });

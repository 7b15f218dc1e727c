// The page in a real browser: Debian's chromium driven by puppeteer-core, on a local static server (server.py,
// 127.0.0.1) that serves Range requests and logs them. Loads the page from a URL query, picks a local GGUF file,
// reads a model through range requests (only header bytes may be served), reads one from a server that ignores
// Range, shows clear errors for a non-GGUF answer and an unreachable server, compares each command with the CLI's,
// and takes a screenshot.
// A model split in 3 parts (tests/support/write_models --split 3) is read from a URL and from local files.
//   node browser_test.mjs CLI WEB_DIR WRITE_MODELS   (puppeteer-core from build/node, chromium from $CHROMIUM or PATH)
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const require = createRequire(path.join(root, 'build/node/package.json'));
const puppeteer = require('puppeteer-core');
const [cli, webDir, writeModels] = process.argv.slice(2).map((p) => path.resolve(p));
const work = path.join(root, 'build/web-test');
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(path.join(work, 'site/norange'), { recursive: true });
for (const f of fs.readdirSync(webDir)) fs.copyFileSync(path.join(webDir, f), path.join(work, 'site', f));

let failed = 0;
const check = (ok, what, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? '\n     ' + detail : ''}`);
  if (!ok) ++failed;
};

// a model file: the built-in model's GGUF header followed by 2 GiB of (sparse) tensor data
spawnSync(cli, ['demo', '--dir', work], { stdio: 'ignore' });
const headerOnly = path.join(work, 'llamaplan-demo-llama3.1-8b-q4_k.gguf');
const headerSize = fs.statSync(headerOnly).size;
const model = path.join(work, 'site/model.gguf');
fs.copyFileSync(headerOnly, model);
fs.truncateSync(model, headerSize + 2 * 1024 ** 3);
fs.symlinkSync('../model.gguf', path.join(work, 'site/norange/model.gguf'));
// a split model: three parts with their tensor data (zeros)
const w = spawnSync(writeModels, ['--split', '3', path.join(work, 'site/split'), 'llama-4L-512'], { encoding: 'utf8' });
const splitParts = w.stdout.trim().split('\n');
if (w.status !== 0 || splitParts.length !== 3) throw new Error('write_models --split 3 failed: ' + w.stderr);

function cliCommand(args, cwd) {
  const r = spawnSync(cli, ['plan', ...args, '--no-probe'], { encoding: 'utf8', cwd });
  const line = r.stdout.split('\n').find((l) => l.startsWith('llama-server ') || l.startsWith('closest: llama-server '));
  return line ? line.replace(/^closest: /, '') : `(no command; exit ${r.status}: ${r.stderr.trim()})`;
}

const log = path.join(work, 'requests.jsonl');
const port = 18000 + (process.pid % 2000);
const server = spawn('python3', [path.join(here, 'server.py'), path.join(work, 'site'), '--port', String(port), '--log', log,
                                 '--no-range', '/norange/'], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((res, rej) => {
  server.stdout.once('data', res);
  server.once('exit', (c) => rej(new Error('server exited ' + c)));
});
const base = `http://127.0.0.1:${port}`;
const requests = () => fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
// the server logs a request after its last byte is sent, which may be after the page has used it: wait until the log
// has not grown for 300 ms (at most 5 s)
const settled = async () => {
  let n = -1;
  for (let i = 0; i < 50 && requests().length !== n; ++i) { n = requests().length; await new Promise((r) => setTimeout(r, 300)); }
  return requests();
};

const chromium = process.env.CHROMIUM || ['chromium', 'chromium-browser'].map((c) => spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).stdout.trim()).find(Boolean);
const browser = await puppeteer.launch({ executablePath: chromium, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 1000 });
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const plans = () => page.evaluate(() => Number(document.body.dataset.plans || 0));
  const waitPlans = (n) => page.waitForFunction((k) => Number(document.body.dataset.plans || 0) >= k, { timeout: 20000 }, n);
  const text = (sel) => page.$eval(sel, (e) => e.textContent);

  // 1. a plan from the URL query alone
  await page.goto(`${base}/index.html?model=qwen3-8b:Q4_K_M&gpu=RTX%204090`);
  await waitPlans(1);
  const want1 = cliCommand(['qwen3-8b:Q4_K_M', '--gpu', 'RTX 4090']);
  check(await text('#command') === want1, 'query plan: the command equals the CLI\'s', `${await text('#command')}\n     ${want1}`);
  const bars = await page.$$eval('.bar-row', (r) => r.length);
  check(bars === 2, 'query plan: a memory bar per device (CPU and the GPU)', `${bars} bars`);
  const reasons = await page.$$eval('#why tr', (r) => r.length);
  check(reasons >= 5, 'query plan: the reasons are listed', `${reasons} rows`);
  check(/tokens\/s generating/.test(await text('#speed')), 'query plan: the predicted speed is shown');
  await page.screenshot({ path: path.join(work, 'screenshot.png'), fullPage: true });

  // 2. a change re-plans, and the URL follows the state
  await page.select('#preset', 'more_context');
  await page.type('#flags', '-np 2');
  await page.waitForFunction(() => /-np 2/.test(document.getElementById('command').textContent), { timeout: 5000 });
  const want2 = cliCommand(['qwen3-8b:Q4_K_M', '--gpu', 'RTX 4090', '--preset', 'more_context', '-np', '2']);
  check(await text('#command') === want2, 'preset and pinned flags: the command equals the CLI\'s', `${await text('#command')}\n     ${want2}`);
  const q = new URL(page.url()).searchParams;
  check(q.get('preset') === 'more_context' && q.get('flags') === '-np 2' && q.getAll('gpu').join() === 'RTX 4090',
        'the state is in the URL query', page.url());
  // a second GPU with its backend picked: the CLI's --gpu vulkan:NAME
  await page.select('#gpu-backend', 'vulkan');
  await page.type('#gpu-search', 'RTX 3060');
  await page.click('#gpu-add');
  await page.waitForFunction(() => /Vulkan0/.test(document.getElementById('bars').textContent), { timeout: 5000 });
  const want3 = cliCommand(['qwen3-8b:Q4_K_M', '--gpu', 'RTX 4090', '--gpu', 'vulkan:RTX 3060', '--preset', 'more_context', '-np', '2']);
  check(await text('#command') === want3 && new URL(page.url()).searchParams.getAll('gpu').join() === 'RTX 4090,vulkan:RTX 3060',
        'a GPU with a backend: the command equals the CLI\'s', `${await text('#command')}\n     ${want3}`);
  await page.click('#gpus li:nth-child(2) button');
  await page.waitForFunction(() => !/Vulkan0/.test(document.getElementById('bars').textContent), { timeout: 5000 });
  // a shared link reproduces it
  const page2 = await browser.newPage();
  await page2.goto(page.url());
  await page2.waitForFunction(() => Number(document.body.dataset.plans || 0) >= 1, { timeout: 20000 });
  check(await page2.$eval('#command', (e) => e.textContent) === want2, 'the shared link shows the same plan');
  await page2.close();

  // 3. a refusal shows the closest configuration and the shortfall
  await page.goto(`${base}/index.html?model=qwen3-30b-a3b:Q4_K_M&gpu=cuda:1GiB&flags=-c%20131072%20-ngl%20all`);
  await waitPlans(1);
  const refusal = await page.$eval('#refusal', (e) => (e.hidden ? '' : e.textContent));
  check(/nothing fits.*misses its budget on CUDA0 by/.test(refusal), 'a refusal names the device and the shortfall', refusal);
  check(await text('#command') === cliCommand(['qwen3-30b-a3b:Q4_K_M', '--gpu', 'cuda:1GiB', '-c', '131072', '-ngl', 'all']),
        'a refusal: the closest command equals the CLI\'s');

  // 4. a local file: only its header is read (File.slice)
  await page.goto(`${base}/index.html?gpu=RTX%204090`);
  await page.waitForFunction(() => window.llamaplanPage && window.llamaplanPage.ready, { timeout: 20000 });
  const before = await plans();
  await page.click('input[name=source][value=file]');
  const input = await page.$('#file');
  await input.uploadFile(model);
  await waitPlans(before + 1);
  const status = await text('#model-status');
  const m = /read ([\d,]+) of ([\d,]+) bytes/.exec(status);
  const readBytes = m ? Number(m[1].replace(/,/g, '')) : -1;
  check(m && readBytes >= headerSize && readBytes <= headerSize + 256 * 1024, 'local file: only the header (and one read-ahead) is read', status);
  check(await text('#command') === cliCommand(['model.gguf', '--gpu', 'RTX 4090'], path.join(work, 'site')),
        'local file: the command equals the CLI\'s (-m FILE)', await text('#command'));

  // 5. a URL through range requests: only header bytes are served
  const n0 = requests().length;
  await page.click('input[name=source][value=url]');
  await page.$eval('#url', (e, v) => { e.value = v; }, `${base}/model.gguf`);
  const p0 = await plans();
  await page.click('#read-url');
  await waitPlans(p0 + 1);
  const served = (await settled()).slice(n0).filter((r) => r.path === '/model.gguf');
  const bytes = served.reduce((s, r) => s + r.bytes, 0);
  check(served.length >= 1 && served.length <= 3 && served.every((r) => r.status === 206 && r.range),
        `URL: 1 to 3 range requests (${served.length}: ${served.map((r) => r.range).join(', ')})`);
  // each request reads at least as much as all before it (2 MiB first): at most twice the header, or 2 MiB
  check(bytes <= Math.max(2 * headerSize, 2 << 20) && served.every((r) => Number(r.range.split('=')[1].split('-')[0]) < headerSize),
        `URL: only header bytes are asked for, and at most as many again read ahead (${bytes} bytes served, header ${headerSize}, file ${headerSize + 2 * 1024 ** 3})`);
  const cmdUrl = await text('#command');
  const wantUrl = cliCommand(['model.gguf', '--gpu', 'RTX 4090'], path.join(work, 'site'));
  check(cmdUrl === wantUrl.replace('-m model.gguf', `-mu ${base}/model.gguf`), 'URL: the command loads it with -mu URL, else the CLI\'s', `${cmdUrl}\n     ${wantUrl}`);
  check(new URL(page.url()).searchParams.get('model') === `${base}/model.gguf`, 'URL: the model URL is in the query');

  // 6. a server that ignores Range: the stream is cancelled after the header
  const n1 = requests().length;
  await page.$eval('#url', (e, v) => { e.value = v; }, `${base}/norange/model.gguf`);
  const p1 = await plans();
  await page.click('#read-url');
  await waitPlans(p1 + 1);
  check(/ignored Range/.test(await text('#model-status')), 'no Range: the page says the server ignored it', await text('#model-status'));
  const nr = (await settled()).slice(n1).filter((r) => r.path === '/norange/model.gguf');
  const nrBytes = nr.reduce((s, r) => s + r.bytes, 0);
  check(nr.length === 1 && nr[0].status === 200 && nrBytes < 256 * 1024 ** 2, `no Range: the download stops early (${nrBytes} of ${headerSize + 2 * 1024 ** 3} bytes sent)`);

  // 7. clear errors: not a GGUF file, an unreachable server
  await page.$eval('#url', (e, v) => { e.value = v; }, `${base}/index.html`);
  await page.click('#read-url');
  await page.waitForFunction(() => document.getElementById('model-status').classList.contains('bad'), { timeout: 10000 });
  check(/not a GGUF/.test(await text('#model-status')), 'a non-GGUF answer: a clear message', await text('#model-status'));
  await page.$eval('#url', (e) => { e.value = 'http://127.0.0.1:9/model.gguf'; });
  await page.$eval('#model-status', (e) => { e.className = 'status'; });
  await page.click('#read-url');
  await page.waitForFunction(() => document.getElementById('model-status').classList.contains('bad'), { timeout: 10000 });
  check(/request failed.*CORS/.test(await text('#model-status')), 'an unreachable or cross-origin-refusing server: a clear message', await text('#model-status'));
  // 8. a split model from a URL (any part names them all): each part's header through range requests
  const n2 = requests().length;
  const part2 = `${base}/split/${path.basename(splitParts[1])}`;
  await page.$eval('#url', (e, v) => { e.value = v; }, part2);
  await page.$eval('#model-status', (e) => { e.className = 'status'; });
  const p2 = await plans();
  await page.click('#read-url');
  await waitPlans(p2 + 1);
  const sr = (await settled()).slice(n2).filter((r) => r.path.startsWith('/split/'));
  const perPart = splitParts.map((f) => sr.filter((r) => r.path === `/split/${path.basename(f)}`).length);
  check(perPart.every((k) => k >= 1 && k <= 3) && sr.every((r) => r.status === 206),
        `split URL: 1 to 3 range requests per part (${perPart.join(', ')})`, await text('#model-status'));
  const wantSplit = cliCommand([`split/${path.basename(splitParts[0])}`, '--gpu', 'RTX 4090'], path.join(work, 'site'));
  check(await text('#command') === wantSplit.replace(`-m split/`, `-mu ${base}/split/`),
        'split URL: the command equals the CLI\'s on the first part (-mu URL)', `${await text('#command')}\n     ${wantSplit}`);
  // 9. a split model from local files: all parts picked together
  await page.click('input[name=source][value=file]');
  const p3 = await plans();
  await (await page.$('#file')).uploadFile(...splitParts);
  await waitPlans(p3 + 1).catch(async (e) => { throw new Error(`split files: no plan (${await text('#model-status')}; ${consoleErrors.join('; ')})`); });
  const wantLocal = cliCommand([path.basename(splitParts[0]), '--gpu', 'RTX 4090'], path.join(work, 'site/split'));
  check(await text('#command') === wantLocal && /headers of 3 parts/.test(await text('#model-status')),
        'split files: the command equals the CLI\'s', `${await text('#command')}\n     ${wantLocal}\n     ${await text('#model-status')}`);
  check(consoleErrors.length === 0, 'no uncaught page errors', consoleErrors.join('; '));
} finally {
  await browser.close();
  server.kill();
}
console.log(`browser test: ${failed ? failed + ' failed' : 'all passed'}; screenshot: ${path.join(work, 'screenshot.png')}`);
process.exit(failed ? 1 : 0);

// The planner page in a real browser (Debian's chromium, puppeteer-core), served by examples/web/test/server.py on
// 127.0.0.1: prints `name value unit` lines.
//   web_first_plan_shown_ms      navigation start to the first plan drawn (performance.now() after the render;
//                                index.html?model=qwen3-8b:Q4_K_M&gpu=RTX%204090, fresh browser context, median of 7)
//   web_replan_ms                a preset change to the new plan drawn (the change handler: plan + DOM), median of 31
//   web_replan_to_frame_ms       the same, up to the next animation frame (what the eye can see), median of 31
//   web_header_{requests,bytes,ms}_NAME   reading each GGUF given through Range requests (the page's URL path)
// Targets (issue 23): first plan within 1 s, re-plan within 50 ms, one to three range requests per header.
//   node bench/web_latency.mjs build/web [MODEL.gguf ...]     (bash tools/web.sh bench runs it)
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'build/node/package.json'));
const puppeteer = require('puppeteer-core');
const [webDir, ...models] = process.argv.slice(2);
const site = fs.mkdtempSync(path.join(os.tmpdir(), 'llamaplan-bench-web-'));
for (const f of fs.readdirSync(webDir)) fs.copyFileSync(path.join(webDir, f), path.join(site, f));
for (const m of models) fs.symlinkSync(path.resolve(m), path.join(site, path.basename(m)));
const log = path.join(site, 'requests.jsonl');
const port = 20000 + (process.pid % 2000);
const server = spawn('python3', [path.join(root, 'examples/web/test/server.py'), site, '--port', String(port), '--log', log],
                     { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((res) => server.stdout.once('data', res));
const base = `http://127.0.0.1:${port}`;
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const chromium = process.env.CHROMIUM || spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).stdout.trim();
const browser = await puppeteer.launch({ executablePath: chromium, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
try {
  const first = [];
  for (let i = 0; i < 7; ++i) {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.goto(`${base}/index.html?model=qwen3-8b:Q4_K_M&gpu=RTX%204090`);
    await page.waitForFunction(() => Number(document.body.dataset.plans || 0) >= 1, { timeout: 30000 });
    first.push(await page.evaluate(() => window.llamaplanPage.firstPlanMs));
    await ctx.close();
  }
  const page = await browser.newPage();
  await page.goto(`${base}/index.html?model=qwen3-30b-a3b:Q4_K_M&gpu=RTX%204060&ram=32GiB&cores=8`);
  await page.waitForFunction(() => Number(document.body.dataset.plans || 0) >= 1, { timeout: 30000 });
  const sync = [], frame = [];
  const presets = ['high_speed', 'more_context', 'balanced', 'system_safe'];
  for (let i = 0; i < 31; ++i) {
    const [a, b] = await page.evaluate(async (p) => {
      const sel = document.getElementById('preset');
      const t0 = performance.now();
      sel.value = p;
      sel.dispatchEvent(new Event('change'));
      const t1 = performance.now();
      await new Promise((r) => requestAnimationFrame(() => r()));
      return [t1 - t0, performance.now() - t0];
    }, presets[i % presets.length]);
    sync.push(a);
    frame.push(b);
  }
  console.log(`web_first_plan_shown_ms ${median(first).toFixed(1)} ms`);
  console.log(`web_first_plan_shown_max_ms ${Math.max(...first).toFixed(1)} ms`);
  console.log(`web_replan_ms ${median(sync).toFixed(2)} ms`);
  console.log(`web_replan_max_ms ${Math.max(...sync).toFixed(2)} ms`);
  console.log(`web_replan_to_frame_ms ${median(frame).toFixed(2)} ms`);
  await page.click('input[name=source][value=url]');
  for (const m of models) {
    const name = path.basename(m);
    const n0 = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').length : 0;
    await page.$eval('#url', (e, v) => { e.value = v; }, `${base}/${name}`);
    const p0 = await page.evaluate(() => Number(document.body.dataset.plans || 0));
    const t0 = Date.now();
    await page.click('#read-url');
    await page.waitForFunction((k) => Number(document.body.dataset.plans || 0) > k ||
      document.getElementById('model-status').classList.contains('bad'), { timeout: 30000 }, p0);
    const ms = Date.now() - t0;
    const reqs = fs.readFileSync(log, 'utf8').trim().split('\n').slice(n0).map((l) => JSON.parse(l)).filter((r) => r.path === `/${name}`);
    const label = name.replace(/\.gguf$/, '').replace(/[^A-Za-z0-9]+/g, '_');
    console.log(`web_header_requests_${label} ${reqs.length} requests`);
    console.log(`web_header_bytes_${label} ${reqs.reduce((s, r) => s + r.bytes, 0)} bytes (file ${fs.statSync(m).size})`);
    console.log(`web_header_ms_${label} ${ms} ms`);
  }
} finally {
  await browser.close();
  server.kill();
  fs.rmSync(site, { recursive: true, force: true });
}

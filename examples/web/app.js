// The page: its state lives in the URL query (model, gpu..., ram, cores, preset, flags, format), so a plan is a link.
import { instantiate, splitArgs, Planner } from './llamaplan.js';

const $ = (id) => document.getElementById(id);
const GiB = 1024 ** 3, MiB = 1024 ** 2;
const human = (b) => (b >= GiB ? (b / GiB).toFixed(2) + ' GiB' : (b / MiB).toFixed(2) + ' MiB');
const stats = { firstPlanMs: null, lastPlanMs: null, plans: 0, ready: false };
window.llamaplanPage = stats; // read by the browser test and the benchmark

const state = { source: 'catalog', catalog: '', url: '', file: null, gpus: [], ram: '', cores: '', preset: 'balanced',
                flags: '', format: 'llama-server', loaded: null };
let planner = null;

function readQuery() {
  const q = new URLSearchParams(location.search);
  const model = q.get('model') || '';
  if (/^https?:\/\//i.test(model)) { state.source = 'url'; state.url = model; } else { state.catalog = model; }
  state.gpus = q.getAll('gpu').filter((g) => g.trim() !== '');
  state.ram = q.get('ram') || '';
  state.cores = q.get('cores') || '';
  state.preset = q.get('preset') || 'balanced';
  state.flags = q.get('flags') || '';
  state.format = q.get('format') || 'llama-server';
}

function queryString() {
  const q = new URLSearchParams();
  const model = state.source === 'url' ? state.url : state.source === 'catalog' ? state.catalog : '';
  if (model) q.set('model', model);
  for (const g of state.gpus) q.append('gpu', g);
  if (state.ram) q.set('ram', state.ram);
  if (state.cores) q.set('cores', state.cores);
  if (state.preset !== 'balanced') q.set('preset', state.preset);
  if (state.flags) q.set('flags', state.flags);
  if (state.format !== 'llama-server') q.set('format', state.format);
  return q.toString().replace(/\+/g, '%20');
}

function syncForm() {
  for (const r of document.querySelectorAll('input[name=source]')) r.checked = r.value === state.source;
  for (const d of document.querySelectorAll('[data-source]')) d.hidden = d.dataset.source !== state.source;
  $('catalog').value = state.catalog;
  $('url').value = state.url;
  $('ram').value = state.ram;
  $('cores').value = state.cores;
  $('preset').value = state.preset;
  $('flags').value = state.flags;
  $('format').value = state.format;
  const ul = $('gpus');
  ul.textContent = '';
  state.gpus.forEach((g, i) => {
    const li = document.createElement('li');
    li.textContent = g;
    const x = document.createElement('button');
    x.type = 'button';
    x.textContent = '×';
    x.title = 'remove';
    x.onclick = () => { state.gpus.splice(i, 1); syncForm(); update(); };
    li.append(x);
    ul.append(li);
  });
  if (state.gpus.length === 0) ul.textContent = 'no GPU: the plan runs on the CPU';
}

function modelStatus(text, bad = false) {
  const s = $('model-status');
  s.textContent = text;
  s.classList.toggle('bad', bad);
}

// ---- reading a header ------------------------------------------------------------------------------------------

function fileReader(file) {
  return (offset, end) => file.slice(offset, end).arrayBuffer().then((b) => new Uint8Array(b));
}

/** Reads a URL with Range requests; a server that ignores Range is read as one stream, cancelled at the header's end. */
function urlReader(url, log) {
  let body = null, pending = new Uint8Array(0);
  const r = {
    requests: 0, ignoredRange: false,
    async read(offset, end) {
      if (!body) {
        let resp;
        try {
          resp = await fetch(url, { headers: { Range: `bytes=${offset}-${end - 1}` } });
        } catch (e) {
          throw new Error('the request failed: a network error, or the server does not allow cross-origin requests ' +
                          '(CORS); Hugging Face "resolve" URLs allow them');
        }
        ++r.requests;
        log(r);
        if (resp.status === 416) return null;
        if (resp.status === 206) return new Uint8Array(await resp.arrayBuffer());
        if (resp.status !== 200) throw new Error(`the server answered HTTP ${resp.status} ${resp.statusText}`);
        if (offset !== 0) throw new Error('the server ignored the Range header in the middle of the header');
        r.ignoredRange = true; // the whole file is coming: take its first bytes only
        body = resp.body.getReader();
      }
      const want = end - offset;
      while (pending.length < want) {
        const { done, value } = await body.read();
        if (done) break;
        const n = new Uint8Array(pending.length + value.length);
        n.set(pending);
        n.set(value, pending.length);
        pending = n;
      }
      const out = pending.slice(0, want);
      pending = pending.slice(want);
      return out;
    },
    cancel() { if (body) body.cancel().catch(() => {}); body = null; },
  };
  return r;
}

function hfResolve(url) {
  // a Hugging Face page URL (…/blob/main/x.gguf) names the file at …/resolve/main/x.gguf
  return url.replace(/^(https:\/\/huggingface\.co\/[^/]+\/[^/]+)\/blob\//, '$1/resolve/');
}

async function loadFile(file) {
  state.loaded = null;
  modelStatus(`reading the header of ${file.name} …`);
  let reads = 0, bytes = 0;
  const read = fileReader(file);
  let res = await planner.readHeader(async (o, e) => { ++reads; const b = await read(o, e); bytes += b.length; return b; },
                                       file.size, file.name);
  if (!res.ok) { modelStatus(`${file.name}: ${res.error}`, true); return false; }
  if (res.split_count > 1) {  // every part's header: the parts must be among the files picked
    const count = res.split_count;
    const picked = new Map([...$('file').files].map((f) => [f.name, f]));
    const parts = [...Array(count).keys()].map((i) => picked.get(Planner.splitName(file.name, i, count)));
    if (parts.some((f) => !f)) {
      modelStatus(`${file.name} is part of a split model of ${count} parts: pick all ${count} parts together`, true);
      return false;
    }
    reads = 0;
    bytes = 0;
    res = await planner.readSplit(parts.map((f) => ({ name: f.name, size: f.size,
      read: async (o, e) => { ++reads; const b = await fileReader(f)(o, e); bytes += b.length; return b; } })));
    if (!res.ok) { modelStatus(res.error, true); return false; }
    file = parts[0];
  }
  state.loaded = { kind: 'file', name: file.name, info: res };
  modelStatus(`${file.name}: ${res.architecture}, ${res.layers} blocks, ${res.tensors} tensors, ${human(res.weights)} of weights; ` +
              `read ${bytes.toLocaleString('en')} of ${file.size.toLocaleString('en')} bytes in ${reads} slices` +
              (res.split_count > 1 ? ` (the headers of ${res.split_count} parts)` : ''));
  return true;
}

async function loadUrl(url) {
  state.loaded = null;
  let u = hfResolve(url.trim());
  // any part of a split model names them all: start with the first, whose header holds the model's keys
  const part = /-(\d{5})-of-(\d{5})\.gguf(?:[?#].*)?$/.exec(u);
  if (part && Number(part[1]) > 1) u = Planner.splitName(u, 0, Number(part[2])) ?? u;
  modelStatus(`reading the header of ${u} …`);
  const rd = urlReader(u, (r) => modelStatus(`reading the header of ${u} … (${r.requests} request${r.requests > 1 ? 's' : ''})`));
  let bytes = 0, res;
  try {
    res = await planner.readHeader(async (o, e) => { const b = await rd.read(o, e); bytes += b ? b.length : 0; return b; }, -1, u, 2 << 20, true);
  } catch (e) {
    rd.cancel();
    modelStatus(`${u}: ${e.message}`, true);
    return false;
  }
  rd.cancel();
  if (res.ok && res.split_count > 1) {  // a split model: every part's header (llama.cpp loads them all)
    const count = res.split_count;
    const names = [...Array(count).keys()].map((i) => Planner.splitName(u, i, count));
    if (names.some((n) => n === null)) {
      modelStatus(`${u}: part of a split model of ${count} parts, but the name is not …-0000N-of-${String(count).padStart(5, '0')}.gguf`, true);
      return false;
    }
    bytes = 0;
    const readers = names.map((n) => urlReader(n, () => modelStatus(`reading the headers of ${count} parts …`)));
    try {
      res = await planner.readSplit(names.map((n, i) => ({ name: n, size: -1,
        read: async (o, e) => { const b = await readers[i].read(o, e); bytes += b ? b.length : 0; return b; } })), 2 << 20, true);
    } catch (e) {
      modelStatus(`${u}: ${e.message}`, true);
      return false;
    } finally {
      for (const r of readers) r.cancel();
    }
    rd.requests = readers.reduce((s, r) => s + r.requests, 0);
    if (res.ok) u = names[0];
  }
  if (!res.ok) {
    const hint = /magic|GGUF/i.test(res.error) ? ' (the answer is not a GGUF file: check the URL points at the .gguf itself)' : '';
    modelStatus(`${u}: ${res.error}${hint}`, true);
    return false;
  }
  state.loaded = { kind: 'url', name: u, info: res };
  modelStatus(`${res.architecture}, ${res.layers} blocks, ${res.tensors} tensors, ${human(res.weights)} of weights; read ` +
              `${bytes.toLocaleString('en')} header bytes in ${rd.requests} request${rd.requests > 1 ? 's' : ''}` +
              (res.split_count > 1 ? ` (${res.split_count} parts)` : '') +
              (rd.ignoredRange ? ' (the server ignored Range: the download was cancelled after the header)' : ''));
  return true;
}

// ---- planning and drawing ---------------------------------------------------------------------------------------

function request() {
  const req = { gpus: state.gpus, ram: state.ram, cores: state.cores, preset: state.preset, format: state.format,
                args: splitArgs(state.flags) };
  if (state.source === 'catalog') { req.model = state.catalog.trim(); }
  else if (state.loaded) {
    req.model = 'loaded';
    if (state.loaded.kind === 'url') req.url = state.loaded.name; else req.path = state.loaded.name;
  } else return null;
  return req;
}

const parts = [['model', 'weights'], ['context', 'kv'], ['compute', 'compute'], ['overhead', 'overhead']];

function drawBars(plan) {
  const bars = $('bars');
  bars.textContent = '';
  for (const d of plan.devices || []) {
    const known = parts.reduce((s, [k]) => s + d[k], 0);
    const other = Math.max(0, d.planned - known);
    const unknownFree = d.free === 0 && d.name === 'CPU';
    const free = unknownFree ? 0 : Math.max(0, d.free - d.planned - d.margin);
    const scale = Math.max(unknownFree ? d.planned + d.margin : d.free, d.planned + d.margin, 1);
    const row = document.createElement('div');
    row.className = 'bar-row';
    const name = document.createElement('div');
    name.textContent = `${d.name} (${d.buffer})`;
    const bar = document.createElement('div');
    bar.className = 'bar';
    const seg = (cls, bytes, label) => {
      if (bytes <= 0) return;
      const s = document.createElement('span');
      s.className = 'c-' + cls;
      s.style.width = (100 * bytes / scale).toFixed(3) + '%';
      s.title = `${label}: ${human(bytes)}`;
      bar.append(s);
    };
    for (const [k, cls] of parts) seg(cls, d[k], cls);
    seg('other', other, 'draft / projector');
    seg('margin', d.margin, 'margin');
    seg('free', free, 'free');
    const fig = document.createElement('div');
    const over = !unknownFree && d.planned + d.margin > d.free;
    fig.textContent = `${human(d.planned)} of ${unknownFree ? 'unknown' : human(d.free)}`;
    if (over) fig.className = 'over';
    row.append(name, bar, fig);
    bars.append(row);
  }
  $('legend').innerHTML = ['weights', 'kv', 'compute', 'overhead', 'margin', 'free']
    .map((c) => `<span><i class="c-${c}"></i>${c === 'kv' ? 'KV cache' : c}</span>`).join('');
}

function render(res) {
  const err = $('error'), refusal = $('refusal');
  err.hidden = true;
  refusal.hidden = true;
  if (res.error && !res.plan) {
    err.textContent = res.error;
    err.hidden = false;
    $('command').textContent = '';
    $('text').hidden = true;
    $('bars').textContent = '';
    $('why').textContent = '';
    $('speed').textContent = '';
    return;
  }
  const plan = res.plan.ok ? res.plan : res.plan.closest;
  if (!res.plan.ok) {
    refusal.textContent = `nothing fits for preset ${plan.preset}: the closest configuration (below) misses its budget on ` +
      `${res.plan.short_device} by ${human(res.plan.short_bytes)}`;
    refusal.hidden = false;
  }
  $('command').textContent = res.command;
  const text = $('text');
  text.hidden = state.format === 'llama-server';
  text.textContent = res.text;
  const t = plan.throughput;
  const s = plan.settings;
  $('speed').textContent = `predicted: ${t.decode_tps.toFixed(1)} tokens/s generating (${t.decode_bound} bound), ` +
    `${t.prefill_tps.toFixed(0)} tokens/s on a ${t.prefill_tokens}-token prompt (${t.prefill_bound} bound); context ` +
    `${s.n_ctx} tokens, KV ${s.type_k}/${s.type_v}, ${s.n_gpu_layers} of ${s.n_layers} layers on GPUs`;
  drawBars(plan);
  const why = $('why');
  why.textContent = '';
  for (const r of plan.reasons) {
    const tr = document.createElement('tr');
    for (const v of [r.setting, r.origin, r.why]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    why.append(tr);
  }
}

function update() {
  const qs = queryString();
  history.replaceState(null, '', qs ? '?' + qs : location.pathname);
  $('share').href = location.href;
  let req;
  try {
    req = request();
  } catch (e) {
    render({ error: e.message });
    return;
  }
  if (!req || !req.model) { render({ error: 'choose a model: a catalog name, a local .gguf file or a URL' }); return; }
  const res = planner.plan(req);
  render(res);
  const now = performance.now();
  stats.lastPlanMs = now;
  if (stats.firstPlanMs === null) stats.firstPlanMs = now;
  ++stats.plans;
  document.body.dataset.plans = String(stats.plans);
}

// ---- wiring -----------------------------------------------------------------------------------------------------

function addGpu() {
  const v = $('gpu-search').value.trim();
  if (!v) return;
  const be = $('gpu-backend').value;  // the CLI's --gpu BACKEND:NAME
  state.gpus.push(be && !v.includes(':') ? `${be}:${v}` : v);
  $('gpu-search').value = '';
  syncForm();
  update();
}

async function main() {
  readQuery();
  syncForm();
  planner = await instantiate(fetch(new URL('llamaplan.wasm', import.meta.url)));
  wire();
  stats.ready = true;
  if (state.source === 'url' && state.url) { if (await loadUrl(state.url)) update(); }
  else update();
  // the lists after the first plan: sizing every catalog quantization takes longer than a plan
  setTimeout(fillLists, 0);
}

function fillLists() {
  const cat = $('catalog-list');
  for (const m of planner.catalog())
    for (const q of Object.keys(m.quants)) {
      const o = document.createElement('option');
      o.value = `${m.name}:${q}`;
      o.label = `${m.arch}, ${(m.params / 1e9).toFixed(1)}B, ${(m.quants[q] / GiB).toFixed(1)} GiB`;
      cat.append(o);
    }
  const gl = $('gpu-list');
  for (const d of planner.devices()) {
    const o = document.createElement('option');
    o.value = d.name;
    o.label = `${d.backend}, ${(d.memory / GiB).toFixed(0)} GiB, ${d.bandwidth_gbs} GB/s`;
    gl.append(o);
  }
}

function wire() {
  for (const r of document.querySelectorAll('input[name=source]'))
    r.onchange = () => { state.source = r.value; state.loaded = null; syncForm(); update(); };
  $('catalog').oninput = () => { state.catalog = $('catalog').value; update(); };
  $('file').onchange = async () => {
    const f = [...$('file').files].sort((a, b) => a.name.localeCompare(b.name))[0];
    if (f && await loadFile(f)) update();
  };
  $('read-url').onclick = async () => { state.url = $('url').value; if (await loadUrl(state.url)) update(); };
  $('url').onkeydown = (e) => { if (e.key === 'Enter') $('read-url').click(); };
  $('gpu-add').onclick = addGpu;
  $('gpu-search').onkeydown = (e) => { if (e.key === 'Enter') addGpu(); };
  $('gpu-search').onchange = () => {
    if ([...$('gpu-list').options].some((o) => o.value === $('gpu-search').value)) addGpu();
  };
  for (const id of ['ram', 'cores', 'flags']) $(id).oninput = () => { state[id] = $(id).value.trim(); update(); };
  for (const id of ['preset', 'format']) $(id).onchange = () => { state[id] = $(id).value; update(); };
  $('copy').onclick = async () => {
    const text = $('command').textContent;
    try { await navigator.clipboard.writeText(text); } catch (e) {
      const r = document.createRange();
      r.selectNodeContents($('command'));
      getSelection().removeAllRanges();
      getSelection().addRange(r);
      document.execCommand('copy');
    }
    $('copy').textContent = 'copied';
    setTimeout(() => { $('copy').textContent = 'copy'; }, 1200);
  };
}

main().catch((e) => { $('error').textContent = 'llamaplan failed to start: ' + e.message; $('error').hidden = false; });

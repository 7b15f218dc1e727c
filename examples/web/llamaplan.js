// The JavaScript side of llamaplan.wasm (planner.cpp): instantiates the module with the three WASI calls it
// imports (stdio's, never used to read anything) and wraps its exports. Works in a browser and in node (ES module).

const enc = new TextEncoder();
const dec = new TextDecoder();

function wasiImports(getMemory) {
  // the module never opens a file; these only keep a stray diagnostic (abort's message) from trapping
  return {
    fd_close: () => 0,
    fd_seek: () => 70, // ESPIPE
    fd_write: (fd, iovs, iovsLen, nwrittenPtr) => {
      const view = new DataView(getMemory().buffer);
      let total = 0, text = '';
      for (let i = 0; i < iovsLen; ++i) {
        const ptr = view.getUint32(iovs + 8 * i, true), len = view.getUint32(iovs + 8 * i + 4, true);
        text += dec.decode(new Uint8Array(getMemory().buffer, ptr, len));
        total += len;
      }
      if (text) (fd === 2 ? console.error : console.log)(text.replace(/\n$/, ''));
      view.setUint32(nwrittenPtr, total, true);
      return 0;
    },
  };
}

/** The planner: instantiate(bytes or Response promise) -> Planner. */
export async function instantiate(source) {
  let memory = null;
  const imports = { wasi_snapshot_preview1: wasiImports(() => memory) };
  let result;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) result = await WebAssembly.instantiate(source, imports);
  else if (typeof WebAssembly.instantiateStreaming === 'function') {
    try {
      result = await WebAssembly.instantiateStreaming(source, imports);
    } catch (e) { // a server without application/wasm: instantiate from the bytes
      result = await WebAssembly.instantiate(await (await source).clone().arrayBuffer(), imports);
    }
  } else result = await WebAssembly.instantiate(await (await source).arrayBuffer(), imports);
  const x = result.instance.exports;
  memory = x.memory;
  x._initialize();
  return new Planner(x);
}

export class Planner {
  constructor(x) { this.x = x; }

  // writes bytes into the module's input buffer; returns their length
  put(bytes) {
    const ptr = this.x.lp_input(bytes.length);
    new Uint8Array(this.x.memory.buffer, ptr, bytes.length).set(bytes);
    return bytes.length;
  }
  // NUL-separated fields
  putFields(list) { return this.put(enc.encode(list.join('\0'))); }
  output() { return dec.decode(new Uint8Array(this.x.memory.buffer, this.x.lp_output(), this.x.lp_output_size())); }
  json() { return JSON.parse(this.output()); }

  /** The catalog models: [{name, alias, arch, params, quants: {Q4_K_M: bytes}}]. */
  catalog() { this.x.lp_catalog(); return this.json(); }
  /** The device table: [{name, backend, memory, bandwidth_gbs, unified}]. */
  devices() { this.x.lp_devices(); return this.json(); }

  /**
   * Reads a GGUF header: `read(offset, end)` resolves to a Uint8Array of the source's bytes from `offset` (at least
   * up to `end`, or fewer at the source's end), or null when the source ended. `size` is the source's length
   * (or -1). Reads what gguf::header_parser's need() asks for (a lower bound of the rest of the header), and at
   * least `readAhead` bytes per read; with `grow` at least as many as were read before, so that a header of H bytes
   * takes about log2(H / readAhead) + 1 requests and at most 2 H bytes are read (for HTTP, where a request costs a
   * round trip). Resolves to {ok, architecture, ..., bytes_read, requests, split_count} or {ok:false, error}.
   */
  async readHeader(read, size, name, readAhead = 256 * 1024, grow = false, keep = false) {
    this.x.lp_gguf_begin(size);
    let offset = 0;
    for (let round = 0; round < 4096; ++round) {
      const need = this.x.lp_gguf_need();
      let end = Math.max(need, offset + Math.max(readAhead, grow ? offset : 0));
      if (size >= 0) end = Math.min(end, size);
      const bytes = await read(offset, end);
      const last = bytes === null || bytes.length === 0 || (size >= 0 && offset + bytes.length >= size);
      const chunk = bytes || new Uint8Array(0);
      const st = this.x.lp_gguf_feed(this.put(chunk), last ? 1 : 0);
      offset += chunk.length;
      if (st === 2) return this.json();
      if (st === 1) {
        if (keep) return { ok: this.x.lp_gguf_keep_part(this.putFields([name])) > 0, error: 'cannot keep the part' };
        this.x.lp_gguf_open(this.putFields([name]));
        return this.json();
      }
      if (last) return { ok: false, error: 'the source ended inside the GGUF header' };
    }
    return { ok: false, error: 'too many reads for one header' };
  }

  /**
   * Reads a split model part by part: `parts` = [{read, size, name}] in split order (parts[0] is split 1).
   * Resolves as readHeader, for the whole model.
   */
  async readSplit(parts, readAhead = 256 * 1024, grow = false) {
    this.x.lp_gguf_reset_parts();
    for (const p of parts) {
      const r = await this.readHeader(p.read, p.size, p.name, readAhead, grow, true);
      if (!r.ok) { this.x.lp_gguf_reset_parts(); return { ok: false, error: `${p.name}: ${r.error}` }; }
    }
    this.x.lp_gguf_open_parts();
    return this.json();
  }
  /** The name of split `i` (0-based) of `count` from any part's name (`…-00001-of-00003.gguf`), or null. */
  static splitName(name, i, count) {
    const m = /^(.*)-(\d{5})-of-(\d{5})\.gguf((?:[?#].*)?)$/.exec(name);
    if (!m || Number(m[3]) !== count) return null;
    const pad = (n) => String(n).padStart(5, '0');
    return `${m[1]}-${pad(i + 1)}-of-${pad(count)}.gguf${m[4]}`;
  }

  /**
   * Plans: req = {model: 'NAME:QUANT' | 'loaded', path, url, gpus: [...], ram, cores, preset, format, args: [...]}.
   * Resolves to {ok, rc, command, text, plan, model} or {ok:false, error} (rc as the CLI's exit code).
   */
  plan(req) {
    const f = [];
    const add = (k, v) => { if (v !== undefined && v !== null && v !== '') f.push(k, String(v)); };
    add('model', req.model);
    add('path', req.path);
    add('url', req.url);
    for (const g of req.gpus || []) add('gpu', g);
    add('ram', req.ram);
    add('cores', req.cores);
    add('preset', req.preset);
    add('format', req.format);
    for (const a of req.args || []) f.push('arg', a);
    const rc = this.x.lp_plan(this.putFields(f));
    const out = this.json();
    if (out.rc === undefined) out.rc = rc;
    return out;
  }
}

/** Splits a llama-server flag string as a POSIX shell would for plain words and '...' / "..." quotes. */
export function splitArgs(s) {
  const out = [];
  let cur = null, q = null;
  for (let i = 0; i < s.length; ++i) {
    const c = s[i];
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') { q = c; cur = cur ?? ''; }
    else if (c === '\\' && i + 1 < s.length) { cur = (cur ?? '') + s[++i]; }
    else if (/\s/.test(c)) { if (cur !== null) out.push(cur); cur = null; }
    else cur = (cur ?? '') + c;
  }
  if (q) throw new Error('unterminated quote in the flags');
  if (cur !== null) out.push(cur);
  return out;
}

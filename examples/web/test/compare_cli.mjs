// The page's planner (llamaplan.wasm, driven through llamaplan.js as the page drives it) against the CLI, byte for
// byte: `llamaplan plan MODEL --no-probe --gpu ... --preset P [flags] --format F` on a grid of catalog models, GPUs,
// presets, pinned flags, host RAM / cores and formats. Equal: the exit code, the JSON (argv, settings, devices,
// throughput, reasons, memory), the llama-swap and llama-cpp-python text, the llama-server command line, and the
// error message of bad input.
//   node compare_cli.mjs CLI WASM
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { instantiate } from '../llamaplan.js';

const [cli, wasmPath] = process.argv.slice(2);
const planner = await instantiate(fs.readFileSync(wasmPath));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llamaplan-web-'));

// the host RAM / cores: the CLI's --host-ram / --host-cores where it has them, else a saved machine saying the same
const hostFlags = /--host-ram/.test(spawnSync(cli, ['plan', '--help'], { encoding: 'utf8' }).stdout);
function machineFile(ram, cores) {
  const f = path.join(tmp, `host-${ram}-${cores}.json`);
  const bytes = ram ? Number(BigInt(ram.replace(/GiB$/, '')) << 30n) : 0;
  fs.writeFileSync(f, JSON.stringify({ format: 'llamaplan-machine', version: 1, platform: '', cpu_name: '',
    host: { cpus_logical: cores || 0, cpus_physical: cores || 0, cpus_performance: 0, cpus_efficiency: 0, numa_nodes: 1,
            memory_total: bytes, memory_available: bytes, bandwidth: 0, flops: 0, cpu_repack: true, cpu_amx: false },
    devices: [] }));
  return f;
}

function runCli(c) {
  const args = ['plan', c.model, '--no-probe'];
  for (const g of c.gpus) args.push('--gpu', g);
  if (hostFlags) {
    if (c.ram) args.push('--host-ram', c.ram);
    if (c.cores) args.push('--host-cores', String(c.cores));
  } else if (c.ram || c.cores) args.push('--machine', machineFile(c.ram, c.cores));
  if (c.preset) args.push('--preset', c.preset);
  args.push('--format', c.format, ...c.args);
  const r = spawnSync(cli, args, { encoding: 'utf8' });
  return { rc: r.status, out: r.stdout, err: r.stderr, argv: args };
}

const catalog = planner.catalog();
const models = catalog.map((m) => `${m.name}:Q4_K_M`).filter((n) => catalog.find((m) => n.startsWith(m.name + ':')).quants.Q4_K_M);
models.push('llama-2-7b:Q8_0', 'qwen3-30b-a3b:Q6_K', 'llama-2-7b:F16');
const gpuSets = [[], ['RTX 4090'], ['RTX 4060'], ['RTX 3090', 'RTX 3060'], ['H100x2'], ['M2 Max'], ['vulkan:RTX 4090'], ['cuda:12GiB']];
const presets = ['balanced', 'high_speed', 'more_context', 'system_safe'];
const cases = [];
for (const model of models)
  for (const gpus of gpuSets)
    for (const preset of presets) cases.push({ model, gpus, preset, format: 'json', args: [] });
for (const model of models)
  for (const format of ['llama-server', 'llama-swap', 'llama-cpp-python'])
    for (const gpus of [['RTX 4090'], ['RTX 4060']]) cases.push({ model, gpus, preset: 'balanced', format, args: [] });
for (const model of models)
  for (const args of [['-c', '8192', '-np', '2'], ['-ctk', 'q8_0', '-ctv', 'q8_0', '-fa', 'on'], ['-ngl', '10', '-ub', '256'], ['--cpu-moe']])
    cases.push({ model, gpus: ['RTX 4070'], preset: 'balanced', format: 'json', args });
for (const model of models)
  for (const [ram, cores] of [['16GiB', 8], ['64GiB', 16], ['', 4]])
    cases.push({ model, gpus: ['RTX 4060'], preset: 'balanced', format: 'json', args: [], ram, cores });
// bad input: the same message
cases.push({ model: 'qwen3-8b:Q4_K_M', gpus: ['RTX 4095'], preset: 'balanced', format: 'json', args: [] });
cases.push({ model: 'qwen3-8b:Q4_K_M', gpus: ['RTX 4090'], preset: 'balanced', format: 'json', args: ['-c', 'lots'] });
cases.push({ model: 'qwen3-8b:Q4_K_M', gpus: ['RTX 4090'], preset: 'balanced', format: 'json', args: ['--no-such-flag'] });
cases.push({ model: 'qwen3-8b:Q4_K_M', gpus: ['RTX 4090'], preset: 'balanced', format: 'llama-cpp-python', args: ['-np', '4'] });

let failures = 0, refusals = 0, errors = 0, fits = 0;
const t0 = performance.now();
for (const c of cases) {
  const want = runCli(c);
  const got = planner.plan({ model: c.model, gpus: c.gpus, preset: c.preset, format: c.format, args: c.args,
                             ram: c.ram, cores: c.cores ? String(c.cores) : '' });
  const label = want.argv.join(' ');
  const fail = (what, a, b) => { ++failures; if (failures <= 10) console.log(`DIFFERS (${what}): ${label}\n  cli:  ${JSON.stringify(a)}\n  wasm: ${JSON.stringify(b)}`); };
  if (want.rc === 2) {
    ++errors;
    if (got.rc !== 2) fail('exit code', want.rc, got.rc);
    else if (want.err !== `llamaplan: plan: ${got.error}\n`) fail('error message', want.err, got.error);
    continue;
  }
  if (want.rc !== got.rc) { fail('exit code', want.rc, got.rc); continue; }
  if (want.rc === 3) ++refusals; else ++fits;
  if (c.format === 'llama-server') {
    const line = want.out.split('\n').find((l) => l.startsWith('llama-server ') || l.startsWith('closest: llama-server '));
    if (!line || line.replace(/^closest: /, '') !== got.command) fail('command line', line, got.command);
  } else if (want.out !== got.text) fail(c.format, want.out, got.text);
  if (c.format === 'json' && JSON.stringify(JSON.parse(want.out).argv ?? JSON.parse(want.out).closest.argv) !==
      JSON.stringify(got.plan.argv ?? got.plan.closest.argv)) fail('argv', want.out, got.plan);
}
const ms = performance.now() - t0;
console.log(`compare_cli (host RAM / cores via ${hostFlags ? '--host-ram / --host-cores' : 'a machine file'}): ${cases.length} cases (${fits} plans, ${refusals} refusals, ${errors} input errors) on ` +
            `${models.length} catalog models, ${gpuSets.length} GPU sets, ${presets.length} presets: ${failures} differ (${(ms / 1000).toFixed(1)} s)`);
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(failures === 0 && fits > 0 && refusals > 0 && errors > 0 ? 0 : 1);

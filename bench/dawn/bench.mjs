// bench/dawn: what WebGPU (Dawn, through the npm `webgpu` package's dawn.node) costs on the
// CPU for the two workloads vkgraph runs in bench/execute and bench/resources, on the same
// device in the same `make bench` run. Dawn does not run on lavapipe; it does on SwiftShader
// (VK_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json).
//
//  - chain: N compute passes (default 1000), each one dispatch of one 64-wide workgroup:
//    dst[i] = src[i] + 1 with src the previous pass's buffer (the first reads a buffer of i).
//  - resources: N passes, each reading five buffers and writing a sixth, all distinct
//    (6N buffers of 64 words): dst[i] = the sum of the five.
//
// Everything that can be made once is made once (pipelines, buffers, one bind group per
// pass), as vkgraph's plan is compiled once. Timed per frame: createCommandEncoder, N x
// (beginComputePass, setPipeline, setBindGroup, dispatchWorkgroups, end), finish,
// queue.submit. The GPU is waited for (onSubmittedWorkDone) outside the timed region. The
// result is read back and checked after the timed frames.
//
// Figures (VKG_BENCH_OUT, as bench/bench.h writes them): dawn_chain_us, dawn_resources_us.
// VKG_BENCH_SHORT=1: 50 passes, 3 frames. VKG_BENCH_PASSES, VKG_BENCH_FRAMES as in C.
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);

const short = !!process.env.VKG_BENCH_SHORT && process.env.VKG_BENCH_SHORT !== '0';
const passes = short ? 50 : Number(process.env.VKG_BENCH_PASSES || 1000);
const frames = short ? 3 : Number(process.env.VKG_BENCH_FRAMES || 100);
const warm = short ? 1 : 5;
const WORDS = 64;

function fail(msg) {
  console.error(`bench/dawn: ${msg}`);
  process.exit(1);
}

const gpu = create(['backend=vulkan']);
const adapter = await gpu.requestAdapter();
if (!adapter) fail('no WebGPU adapter (Dawn needs SwiftShader or a GPU; lavapipe is refused)');
const info = adapter.info || {};
const device = await adapter.requestDevice();
device.addEventListener?.('uncapturederror', (e) => fail(`uncaptured error: ${e.error.message}`));

const deviceName = `${info.description || info.device || 'unknown'} (Dawn, WebGPU)`;
const driver = `dawn.node (npm webgpu 0.6.2); ${info.vendor || ''} ${info.architecture || ''}`.trim();
const machine = `${os.cpus()[0]?.model?.trim() || 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()} ${os.arch()}`;

function figure(name, value, unit) {
  console.log(`figure ${name} ${value.toPrecision(6)} ${unit}`);
  const out = process.env.VKG_BENCH_OUT;
  if (!out) return;
  appendFileSync(out, JSON.stringify({
    name, value, unit, program: 'bench/dawn', device: deviceName, driver, machine,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  }) + '\n');
}

// as bench_settle in bench/bench.h: let the CPU driver's worker threads go idle before the
// next timed frame (VKG_BENCH_SETTLE_US, default 3000)
const settleUs = Number(process.env.VKG_BENCH_SETTLE_US ?? 3000);
const settle = () => new Promise((r) => (settleUs > 0 ? setTimeout(r, settleUs / 1000) : r()));

const median = (t) => {
  const s = [...t].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function storage(init) {
  const b = device.createBuffer({
    size: WORDS * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    mappedAtCreation: !!init,
  });
  if (init) {
    new Uint32Array(b.getMappedRange()).set(init);
    b.unmap();
  }
  return b;
}

async function readBack(buffer) {
  const rb = device.createBuffer({ size: WORDS * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buffer, 0, rb, 0, WORDS * 4);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(GPUMapMode.READ);
  const words = new Uint32Array(rb.getMappedRange().slice(0));
  rb.unmap();
  rb.destroy();
  return words;
}

// Times `frames` frames of recording + submitting the passes; returns the median in us.
async function run(name, pipeline, bindGroups) {
  const t = [];
  for (let f = 0; f < warm + frames; f++) {
    const t0 = performance.now();
    const enc = device.createCommandEncoder();
    for (const bg of bindGroups) {
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(1);
      pass.end();
    }
    device.queue.submit([enc.finish()]);
    const t1 = performance.now();
    await device.queue.onSubmittedWorkDone();
    await settle();
    if (f >= warm) t.push((t1 - t0) * 1000);
  }
  const med = median(t);
  const sorted = [...t].sort((a, b) => a - b);
  console.log(`${name}: ${bindGroups.length} passes, median ${med.toFixed(1)} us, fastest ${sorted[0].toFixed(1)} us, p90 ${sorted[Math.floor(sorted.length * 0.9)].toFixed(1)} us over ${frames} frames`);
  return med;
}

console.log(`bench/dawn on ${deviceName}; ${passes} passes, ${frames} timed frames`);

// --- chain ---------------------------------------------------------------------------------
{
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read> src: array<u32>;
           @group(0) @binding(1) var<storage, read_write> dst: array<u32>;
           @compute @workgroup_size(64) fn main(@builtin(local_invocation_index) i: u32) {
             dst[i] = src[i] + 1u;
           }`,
  });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const first = storage(Uint32Array.from({ length: WORDS }, (_, i) => i));
  const bufs = Array.from({ length: passes }, () => storage());
  const groups = bufs.map((dst, k) => device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: k ? bufs[k - 1] : first } },
              { binding: 1, resource: { buffer: dst } }],
  }));
  const med = await run('chain', pipeline, groups);
  const last = await readBack(bufs[passes - 1]);
  for (let i = 0; i < WORDS; i++) if (last[i] !== i + passes) fail(`chain: word ${i} = ${last[i]}, expected ${i + passes}`);
  figure('dawn_chain_us', med, 'us');
}

// --- resources -----------------------------------------------------------------------------
{
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read> s0: array<u32>;
           @group(0) @binding(1) var<storage, read> s1: array<u32>;
           @group(0) @binding(2) var<storage, read> s2: array<u32>;
           @group(0) @binding(3) var<storage, read> s3: array<u32>;
           @group(0) @binding(4) var<storage, read> s4: array<u32>;
           @group(0) @binding(5) var<storage, read_write> dst: array<u32>;
           @compute @workgroup_size(64) fn main(@builtin(local_invocation_index) i: u32) {
             dst[i] = s0[i] + s1[i] + s2[i] + s3[i] + s4[i];
           }`,
  });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const count = 6 * passes;
  const word = (b, i) => b * 7 + i; // as bench/resources.c
  const bufs = Array.from({ length: count }, (_, b) =>
    b % 6 ? storage(Uint32Array.from({ length: WORDS }, (_, i) => word(b, i))) : storage());
  const groups = Array.from({ length: passes }, (_, k) => device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [1, 2, 3, 4, 5].map((s, j) => ({ binding: j, resource: { buffer: bufs[6 * k + s] } }))
      .concat([{ binding: 5, resource: { buffer: bufs[6 * k] } }]),
  }));
  const med = await run('resources', pipeline, groups);
  for (const k of [0, passes - 1]) {
    const got = await readBack(bufs[6 * k]);
    for (let i = 0; i < WORDS; i++) {
      let want = 0;
      for (let s = 1; s <= 5; s++) want += word(6 * k + s, i);
      if (got[i] !== want) fail(`resources: pass ${k} word ${i} = ${got[i]}, expected ${want}`);
    }
  }
  figure('dawn_resources_us', med, 'us');
}

device.destroy();
process.exit(0);

// bench/report.mjs OUT_DIR: turns OUT_DIR/figures.jsonl (one JSON line per figure, written by
// the benchmark programs through bench/bench.h and by bench/dawn) into
//   results.json  one object: figure name -> number (the derived ratios included)
//   figures.json  every figure with its unit, program, device, driver, machine and date
//   table.md      the same as a Markdown table (BENCHMARKS.md quotes it)
//   *.png         charts drawn by gnuplot (compile curve, execute, Dawn, barriers, upload,
//                 completions), from .dat/.gp files left beside them
// A figure measured twice (a rerun appended to the file) keeps its last value.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const out = process.argv[2] || 'bench/out';
const lines = readFileSync(join(out, 'figures.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
const figs = new Map();
for (const l of lines) {
  const f = JSON.parse(l);
  figs.set(f.name, f);
}
const val = (n) => figs.get(n)?.value;

// derived figures: a ratio of two measured ones, with the metadata of the first
function derive(name, num, den, note) {
  const a = figs.get(num), b = figs.get(den);
  if (!a || !b || !b.value) return;
  figs.set(name, { ...a, name, value: a.value / b.value, unit: 'x', program: `bench/report.mjs: ${num} / ${den}`, note });
}
derive('dawn_ratio_chain', 'dawn_chain_us', 'execute_us_vkgraph_1t_swiftshader',
  "Dawn's CPU time over vkgraph's (one recording thread), 1,000 chained compute passes, SwiftShader");
derive('dawn_ratio_resources', 'dawn_resources_us', 'resources_us_vkgraph_swiftshader',
  "Dawn's CPU time over vkgraph's, a 6,000-resource frame, SwiftShader");
if (figs.has('dawn_ratio_chain') && figs.has('dawn_ratio_resources')) {
  const a = figs.get('dawn_ratio_chain'), b = figs.get('dawn_ratio_resources');
  const worse = a.value <= b.value ? a : b;
  figs.set('dawn_ratio', { ...worse, name: 'dawn_ratio', program: 'bench/report.mjs: the smaller of dawn_ratio_chain and dawn_ratio_resources' });
}

const results = Object.fromEntries([...figs.values()].map((f) => [f.name, f.value]));
writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(join(out, 'figures.json'), JSON.stringify([...figs.values()], null, 2) + '\n');

const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3));
let md = '| figure | value | unit | device | program |\n|---|---|---|---|---|\n';
for (const f of figs.values()) md += `| ${f.name} | ${fmt(f.value)} | ${f.unit} | ${f.device || '(no device)'} | ${f.program} |\n`;
const any = figs.values().next().value;
md += `\nMachine: ${any?.machine}. Date: ${any?.date}. Drivers: ${[...new Set([...figs.values()].map((f) => f.device && `${f.device}: ${f.driver}`).filter(Boolean))].join('; ')}.\n`;
writeFileSync(join(out, 'table.md'), md);

// --- charts --------------------------------------------------------------------------------
const charts = [];
function chart(name, data, script) {
  if (!data.trim()) return;
  writeFileSync(join(out, `${name}.dat`), data);
  writeFileSync(join(out, `${name}.gp`),
    `set terminal pngcairo size 900,540 font ",11" noenhanced\nset output "${name}.png"\nset key top left\nset grid ytics\n${script}\n`);
  charts.push(name);
}
const stamp = `${any?.machine?.split(',').slice(0, 2).join(',') || ''}; ${any?.date?.slice(0, 10) || ''}`;

// compile time per pass over graph size, one line per shape (bench/shapes.h)
{
  const shapes = ['chain', 'random', 'fanout', 'pyramid', 'families'];
  let d = '';
  for (const n of [10, 100, 1000, 10000, 100000]) {
    const row = shapes.map((s) => val(`compile_us_${n}_${s}`));
    if (row.some((v) => v !== undefined)) d += `${n} ${row.map((v) => (v === undefined ? 'NaN' : (v * 1000) / n)).join(' ')}\n`;
  }
  chart('compile', d, `set title "vkg_compile: ns per pass by graph shape, in-place recompile, 3 families (${stamp})"
set logscale x
set xlabel "passes"
set ylabel "ns per pass (median)"
set yrange [0:*]
plot ${shapes.map((s, i) => `"compile.dat" using 1:${i + 2} with linespoints lw 2 title "${s}"`).join(', ')}`);
}

// execute: raw Vulkan against vkg_execute
{
  let d = '';
  for (const [tag, label] of [['', 'lavapipe'], ['_swiftshader', 'SwiftShader']]) {
    if (val(`execute_us_raw${tag}`) === undefined) continue;
    d += `"${label}" ${val(`execute_us_raw${tag}`)} ${val(`execute_us_vkgraph_1t${tag}`)} ${val(`execute_us_vkgraph_2t${tag}`) ?? 'NaN'}\n`;
  }
  chart('execute', d, `set title "CPU time of a frame of 1,000 chained dispatches (median; ${stamp})"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "microseconds"
set yrange [0:*]
plot "execute.dat" using 2:xtic(1) title "hand-written Vulkan, 1 thread", "" using 3 title "vkg_execute, 1 thread", "" using 4 title "vkg_execute, 2 threads"`);
}

// Dawn against vkgraph, SwiftShader
{
  let d = '';
  if (val('dawn_chain_us') !== undefined && val('execute_us_vkgraph_1t_swiftshader') !== undefined)
    d += `"1,000 chained passes" ${val('dawn_chain_us')} ${val('execute_us_vkgraph_1t_swiftshader')}\n`;
  if (val('dawn_resources_us') !== undefined && val('resources_us_vkgraph_swiftshader') !== undefined)
    d += `"6,000-resource frame" ${val('dawn_resources_us')} ${val('resources_us_vkgraph_swiftshader')}\n`;
  chart('dawn', d, `set title "CPU time per frame on SwiftShader: WebGPU (Dawn) vs vkgraph (${stamp})"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "microseconds (median)"
set yrange [0:*]
plot "dawn.dat" using 2:xtic(1) title "Dawn (npm webgpu)", "" using 3 title "vkgraph"`);
}

// barriers against a naive tracker
{
  let d = '';
  for (const f of figs.values()) {
    const m = /^barriers_vs_naive_(.+)$/.exec(f.name);
    if (m && !m[1].endsWith('_swiftshader')) d += `"${m[1]}" ${f.value} ${val(`batches_vs_naive_${m[1]}`) ?? 'NaN'}\n`;
  }
  chart('barriers', d, `set title "Plan barriers and barrier calls over a naive tracker's (one per use); lower is better"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "ratio to naive"
set yrange [0:1.6]
set xtics rotate by -30
plot "barriers.dat" using 2:xtic(1) title "barrier structures", "" using 3 title "vkCmdPipelineBarrier2 calls", 1 with lines dt 2 lc rgb "black" title "naive"`);
}

// upload throughput by threads
{
  let d = '';
  for (const t of [1, 2, 4]) {
    if (val(`upload_mbps_buffers_${t}t`) !== undefined) d += `${t} ${val(`upload_mbps_buffers_${t}t`)} ${val(`upload_mbps_images_${t}t`) ?? 'NaN'}\n`;
  }
  chart('upload', d, `set title "vkg_uploader throughput on lavapipe (${stamp})"
set xlabel "uploading threads"
set ylabel "MB/s (best of 3)"
set xtics (1, 2, 4)
set yrange [0:*]
plot "upload.dat" using 1:2 with linespoints lw 2 title "buffers", "" using 1:3 with linespoints lw 2 title "images"`);
}

// completions: cost per completion as waiters grow
{
  let d = '';
  for (const f of figs.values()) {
    const m = /^cq_us_per_completion_(\d+)$/.exec(f.name);
    if (m) d += `${m[1]} ${f.value} ${val(`thread_per_waiter_us_per_completion_${m[1]}`) ?? 'NaN'}\n`;
  }
  chart('completions', d, `set title "CPU per completion as waiters grow (${stamp})"
set logscale x
set xlabel "waiters"
set ylabel "microseconds of CPU per completion"
set yrange [0:*]
plot "completions.dat" using 1:2 with linespoints lw 2 title "completion queue (one watcher)", "" using 1:3 with linespoints lw 2 title "a thread per waiter"`);
}

let drawn = 0;
for (const c of charts) {
  try {
    execFileSync('gnuplot', [`${c}.gp`], { cwd: out, stdio: ['ignore', 'inherit', 'inherit'] });
    drawn++;
  } catch (e) {
    console.error(`bench/report.mjs: gnuplot failed on ${c}.gp (${e.message.split('\n')[0]}); install gnuplot-nox`);
  }
}
console.log(`\n${figs.size} figures -> ${join(out, 'results.json')}, figures.json, table.md; ${drawn} charts: ${charts.map((c) => c + '.png').join(', ')}`);
for (const k of ['compile_us_1000_random', 'compile_growth_random', 'execute_ratio_vs_raw', 'execute_ratio_vs_raw_swiftshader', 'resources_ratio_vs_raw', 'resources_ns_per_resource', 'dawn_ratio', 'dawn_ratio_chain', 'dawn_ratio_resources', 'barriers_vs_naive_demo', 'aliasing_ratio_demo', 'allocs_per_frame', 'cq_cost_ratio_10000_vs_1', 'cq_ns_per_reap_10000', 'upload_mbps_buffers_1t', 'upload_mbps_buffers_4t']) {
  if (results[k] !== undefined) console.log(`  ${k.padEnd(28)} ${fmt(results[k])}`);
}

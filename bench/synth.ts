/**
 * Synth benchmark: wall time and peak memory to synthesize 1, 10, 100 and 1000 instances of each
 * construct in one app, next to a floor: the same objects as plain cdk8s ApiObjects.
 *
 *   npx ts-node --project test/tsconfig.json bench/synth.ts [--counts 1,10,100,1000] [--cases Postgres,Kafka]
 *                                                            [--timeout 180] [--repeat 3] [--markdown]
 *
 * Every measurement runs in its own child process (so peak RSS is that case's alone, read from
 * process.resourceUsage().maxRSS), after a warm-up synth of 10 instances in a throwaway app. The
 * timed part is: construct N instances in one chart + `app.synthYaml()` (resolve, validate, YAML).
 * Each case runs `--repeat` times, ours and floor interleaved; the table shows the fastest run of
 * each (the machine may be shared), with its peak RSS.
 *
 * The floor: one instance's synthesized objects, copied N times as `new ApiObject(chart, id, json)`
 * with the instance name replaced, then the same `app.synthYaml()`. It is what cdk8s itself costs
 * to emit these objects; "ratio" is ours over the floor.
 *
 * Cases: StatefulWorkload and StorageClass always; then every engine class exported from src/index.ts
 * (add a name to ENGINE_NAMES when a new engine appears; its constructor must work with defaults).
 */
import { execFileSync } from 'child_process';
import { cpus, totalmem } from 'os';

import { ApiObject, App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import * as lib from '../src';

const ENGINE_NAMES = ['Postgres', 'MySql', 'MongoDb', 'Cassandra', 'Kafka'];
const NAMESPACE = 'bench';

/** A name of fixed width, so that replacing instance 0's name never touches another's. */
const instanceName = (i: number) => `inst-${String(i).padStart(5, '0')}`;

type Factory = (chart: Chart, i: number) => void;

function cases(): Map<string, Factory> {
  const all = new Map<string, Factory>();
  all.set('StatefulWorkload', (chart, i) => {
    new lib.StatefulWorkload(chart, instanceName(i), {
      replicas: 3,
      containers: [{
        name: 'server',
        image: 'nginxinc/nginx-unprivileged:1.27.3',
        ports: [{ name: 'http', number: 8080 }],
        resources: {
          cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
          memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
        },
      }],
      volumeClaims: [{ size: Size.gibibytes(10), mountPath: '/data' }],
    });
  });
  all.set('StorageClass', (chart, i) => {
    new lib.StorageClass(chart, instanceName(i), { provisioner: lib.Provisioner.awsEbs() });
  });
  const exported = lib as unknown as { [name: string]: unknown };
  for (const name of ENGINE_NAMES) {
    const Engine = exported[name] as (new (scope: Construct, id: string) => Construct) | undefined;
    if (typeof Engine === 'function') {
      all.set(name, (chart, i) => { new Engine(chart, instanceName(i)); });
    }
  }
  return all;
}

interface Result {
  /** Construct + synthYaml. */
  readonly ms: number;
  /** CPU time (user + system, all threads) of construct + synthYaml: steadier than wall time on a busy machine. */
  readonly cpuMs: number;
  /** Constructing the objects. */
  readonly buildMs: number;
  readonly maxRssMiB: number;
  readonly objects: number;
  readonly yamlBytes: number;
}

/**
 * The floor's chart has no namespace: the copied objects already carry theirs, and a cluster-scoped
 * one (StorageClass) must not get one.
 */
function newChart(namespaced = true): { app: App; chart: Chart } {
  const app = new App({ outdir: '/dev/null' });
  return { app, chart: new Chart(app, 'bench', { namespace: namespaced ? NAMESPACE : undefined }) };
}

/** One instance's objects as plain JSON, from our constructs. */
function template(factory: Factory): any[] {
  const { chart } = newChart();
  factory(chart, 0);
  return chart.toJson();
}

interface Run { readonly yaml: string; readonly objects: number; readonly buildMs: number }

const now = () => Number(process.hrtime.bigint()) / 1e6;

function runOurs(factory: Factory, n: number): Run {
  const started = now();
  const { app, chart } = newChart();
  for (let i = 0; i < n; i++) { factory(chart, i); }
  const buildMs = now() - started;
  const yaml = app.synthYaml();
  return { yaml, objects: ApiObjectCount(chart), buildMs };
}

function runFloor(objects: any[], n: number): Run {
  const started = now();
  const text = JSON.stringify(objects);
  const { app, chart } = newChart(false);
  for (let i = 0; i < n; i++) {
    const copy: any[] = JSON.parse(text.split(instanceName(0)).join(instanceName(i)));
    copy.forEach((obj, j) => new ApiObject(chart, `${instanceName(i)}-${j}`, obj));
  }
  const buildMs = now() - started;
  const yaml = app.synthYaml();
  return { yaml, objects: ApiObjectCount(chart), buildMs };
}

function ApiObjectCount(chart: Chart): number {
  return chart.node.findAll().filter((c) => c instanceof ApiObject).length;
}

/** Child: measure one case and print its Result as JSON. */
function child(caseName: string, mode: string, n: number): void {
  const factory = cases().get(caseName);
  if (!factory) { throw new Error(`unknown case ${caseName}`); }
  const objects = template(factory);
  // Warm-up: load and JIT the code paths with 10 instances in a throwaway app, outside the measurement.
  if (mode === 'ours') { runOurs(factory, 10); } else { runFloor(objects, 10); }
  const started = now();
  const cpu = process.cpuUsage();
  const out = mode === 'ours' ? runOurs(factory, n) : runFloor(objects, n);
  const ms = now() - started;
  const used = process.cpuUsage(cpu);
  const result: Result = {
    ms,
    cpuMs: (used.user + used.system) / 1000,
    buildMs: out.buildMs,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    objects: out.objects,
    yamlBytes: Buffer.byteLength(out.yaml),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

function measure(caseName: string, mode: string, n: number, timeoutSec: number): Result | 'timeout' | string {
  try {
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--child', caseName, mode, String(n)], {
      encoding: 'utf8',
      timeout: timeoutSec * 1000,
      killSignal: 'SIGKILL',
      maxBuffer: 1 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(out.trim().split('\n').pop()!);
  } catch (e: any) {
    if (e.signal === 'SIGKILL' || e.code === 'ETIMEDOUT') { return 'timeout'; }
    return String(e.stderr || e.message).split('\n').find((l: string) => /Error/.test(l)) ?? 'failed';
  }
}

/** The faster of two measurements (the machine is shared: the minimum is the least disturbed run). */
function best(a: Result | string, b: Result | string): Result | string {
  if (typeof a !== 'object') { return b; }
  if (typeof b !== 'object') { return a; }
  return b.ms < a.ms ? { ...b, cpuMs: Math.min(a.cpuMs, b.cpuMs) } : { ...a, cpuMs: Math.min(a.cpuMs, b.cpuMs) };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const counts = (arg('counts') ?? '1,10,100,1000').split(',').map(Number);
  const wanted = arg('cases')?.split(',');
  const timeoutSec = Number(arg('timeout') ?? 180);
  const repeat = Number(arg('repeat') ?? 3);
  const markdown = process.argv.includes('--markdown');
  const all = [...cases().keys()].filter((c) => !wanted || wanted.includes(c));

  const header = ['case', 'N', 'objects', 'YAML MiB', 'ours ms', 'ours ms/inst', 'floor ms', 'floor ms/inst', 'ratio', 'CPU ratio', 'build ours/floor ms', 'ours peak RSS MiB', 'floor peak RSS MiB'];
  const rows: string[][] = [];
  const print = (cells: string[]) => {
    const line = markdown ? `| ${cells.join(' | ')} |` : cells.map((c, i) => (i < 1 ? c.padEnd(17) : c.padStart(i === 3 ? 9 : 12))).join(' ');
    console.log(line);
  };
  console.log(`# node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; per-case timeout ${timeoutSec} s`);
  print(header);
  if (markdown) { print(header.map((_, i) => (i === 0 ? '---' : '---:'))); }
  const fmt = (v: number, d = 1) => v.toFixed(d);
  for (const caseName of all) {
    for (const n of counts) {
      let ours: Result | string = 'none';
      let floor: Result | string = 'none';
      for (let r = 0; r < repeat; r++) {
        ours = best(ours, measure(caseName, 'ours', n, timeoutSec));
        if (ours === 'timeout' || floor === 'timeout') { break; }
        floor = best(floor, measure(caseName, 'floor', n, timeoutSec));
      }
      const o = typeof ours === 'object' ? ours : undefined;
      const f = typeof floor === 'object' ? floor : undefined;
      const cells = [
        caseName, String(n),
        String(o?.objects ?? f?.objects ?? '-'),
        o ? fmt(o.yamlBytes / 2 ** 20, 2) : '-',
        o ? fmt(o.ms, 0) : `${ours}`.slice(0, 40), o ? fmt(o.ms / n, 2) : '-',
        f ? fmt(f.ms, 0) : `${floor}`.slice(0, 40), f ? fmt(f.ms / n, 2) : '-',
        o && f ? `${fmt(o.ms / f.ms, 2)}x` : '-',
        o && f ? `${fmt(o.cpuMs / f.cpuMs, 2)}x` : '-',
        o && f ? `${fmt(o.buildMs, 0)}/${fmt(f.buildMs, 0)}` : '-',
        o ? fmt(o.maxRssMiB, 0) : '-', f ? fmt(f.maxRssMiB, 0) : '-',
      ];
      if (o && f && Math.abs(o.yamlBytes - f.yamlBytes) > o.yamlBytes / 1000) {
        console.error(`warning: ${caseName} x${n}: floor YAML is ${f.yamlBytes} bytes, ours ${o.yamlBytes}`);
      }
      rows.push(cells);
      print(cells);
      if (ours === 'timeout' || floor === 'timeout') {
        console.log(`# ${caseName}: capped at ${n}: over ${timeoutSec} s`);
        break;
      }
    }
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4], Number(process.argv[5]));
} else {
  main();
}

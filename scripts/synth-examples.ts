/**
 * Synthesizes every example app with the cdk8s CLI, the way a user runs it:
 * `cdk8s synth` inside examples/<name>, which reads that folder's cdk8s.yaml
 * and writes examples/<name>/dist/*.k8s.yaml.
 *
 * Usage: npm run synth [-- [--deterministic] [--out=<dir>] <example> ...]
 *   --deterministic  synthesize each example twice and fail unless the YAML is byte-identical
 *   --out=<dir>      write examples/<name>/<dir> instead of dist, e.g. for the development placement:
 *                    CDK8S_STATEFUL_PLACEMENT=development npm run synth -- --out=dist-development
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync } from 'fs';
import { homedir } from 'os';
import { join, resolve } from 'path';

const root = resolve(__dirname, '..');
const examplesDir = join(root, 'examples');
const cli = join(root, 'node_modules', '.bin', 'cdk8s');
// Python examples run in the virtualenv that scripts/check-python.sh builds (the wheel and its
// runtime dependencies); without it they are skipped, visibly.
// One per clone, keyed by its path as scripts/check-python.sh keys it.
const pyVenv = `py-venv-check-${createHash('sha256').update(realpathSync(root)).digest('hex').slice(0, 12)}`;
const pyVenvBin = join(process.env.CDK8S_STATEFUL_CACHE ?? join(homedir(), '.cache', 'cdk8s-stateful'), pyVenv, 'bin');
const isPython = (dir: string) => /^language:\s*python\s*$/m.test(readFileSync(join(dir, 'cdk8s.yaml'), 'utf8'));

const args = process.argv.slice(2);
const deterministic = args.includes('--deterministic');
const out = args.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? 'dist';
if (!/^dist(-[a-z0-9]+)*$/.test(out)) {
  throw new Error(`--out=${out}: must be dist or dist-<suffix> (examples/*/dist*/ is what git ignores)`);
}
const unknown = args.filter((a) => a.startsWith('--') && a !== '--deterministic' && !a.startsWith('--out='));
if (unknown.length > 0) {
  throw new Error(`unknown option ${unknown.join(', ')}: valid are --deterministic and --out=<dir>`);
}
const wanted = args.filter((a) => !a.startsWith('--'));
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(examplesDir, d.name, 'cdk8s.yaml')))
  .map((d) => d.name)
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

if (examples.length === 0) {
  throw new Error(`no example matched ${wanted.join(', ') || '(any)'} under ${examplesDir}`);
}

/** Runs `cdk8s synth` in one example and returns its output files' contents by name. */
function synth(dir: string): Map<string, string> {
  rmSync(join(dir, out), { recursive: true, force: true });
  const env = isPython(dir) ? { ...process.env, PATH: `${pyVenvBin}:${process.env.PATH}` } : process.env;
  execFileSync(cli, ['synth', '--check-upgrade=false', `--output=${out}`], { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const files = readdirSync(join(dir, out)).filter((f) => f.endsWith('.k8s.yaml')).sort();
  return new Map(files.map((f) => [f, readFileSync(join(dir, out, f), 'utf8')]));
}

for (const name of examples) {
  const dir = join(examplesDir, name);
  if (isPython(dir) && !existsSync(join(pyVenvBin, 'python3'))) {
    console.log(`${name}: SKIPPED (a Python example: run scripts/check-python.sh first to build and install the wheel)`);
    continue;
  }
  const started = Date.now();
  const first = synth(dir);
  if (deterministic) {
    const second = synth(dir);
    const same = first.size === second.size && [...first].every(([f, yaml]) => second.get(f) === yaml);
    if (!same) {
      throw new Error(`examples/${name}: two synths of the same app gave different YAML`);
    }
  }
  console.log(`${name}: ${first.size} manifest file(s) in examples/${name}/${out} (${Date.now() - started} ms${deterministic ? ', synthesized twice: byte-identical' : ''})`);
}

/**
 * Synthesizes every example app with the cdk8s CLI, the way a user runs it:
 * `cdk8s synth` inside examples/<name>, which reads that folder's cdk8s.yaml
 * and writes examples/<name>/dist/*.k8s.yaml.
 *
 * Usage: npm run synth [-- <example> ...]
 */
import { execFileSync } from 'child_process';
import { existsSync, readdirSync, rmSync } from 'fs';
import { join, resolve } from 'path';

const root = resolve(__dirname, '..');
const examplesDir = join(root, 'examples');
const cli = join(root, 'node_modules', '.bin', 'cdk8s');

const wanted = process.argv.slice(2);
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(examplesDir, d.name, 'cdk8s.yaml')))
  .map((d) => d.name)
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

if (examples.length === 0) {
  throw new Error(`no example matched ${wanted.join(', ') || '(any)'} under ${examplesDir}`);
}

for (const name of examples) {
  const dir = join(examplesDir, name);
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  const started = Date.now();
  execFileSync(cli, ['synth', '--check-upgrade=false'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  const files = readdirSync(join(dir, 'dist')).filter((f) => f.endsWith('.k8s.yaml'));
  console.log(`${name}: ${files.length} manifest file(s) in examples/${name}/dist (${Date.now() - started} ms)`);
}

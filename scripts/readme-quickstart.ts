/**
 * Extracts a quickstart from README.md itself, so that CI runs what a new user reads, not a copy.
 *
 * A README code block belongs to a quickstart when its info string says so after the language:
 *
 *   ```ts quickstart:typescript file=main.ts       a file of the app, written as it is
 *   ```sh quickstart:typescript step=install       a shell step, run in the app folder
 *
 * GitHub shows only the language. In steps, `/path/to/` (the README's stand-in for "your clone")
 * becomes the repository root, so the packages built there are installed, never published ones:
 * the `install` step must name `/path/to/dist/`.
 *
 * Usage: ts-node scripts/readme-quickstart.ts <typescript|python> <app-dir> <steps-dir> [README.md]
 *   writes the files into <app-dir> and each step into <steps-dir>/<step>.sh
 */
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';

/** The stand-in for the user's clone in the README's commands. */
export const PLACEHOLDER = '/path/to/';

/** One quickstart: its files by name and its shell steps by name, in README order. */
export interface Quickstart {
  readonly files: Map<string, string>;
  readonly steps: Map<string, string>;
}

const OPEN = /^```(\S*)(.*)$/;

/** The quickstart `app` of a README's text; throws, naming the line, on anything malformed. */
export function extractQuickstart(readme: string, app: string, root: string): Quickstart {
  const files = new Map<string, string>();
  const steps = new Map<string, string>();
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]);
    if (!open) { continue; }
    const end = lines.findIndex((l, j) => j > i && l === '```');
    if (end < 0) { throw new Error(`README line ${i + 1}: the code block never closes`); }
    const body = lines.slice(i + 1, end).join('\n') + '\n';
    const words = open[2].trim().split(/\s+/).filter((w) => w !== '');
    const at = `README line ${i + 1}`;
    i = end;
    const marks = words.filter((w) => w.startsWith('quickstart:'));
    if (marks.length === 0) {
      if (words.length > 0) { throw new Error(`${at}: '${open[2].trim()}' after the language, but no quickstart:<app>`); }
      continue;
    }
    if (marks.length > 1 || marks[0] !== `quickstart:${app}`) { continue; }
    const attrs = new Map(words.filter((w) => w !== marks[0]).map((w) => {
      const [key, value, ...rest] = w.split('=');
      if (!['file', 'step'].includes(key) || !value || rest.length > 0) {
        throw new Error(`${at}: '${w}' is not file=<name> or step=<name>`);
      }
      return [key, value] as const;
    }));
    if (attrs.size !== 1) { throw new Error(`${at}: a quickstart block needs exactly one of file=<name> or step=<name>`); }
    const [[kind, name]] = [...attrs];
    const target = kind === 'file' ? files : steps;
    if (target.has(name)) { throw new Error(`${at}: a second ${kind} '${name}' in quickstart:${app}`); }
    if (kind === 'file' && (name.includes('/') || name.startsWith('.'))) { throw new Error(`${at}: '${name}' must be a plain file name`); }
    if (kind === 'step' && open[1] !== 'sh') { throw new Error(`${at}: step '${name}' must be a sh block, not '${open[1]}'`); }
    target.set(name, body);
  }
  if (files.size === 0 && steps.size === 0) { throw new Error(`README has no quickstart:${app} blocks`); }
  const install = steps.get('install');
  if (install === undefined) { throw new Error(`quickstart:${app} has no step=install`); }
  if (!install.includes(`${PLACEHOLDER}dist/`)) {
    throw new Error(`quickstart:${app}: the install step names no ${PLACEHOLDER}dist/ package, so it would not test the packages built in the clone`);
  }
  const clone = root.endsWith('/') ? root : `${root}/`;
  for (const [name, text] of steps) { steps.set(name, text.split(PLACEHOLDER).join(clone)); }
  return { files, steps };
}

if (require.main === module) {
  const [app, appDir, stepsDir, readmePath = join(__dirname, '..', 'README.md')] = process.argv.slice(2);
  if (!app || !appDir || !stepsDir) {
    process.stderr.write('usage: readme-quickstart.ts <typescript|python> <app-dir> <steps-dir> [README.md]\n');
    process.exit(2);
  }
  const quickstart = extractQuickstart(readFileSync(readmePath, 'utf8'), app, resolve(__dirname, '..'));
  mkdirSync(appDir, { recursive: true });
  mkdirSync(stepsDir, { recursive: true });
  for (const [name, text] of quickstart.files) { writeFileSync(join(appDir, name), text); }
  for (const [name, text] of quickstart.steps) { writeFileSync(join(stepsDir, `${name}.sh`), text); }
  console.log(`quickstart:${app} from ${readmePath}: files ${[...quickstart.files.keys()].join(', ')}; steps ${[...quickstart.steps.keys()].join(', ')}`);
}

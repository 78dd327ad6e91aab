import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import * as ts from 'typescript';
import { extractQuickstart } from '../../scripts/readme-quickstart';

const ROOT = resolve(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

const block = (info: string, body: string) => `\`\`\`${info}\n${body}\n\`\`\`\n`;
const install = block('sh quickstart:demo step=install', 'npm install /path/to/dist/js/cdk8s-stateful@0.0.0.jsii.tgz');

describe('the README quickstart', () => {
  test('TypeScript: install, cdk8s.yaml, tsconfig.json, main.ts, and the production and laptop synths', () => {
    // WHEN
    const quickstart = extractQuickstart(README, 'typescript', '/clone');
    // THEN
    expect([...quickstart.files.keys()]).toEqual(['cdk8s.yaml', 'tsconfig.json', 'main.ts']);
    expect([...quickstart.steps.keys()]).toEqual(['install', 'synth', 'synth-development']);
    expect(quickstart.steps.get('install')).toContain('npm install /clone/dist/js/cdk8s-stateful@');
    // ts-node cannot run TypeScript 7: the install command pins the compiler.
    expect(quickstart.steps.get('install')).toMatch(/ typescript@~5\.9\.\d+ /);
    expect(quickstart.steps.get('synth-development')).toMatch(/^CDK8S_STATEFUL_PLACEMENT=development npx cdk8s synth/);
    expect(quickstart.files.get('main.ts')).toContain("from 'cdk8s-stateful';");
    expect(JSON.parse(quickstart.files.get('tsconfig.json')!).compilerOptions.noUnusedLocals).toBe(true);
  });

  test('Python: install into a virtualenv, main.py, synth', () => {
    const quickstart = extractQuickstart(README, 'python', '/clone/');
    expect([...quickstart.files.keys()]).toEqual(['main.py']);
    expect([...quickstart.steps.keys()]).toEqual(['install', 'synth']);
    expect(quickstart.steps.get('install')).toContain('pip install /clone/dist/python/cdk8s_stateful-');
  });

  test('the TypeScript main.ts compiles as given, with the README\'s tsconfig.json, against the library', () => {
    // GIVEN the README's files in a folder of their own, the package name mapped to the sources
    const quickstart = extractQuickstart(README, 'typescript', ROOT);
    const dir = mkdtempSync(join(tmpdir(), 'quickstart-'));
    try {
      const main = join(dir, 'main.ts');
      writeFileSync(main, quickstart.files.get('main.ts')!);
      const { options, errors } = ts.convertCompilerOptionsFromJson(JSON.parse(quickstart.files.get('tsconfig.json')!).compilerOptions, dir);
      expect(errors).toEqual([]);
      // WHEN
      const program = ts.createProgram([main], {
        ...options,
        noEmit: true,
        // Outside the repository: the library is its sources, cdk8s and friends the clone's.
        paths: { 'cdk8s-stateful': [join(ROOT, 'src', 'index.ts')], '*': [join(ROOT, 'node_modules', '*')] },
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        types: ['node'],
      });
      // THEN (unused locals included: the README's tsconfig.json refuses them)
      const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === main);
      expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
      expect(program.getSourceFile(main)).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['an unknown attribute', block('ts quickstart:demo name=main.ts', 'x'), /README line 1: 'name=main.ts' is not file=<name> or step=<name>/],
    ['a block with both a file and a step', block('sh quickstart:demo file=a step=b', 'x'), /needs exactly one of file=<name> or step=<name>/],
    ['a step in another language', install + block('ts quickstart:demo step=synth', 'x'), /step 'synth' must be a sh block, not 'ts'/],
    ['a second main.ts', install + block('ts quickstart:demo file=main.ts', 'a') + block('ts quickstart:demo file=main.ts', 'b'), /a second file 'main.ts'/],
    ['a misspelt mark', block('ts quickstart-demo file=main.ts', 'x'), /'quickstart-demo file=main.ts' after the language, but no quickstart:<app>/],
    ['no install step', block('ts quickstart:demo file=main.ts', 'x'), /quickstart:demo has no step=install/],
    ['an install of a published package', block('sh quickstart:demo step=install', 'npm install cdk8s-stateful'), /names no \/path\/to\/dist\/ package/],
    ['no blocks at all', '# nothing\n', /README has no quickstart:demo blocks/],
    ['a block that never closes', '```ts quickstart:demo file=main.ts\nx\n', /README line 1: the code block never closes/],
  ])('%s is refused', (_what, readme, message) => {
    expect(() => extractQuickstart(readme, 'demo', '/clone')).toThrow(message);
  });

  test('blocks of other quickstarts and plain blocks are left alone; /path/to/ becomes the clone', () => {
    const readme = block('sh', 'echo plain') + install + block('ts quickstart:other file=main.ts', 'other') + block('ts quickstart:demo file=main.ts', 'mine');
    const quickstart = extractQuickstart(readme, 'demo', '/clone');
    expect([...quickstart.files]).toEqual([['main.ts', 'mine\n']]);
    expect(quickstart.steps.get('install')).toBe('npm install /clone/dist/js/cdk8s-stateful@0.0.0.jsii.tgz\n');
  });
});

/*
 * The one shellcheck check of the unit tests: every test that lints an embedded script goes
 * through `testShellcheck`, so a missing shellcheck is handled the same way everywhere. It fails
 * under CI (a lint that passes because its tool is absent proves nothing) and is skipped visibly
 * on a developer machine.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/** Script texts by file name (the name is what shellcheck's findings point at). */
export interface Scripts { [fileName: string]: string }

let installed: boolean | undefined;
const shellcheckInstalled = (): boolean => installed ??= spawnSync('shellcheck', ['--version']).status === 0;

/**
 * Registers one test that runs `shellcheck -s <shell>` on each script and fails with its findings.
 * `scripts` may be a function, so synthesizing them happens inside the test (an error there fails
 * the test instead of the whole file).
 */
export function testShellcheck(title: string, scripts: Scripts | (() => Scripts), shell: 'sh' | 'bash'): void {
  if (!shellcheckInstalled()) {
    if (process.env.CI) {
      test(title, () => {
        throw new Error('shellcheck is required in CI: apt-get install shellcheck');
      });
    } else {
      test.skip(`${title} (SKIPPED: shellcheck is not installed; apt-get install shellcheck)`, () => undefined);
    }
    return;
  }
  test(title, () => {
    const files = typeof scripts === 'function' ? scripts() : scripts;
    // Checking no script at all would pass silently.
    expect(Object.keys(files).length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'shellcheck-'));
    try {
      const findings = Object.entries(files).flatMap(([file, text]) => {
        const path = join(dir, file);
        writeFileSync(path, text);
        const result = spawnSync('shellcheck', ['-s', shell, path], { encoding: 'utf8' });
        const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
        return result.status === 0 && output === '' ? [] : [`${file} (exit ${result.status}):\n${output}`];
      });
      if (findings.length > 0) {
        throw new Error(`shellcheck -s ${shell} reported:\n${findings.join('\n')}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

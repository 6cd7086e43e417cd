/**
 * The build a scale run records (bench/support/build-label.ts): a checkout's short commit, marked
 * when tracked files were changed, and `unknown` outside a git checkout.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLabel, UNKNOWN_BUILD } from '../../bench/support/build-label';

let dir: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runway-build-label-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('names the commit, marks a change to a tracked file, and ignores untracked files', () => {
  git('init', '-q');
  writeFileSync(join(dir, 'a.txt'), 'one\n');
  git('add', 'a.txt');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', 'first');
  const commit = git('rev-parse', '--short', 'HEAD');

  writeFileSync(join(dir, 'scale.log'), 'scale-run-record {}\n');
  expect(buildLabel(dir)).toBe(commit);

  writeFileSync(join(dir, 'a.txt'), 'two\n');
  expect(buildLabel(dir)).toBe(`${commit}+changes`);
});

it('says unknown outside a git checkout', () => {
  expect(buildLabel(dir)).toBe(UNKNOWN_BUILD);
});

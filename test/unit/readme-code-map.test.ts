/**
 * The README's code map stays true to the tree: every path it names exists, and every folder of
 * src/ and workflows/ (and every workflow stage) is on it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const start = readme.indexOf('### Code map');
const end = readme.indexOf('\n### ', start + 1);
const codeMap = readme.slice(start, end);
/** Everything the map names in backticks that looks like a file or folder. */
const named = [...codeMap.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]!).filter((t) => /\.(ts|js|mjs)$|\/$/.test(t) || t.includes('/'));

it('has a code map', () => {
  expect(start).toBeGreaterThan(0);
  expect(named.length).toBeGreaterThan(30);
});

it('names only paths that exist', () => {
  const missing = named.filter((name) => {
    if (name.includes('/')) return !existsSync(path.join(root, name));
    // A bare file name stands in a row of its folder (activities/…), or at the top.
    return !['activities', 'workflows', 'src', '.'].some((dir) => existsSync(path.join(root, dir, name)));
  });
  expect(missing).toEqual([]);
});

it('names every folder of src/ and workflows/, and every stage module', () => {
  const folders = (dir: string) =>
    readdirSync(path.join(root, dir), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${dir}/${e.name}/`);
  const mentioned = (p: string) => codeMap.includes(`\`${p}`) || codeMap.includes(`\`${p.replace(/\/$/, '')}`);
  const expected = [...folders('src'), ...folders('workflows'), ...readdirSync(path.join(root, 'workflows/stages')).map((f) => `workflows/stages/${f}`)];
  expect(expected.filter((p) => !mentioned(p))).toEqual([]);
});

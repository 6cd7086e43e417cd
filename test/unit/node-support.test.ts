/**
 * The Node versions Runway promises agree everywhere: package.json's `engines` admits the current
 * LTS lines (22 from 22.12, 24) and 20 from 20.19 (require(esm) unflagged), the Node this test runs
 * on, the image's base (Dockerfile) and the Node 24 that .ci/run installs and runs the whole
 * suite on; the README's quick start says the same.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;

type Version = [number, number, number];
const version = (v: string): Version => {
  const [major = 0, minor = 0, patch = 0] = v.replace(/^v/, '').split('.').map(Number);
  return [major, minor, patch];
};
const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** npm's range forms package.json uses here: `^x.y.z`, `>=x[.y.z]`, joined by `||`. */
function admits(range: string, v: string): boolean {
  return range.split('||').some((part) => {
    const m = /^\s*(\^|>=)(\d+(?:\.\d+){0,2})\s*$/.exec(part);
    if (!m) throw new Error(`engines form not understood here: "${part.trim()}"`);
    const low = version(m[2]);
    const ok = compare(version(v), low) >= 0;
    return m[1] === '>=' ? ok : ok && version(v)[0] === low[0];
  });
}

describe('supported Node versions', () => {
  it('engines admits 20.19+, 22.12+ and 24+, and nothing older or odd', () => {
    for (const v of ['20.19.0', '20.20.2', '22.12.0', '22.23.5', '24.0.0', '24.22.3', '26.1.0']) expect({ v, ok: admits(engines, v) }).toEqual({ v, ok: true });
    for (const v of ['18.20.0', '20.18.3', '21.7.0', '22.11.0', '23.11.0']) expect({ v, ok: admits(engines, v) }).toEqual({ v, ok: false });
  });

  it('admits the Node running this test, the image base and the Node 24 CI runs the suite on', () => {
    expect(admits(engines, process.version)).toBe(true);
    const base = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(read('Dockerfile'));
    expect(base?.[1]).toBe('24');
    const ci = read('.ci/run');
    const node24 = /^NODE_24_VERSION=(\d+\.\d+\.\d+)$/m.exec(ci)?.[1];
    expect(node24).toMatch(/^24\./);
    expect(admits(engines, node24!)).toBe(true);
    // Both passes: the machine's Node, then Node 24 first on PATH.
    expect(ci).toContain('NODE_24_BIN="$(bash scripts/ensure-node.sh "${NODE_24_VERSION}")"');
    expect(ci).toMatch(/\nnpm test\n[\s\S]*\nPATH="\$\{NODE_24_BIN\}:\$\{PATH\}" npm test\n/);
  });

  it("the README's quick start names the LTS lines", () => {
    const quickStart = read('README.md').split('## Quick start')[1]!.split('\n## ')[0]!;
    expect(quickStart).toContain('Node 22 or 24');
    expect(quickStart).toContain('Node 20.19+');
  });
});

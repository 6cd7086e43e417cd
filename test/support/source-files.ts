/** The production TypeScript files a test reads to find the API calls Runway makes (not the sandbox: it is the emulator, not a client). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
const CLIENT_FOLDERS = ['activities', 'src', 'workers'];
const NOT_CLIENT_CODE = [join('src', 'sandbox')];

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (NOT_CLIENT_CODE.some((skip) => relative(REPO_ROOT, path) === skip)) continue;
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Every client-code file as `{ file (relative to the repository), text }`. */
export function clientSourceFiles(): { file: string; text: string }[] {
  return CLIENT_FOLDERS.flatMap((folder) => filesUnder(join(REPO_ROOT, folder))).map((path) => ({ file: relative(REPO_ROOT, path), text: readFileSync(path, 'utf8') }));
}

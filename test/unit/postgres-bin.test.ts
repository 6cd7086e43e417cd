/**
 * Finding PostgreSQL's server programs for `npm run chaos -- --temporal postgres`: POSTGRES_BIN_DIR,
 * then PATH, then the newest versioned directory Debian installs off PATH; and when there is
 * none, an error that says how to install it (the script never installs anything itself).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findPostgresBinDir, PostgresNotFoundError } from '../../src/temporal/postgres';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'runway-pg-bin-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function binDir(...parts: string[]): string {
  const dir = path.join(root, ...parts);
  mkdirSync(dir, { recursive: true });
  for (const tool of ['initdb', 'pg_ctl']) {
    writeFileSync(path.join(dir, tool), '#!/bin/sh\n');
    chmodSync(path.join(dir, tool), 0o755);
  }
  return dir;
}

it('takes POSTGRES_BIN_DIR, and refuses one without initdb and pg_ctl', async () => {
  const dir = binDir('custom');
  await expect(findPostgresBinDir({ POSTGRES_BIN_DIR: dir, PATH: '' }, [])).resolves.toBe(dir);
  await expect(findPostgresBinDir({ POSTGRES_BIN_DIR: root, PATH: '' }, [])).rejects.toThrow(/POSTGRES_BIN_DIR is set to .* initdb and pg_ctl are not both there/);
});

it('finds pg_ctl on PATH, else the newest /usr/lib/postgresql/<major>/bin', async () => {
  const onPath = binDir('path');
  await expect(findPostgresBinDir({ PATH: onPath }, [])).resolves.toBe(onPath);
  binDir('lib', '9', 'bin');
  const newest = binDir('lib', '15', 'bin');
  await expect(findPostgresBinDir({ PATH: '' }, [path.join(root, 'lib')])).resolves.toBe(newest);
});

it('says how to install PostgreSQL when there is none', async () => {
  const err = await findPostgresBinDir({ PATH: '' }, [path.join(root, 'nothing')]).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PostgresNotFoundError);
  expect((err as Error).message).toMatch(/apt-get install postgresql/);
  expect((err as Error).message).toContain('POSTGRES_BIN_DIR');
});

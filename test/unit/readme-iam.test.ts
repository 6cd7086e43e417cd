/**
 * The README's least-privilege policy names every ECS action the worker's activities call: an
 * activity that starts calling a new ECS API without the README saying so would fail for every
 * team that copied the policy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '../..');

function ecsActionsCalled(): Set<string> {
  const actions = new Set<string>();
  for (const file of readdirSync(path.join(root, 'activities')).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(path.join(root, 'activities', file), 'utf8');
    for (const [, names] of source.matchAll(/import\s*{([^}]*)}\s*from\s*'@aws-sdk\/client-ecs'/g)) {
      for (const [, command] of names!.matchAll(/\b(\w+)Command\b/g)) actions.add(`ecs:${command}`);
    }
  }
  return actions;
}

function permissionsSection(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('### AWS permissions');
  const end = readme.indexOf('\n### ', start + 1);
  return readme.slice(start, end);
}

it('lists every ECS action the activities call, in the prose and in the policy', () => {
  const called = [...ecsActionsCalled()];
  const section = permissionsSection();
  const policy = section.slice(section.indexOf('```json'), section.indexOf('```', section.indexOf('```json') + 7));
  // The service-deployment activities are among them: the check would not pass vacuously.
  expect(called).toEqual(expect.arrayContaining(['ecs:UpdateService', 'ecs:ContinueServiceDeployment', 'ecs:StopServiceDeployment']));
  expect(called.filter((action) => !section.replace(policy, '').includes(`\`${action}\``))).toEqual([]);
  expect(called.filter((action) => !policy.includes(`"${action}"`))).toEqual([]);
});

/** Release ids, versions and service names: the validation the CLI does before starting anything. */

export const SERVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** A git commit SHA, abbreviated (7+) or full (40), lower-case hex. */
export const VERSION_PATTERN = /^[0-9a-f]{7,40}$/;

/** Release id = workflow id, so starting the same release twice finds the running one. */
export function releaseId(service: string, version: string): string {
  return `release-${service}-${version}`;
}

/** The service of a release id (versions are hex without "-", so it is everything before the last "-"), or undefined. */
export function serviceOfReleaseId(id: string): string | undefined {
  const m = /^release-([a-z0-9][a-z0-9-]*)-[0-9a-f]{7,40}$/.exec(id);
  return m?.[1];
}

export function defaultImage(imageRepository: string, version: string): string {
  return `${imageRepository}:${version}`;
}

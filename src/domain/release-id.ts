/** Release ids, versions and service names: the validation the CLI does before starting anything. */

export const SERVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** A git commit SHA, abbreviated (7+) or full (40), lower-case hex. */
export const VERSION_PATTERN = /^[0-9a-f]{7,40}$/;

/** Release id = workflow id, so starting the same release twice finds the running one. */
export function releaseId(service: string, version: string): string {
  return `release-${service}-${version}`;
}

export function defaultImage(imageRepository: string, version: string): string {
  return `${imageRepository}:${version}`;
}

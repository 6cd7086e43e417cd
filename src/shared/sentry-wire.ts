/** Sentry's API shapes both ends share: Runway's Sentry client and the sandbox's emulator of it. */

/** A deploy as Sentry's `releases/{version}/deploys/` answers it. */
export interface SentryDeploy {
  id: string;
  environment: string;
  name: string | null;
  url: string | null;
  dateStarted: string | null;
  dateFinished: string;
}

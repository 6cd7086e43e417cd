/** Helpers for running activities in isolation (MockActivityEnvironment). */
import { ApplicationFailure } from '@temporalio/common';

/** A logger that drops everything: failures are the point of many activity tests. */
export const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** The ApplicationFailure a promise rejects with; fails the test if it resolves or throws something else. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

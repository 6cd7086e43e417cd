/**
 * A valid signature proves a request came from Slack, not that it came only once: anyone who saw
 * one request could send it again within the five-minute window. Remembering each accepted
 * (timestamp, signature) pair until its timestamp leaves the window closes that gap; after that
 * the signature check itself refuses the request as stale. Both use one window
 * (`signatureExpiresAtMs`), and the memory refuses on its own what it can no longer vouch for: a
 * request whose window has closed may have been seen and forgotten, so it is never "first seen".
 */
import { SIGNATURE_WINDOW_MS, signatureExpiresAtMs } from './verify-request';

export class ReplayGuard {
  /** key → time (ms) after which the signature check refuses the request anyway. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs = SIGNATURE_WINDOW_MS) {}

  /**
   * True the first time this signed request is seen within its window; false for a replay, and
   * for a request past its window (which the memory may already have forgotten).
   */
  firstSeen(timestampSec: number, signature: string, nowMs: number): boolean {
    this.forgetExpired(nowMs);
    const expiresAt = signatureExpiresAtMs(timestampSec, this.windowMs);
    if (nowMs > expiresAt) return false;
    const key = `${timestampSec}:${signature}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, expiresAt);
    return true;
  }

  /**
   * For deliveries that carry no signed timestamp (Socket Mode envelopes, clicks): true the first
   * time `key` is seen, remembered for the window from that first arrival.
   */
  firstArrival(key: string, nowMs: number): boolean {
    this.forgetExpired(nowMs);
    if (this.seen.has(key)) return false;
    this.seen.set(key, nowMs + this.windowMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private forgetExpired(nowMs: number): void {
    for (const [key, expiresAt] of this.seen) if (expiresAt < nowMs) this.seen.delete(key);
  }
}

/**
 * A circuit breaker for a remote dependency: closed (requests flow) until `failureThreshold`
 * consecutive failures, then open (no request) for `coolDownMs`, then half-open: one probe request;
 * its success closes the circuit, its failure opens it for another cool-down. Pure: the clock is an
 * argument, and the state can be saved and restored between Lambda invocations.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 5 */
  failureThreshold?: number;
  /** Time the circuit stays open before a probe. @default 60_000 (one poller run) */
  coolDownMs?: number;
}

export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  openedAtMs: number;
}

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  private s: CircuitSnapshot;
  private probeInFlight = false;

  constructor(o: CircuitBreakerOptions = {}, restored?: CircuitSnapshot) {
    this.failureThreshold = o.failureThreshold ?? 5;
    this.coolDownMs = o.coolDownMs ?? 60_000;
    if (!(Number.isInteger(this.failureThreshold) && this.failureThreshold >= 1)) {
      throw new RangeError(`failureThreshold ${this.failureThreshold} must be a whole number >= 1.`);
    }
    // A probe that was in flight when its process died is not remembered: the next may probe again.
    this.s = restored ? { ...restored } : { state: 'closed', consecutiveFailures: 0, openedAtMs: 0 };
  }

  /** The state at `nowMs` (open turns half-open once the cool-down has passed). */
  state(nowMs: number): CircuitState {
    if (this.s.state === 'open' && nowMs - this.s.openedAtMs >= this.coolDownMs) {
      this.s.state = 'half-open';
      this.probeInFlight = false;
    }
    return this.s.state;
  }

  /** True if a request may be sent now; in half-open, only the one probe. */
  tryAcquire(nowMs: number): boolean {
    const state = this.state(nowMs);
    if (state === 'closed') return true;
    if (state === 'open' || this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  /** When the circuit will allow a probe (0 if it is not open). */
  retryAtMs(): number {
    return this.s.state === 'open' ? this.s.openedAtMs + this.coolDownMs : 0;
  }

  onSuccess(): void {
    this.s = { state: 'closed', consecutiveFailures: 0, openedAtMs: 0 };
    this.probeInFlight = false;
  }

  onFailure(nowMs: number): void {
    this.s.consecutiveFailures++;
    const wasProbe = this.s.state === 'half-open';
    if (wasProbe || this.s.consecutiveFailures >= this.failureThreshold) {
      this.s.state = 'open';
      this.s.openedAtMs = nowMs;
    }
    this.probeInFlight = false;
  }

  snapshot(): CircuitSnapshot {
    return { ...this.s };
  }
}

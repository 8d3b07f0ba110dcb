/** The pure rate-limit pieces: circuit breaker, weight budget, Retry-After gate (properties with fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../core/rate-limit/circuit-breaker.ts';
import { RetryAfterGate } from '../../core/rate-limit/retry-after-gate.ts';
import { WeightBudget } from '../../core/rate-limit/weight-budget.ts';

describe('circuit breaker', () => {
  it('opens after N consecutive failures, refuses during the cool-down, then lets exactly one probe through', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 100_000 }), (n, coolDownMs) => {
        const b = new CircuitBreaker({ failureThreshold: n, coolDownMs });
        for (let i = 0; i < n - 1; i++) b.onFailure(0);
        expect(b.tryAcquire(0)).toBe(true);
        b.onFailure(1);
        expect(b.state(1)).toBe('open');
        expect(b.tryAcquire(coolDownMs)).toBe(false);
        expect(b.tryAcquire(1 + coolDownMs)).toBe(true);
        expect(b.state(1 + coolDownMs)).toBe('half-open');
        expect(b.tryAcquire(1 + coolDownMs)).toBe(false);
        b.onFailure(2 + coolDownMs);
        expect(b.state(2 + coolDownMs)).toBe('open');
        expect(b.tryAcquire(2 + 2 * coolDownMs)).toBe(true);
        b.onSuccess();
        expect(b.state(3 + 2 * coolDownMs)).toBe('closed');
      }),
    );
  });

  it('a success resets the count, and the state survives a snapshot (a new Lambda container)', () => {
    const b = new CircuitBreaker({ failureThreshold: 3 });
    b.onFailure(0);
    b.onFailure(0);
    b.onSuccess();
    b.onFailure(0);
    b.onFailure(0);
    expect(b.state(0)).toBe('closed');
    b.onFailure(5);
    const restored = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 60_000 }, b.snapshot());
    expect(restored.tryAcquire(59_000)).toBe(false);
    expect(restored.tryAcquire(60_005)).toBe(true);
  });
});

describe('weight budget', () => {
  it('never spends past its own share, nor past the limit the IP is known to have left', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.array(
          fc.record({ weight: fc.integer({ min: 1, max: 250 }), other: fc.integer({ min: 0, max: 300 }) }),
        ),
        (share, requests) => {
          const budget = new WeightBudget({ share });
          let ipUsed = 0;
          let mine = 0;
          for (const r of requests) {
            ipUsed += r.other; // the re-anchor's weight on the same IP, seen only through the header
            const known = budget.used(1000);
            if (!budget.canSpend(r.weight, 1000)) continue;
            expect(known + r.weight).toBeLessThanOrEqual(6000);
            ipUsed += r.weight;
            mine += r.weight;
            budget.record(r.weight, ipUsed, 1000);
            expect(mine).toBeLessThanOrEqual(budget.allowance);
          }
        },
      ),
    );
  });

  it("is not starved by the other callers' use while the IP has weight left", () => {
    const budget = new WeightBudget({ share: 0.5 });
    budget.record(4, 4500, 1000); // re-anchors used 4,496 of the minute
    expect(budget.canSpend(4, 1000)).toBe(true);
    budget.record(4, 5996, 1000);
    expect(budget.canSpend(5, 1000)).toBe(false);
  });

  it('starts a new window each calendar minute, as Binance counts', () => {
    const budget = new WeightBudget({ share: 0.01 });
    budget.record(58, 58, 60_000);
    expect(budget.canSpend(4, 119_999)).toBe(false);
    expect(budget.canSpend(4, 120_000)).toBe(true);
    expect(budget.msUntilReset(119_000)).toBe(1000);
    expect(() => new WeightBudget({ share: 0 })).toThrow(/share 0/);
  });
});

describe('Retry-After gate', () => {
  it('blocks until the latest Retry-After has passed', () => {
    const gate = new RetryAfterGate();
    gate.onRateLimited(429, 2000, 1000);
    gate.onRateLimited(429, 500, 1500);
    expect(gate.waitMs(1500)).toBe(1500);
    expect(gate.waitMs(3000)).toBe(0);
    gate.onRateLimited(418, 120_000, 3000);
    expect(new RetryAfterGate(gate.snapshot()).waitMs(63_000)).toBe(60_000);
  });
});

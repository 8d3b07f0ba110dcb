import { describe, expect, it } from 'vitest';
import { FaultSpecError } from '../../local/venue/errors.ts';
import { FaultInjector } from '../../local/venue/fault-injector.ts';
import { parseFaultSpec } from '../../local/venue/fault-spec.ts';

describe('fault spec grammar', () => {
  it('parses the documented example into typed rules', () => {
    const rules = parseFaultSpec(
      'drop-diff:every=500,dup-diff:p=0.01,reorder-diff:every=700,corrupt:every=1000,truncate:every=1500,' +
        'disconnect:at=20s,stall:at=30s:for=3s,shutdown:at=40s,rest-429:p=0.05,rest-5xx:p=0.02,rest-slow:p=0.05:ms=800',
    );
    expect(rules.map((r) => r.kind)).toEqual([
      'drop',
      'dup',
      'reorder',
      'corrupt',
      'truncate',
      'disconnect',
      'stall',
      'shutdown',
      'rest-429',
      'rest-5xx',
      'rest-slow',
    ]);
    expect(rules[0]).toMatchObject({ family: 'frame', stream: 'depth', trigger: { every: 500 }, count: 1 });
    expect(rules[3]).toMatchObject({ stream: 'any', trigger: { every: 1000 } });
    expect(rules[6]).toMatchObject({ family: 'timed', atUs: 30e6, forUs: 3e6 });
    expect(rules[7]).toMatchObject({ forUs: 2e6 });
    expect(rules[10]).toMatchObject({ family: 'rest', trigger: { p: 0.05 }, delayMs: 800 });
  });

  it('accepts stream, count, path and status options', () => {
    const [drop, corrupt, rest] = parseFaultSpec(
      'drop:stream=trade:at=500ms:count=3, corrupt:stream=bestBidAsk:p=1, rest-5xx:every=2:path=/api/v3/depth:status=502',
    );
    expect(drop).toMatchObject({ kind: 'drop', stream: 'trade', trigger: { atUs: 500_000 }, count: 3 });
    expect(corrupt).toMatchObject({ stream: 'bestBidAsk', trigger: { p: 1 } });
    expect(rest).toMatchObject({ path: '/api/v3/depth', status: 502, trigger: { every: 2 } });
    expect(parseFaultSpec('')).toEqual([]);
    expect(parseFaultSpec(undefined)).toEqual([]);
  });

  it.each([
    ['drop-dif:every=5', 'drop-dif:every=5', /unknown fault kind 'drop-dif'/],
    ['drop-diff:every=0', 'drop-diff:every=0', /every=0 is not a whole number/],
    ['drop-diff:every=5:p=0.1', 'drop-diff:every=5:p=0.1', /exactly one trigger/],
    ['dup-diff:p=1.5', 'dup-diff:p=1.5', /not a probability/],
    ['stall:at=30s', 'stall:at=30s', /stall needs for=DURATION/],
    ['disconnect:at=20', 'disconnect:at=20', /not a duration/],
    ['corrupt:every=3:stream=book', 'corrupt:every=3:stream=book', /stream=book is not one of/],
    ['drop-diff:every=5,,dup-diff:p=1', '', /empty item/],
    ['rest-5xx:p=0.1:status=404', 'rest-5xx:p=0.1:status=404', /status=404/],
    ['rest-slow:p=0.1', 'rest-slow:p=0.1', /needs ms=N/],
    ['dup-diff:every=2:count=3', 'dup-diff:every=2:count=3', /unknown parameter 'count'/],
  ])('rejects %s naming the bad token', (spec, token, message) => {
    let error: unknown;
    try {
      parseFaultSpec(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FaultSpecError);
    expect((error as FaultSpecError).name).toBe('FaultSpecError');
    expect((error as FaultSpecError).token).toBe(token);
    expect((error as Error).message).toMatch(message);
  });

  it('injects the same faults on the same frames for the same seed', () => {
    const rules = parseFaultSpec('drop-diff:p=0.05,dup-diff:p=0.05,corrupt:p=0.02,rest-5xx:p=0.3');
    const run = (seed: number) => {
      const injector = new FaultInjector(rules, seed, () => 0);
      for (let i = 0; i < 2000; i++) {
        injector.onFrame(
          {
            bytes: new Uint8Array(64),
            info: {
              kind: 'depth',
              streamName: 'btcusdt@depth',
              eventTimeUs: i,
              firstUpdateId: i,
              lastUpdateId: i,
            },
          },
          i,
        );
        injector.onRest('/api/v3/depth', i);
      }
      return injector.injected.map((f) => `${f.kind}:${f.firstUpdateId ?? f.path}`);
    };
    const a = run(7);
    expect(a.length).toBeGreaterThan(100);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
  });
});

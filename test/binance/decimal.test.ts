import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecimalFormatError, formatDecimal, parseDecimalMantissa } from '../../core/binance/decimal.ts';

describe('Binance decimals', () => {
  it('read exactly where parseFloat would round', () => {
    expect(parseDecimalMantissa('69769.88000000', -8)).toBe(6976988000000);
    expect(parseDecimalMantissa('0.00000001', -8)).toBe(1);
    expect(parseDecimalMantissa('58123.1', -8)).toBe(5812310000000);
    expect(parseDecimalMantissa('-0.5', -2)).toBe(-50);
    expect(parseDecimalMantissa('7', 0)).toBe(7);
    // 0.1 + 0.2 style: the float path gives 30000000.000000004
    expect(parseDecimalMantissa('0.30000000', -8)).toBe(30000000);
  });

  it('print as Binance does and read back the same mantissa', () => {
    expect(formatDecimal(6976988000000, -8)).toBe('69769.88000000');
    expect(formatDecimal(1, -8)).toBe('0.00000001');
    expect(formatDecimal(-50, -2)).toBe('-0.50');
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.integer({ min: -12, max: 0 }), (mantissa, exponent) => {
        expect(parseDecimalMantissa(formatDecimal(mantissa, exponent), exponent)).toBe(mantissa);
      }),
    );
  });

  it('refuse text that is not a decimal, or that needs more places than the exponent', () => {
    for (const bad of ['', 'abc', '1e5', '1.2.3', ' 1', 'NaN']) {
      expect(() => parseDecimalMantissa(bad, -8)).toThrow(DecimalFormatError);
    }
    expect(() => parseDecimalMantissa('0.000000001', -8)).toThrow(/more than 8/);
    expect(parseDecimalMantissa('0.100000000', -8)).toBe(10000000);
    expect(() => parseDecimalMantissa('99999999999.00000000', -8)).toThrow(/2\^53/);
  });
});

describe('parseDecimalMantissa fast path', () => {
  it('agrees with the exact reading on every shape, refusing what it refuses', () => {
    const exact = (t: string) => {
      const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(t);
      if (!m || /[^0]/.test((m[3] ?? '').slice(8))) return 'error';
      const v = Number(`${m[2]}${(m[3] ?? '').slice(0, 8).padEnd(8, '0')}`);
      if (!Number.isSafeInteger(v)) return 'error';
      return m[1] === '-' && v !== 0 ? -v : v;
    };
    const read = (t: string) => {
      try {
        return parseDecimalMantissa(t, -8);
      } catch {
        return 'error';
      }
    };
    for (const t of ['123.', '.5', '.', '', '1.123456789', '61737.63000000', '00012.5', '-1.5', '1e5'])
      expect(read(t), t).toEqual(exact(t));
    fc.assert(
      fc.property(fc.stringMatching(/^-?[0-9]{0,9}\.?[0-9]{0,10}$/), (t) => {
        expect(read(t)).toEqual(exact(t));
      }),
      { numRuns: 2000 },
    );
  });
});

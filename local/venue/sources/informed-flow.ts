/**
 * The synthetic market's informed flow: a latent value that the public price learns gradually, so the
 * book and the trade tape carry a weak, real signal about the next 10 s, and the venue knows the exact
 * conditional expectation of that return (the oracle: the limit any forecaster can reach here).
 *
 * State, in natural-log price units, updated once per 20 ms window (at the window's re-centring):
 *   f  the public fair price (log): where makers centre the top of the book, so the mid sits on it;
 *   g  the gap between the latent value v = f + g and f: what informed traders know and makers don't yet.
 * One step:
 *   f ← f + κ·g + ε          ε ~ N(0, σε²): public news, priced at once (a pure random walk)
 *   g ← (1 − κ)·g + η        η = N(0, σd²) + a jump N(0, σJ²) with probability p: the latent value's
 *                            diffusion and jumps, revealed at rate κ (half-life `revelationHalfLifeS`)
 * κ·g is the public price's drift toward the value. How it is revealed (the channels a forecaster can
 * see; their precision is fixed, independent of `strength`):
 * - informed takers: each taker buys with probability 0.5 + takerLean·tanh(g / σg), and trades larger
 *   on the value's side: its size is multiplied by exp(±takerSizeLean·tanh(g / σg)), divided by that
 *   factor's mean so the average order size (so the trade rate and volume) does not move;
 * - makers skew their quotes: the size they add on the value's side (bids when g > 0) within the top
 *   10 levels is multiplied by exp(quoteSkew·|tanh(g / σg)|), at the re-centred top and below it.
 * σg is the gap's stationary std, so the channels have the same precision at any strength.
 *
 * The oracle, over n whole windows (the mid a label reads at t + h is the one after the last window
 * ending at or before t + h): E[f(t + h) − f(t) | f, g] = g·(1 − (1 − κ)^n), exact (a linear AR(1)).
 * The mid sits within a few ticks of the fair price (a tick is 0.0016 bp at 61,800), so
 * E[ln mid(t + h) − ln mid(t)] = g·(1 − (1 − κ)^n) + (f(t) − ln mid(t)), neglecting the expected
 * sub-0.01 bp deviation of the mid from the fair price at t + h.
 *
 * Calibration (`strength`): the share of the 10 s return variance the oracle explains, its R². Given
 * it, the half-life and the 10 s return std, `informedFlowVariances` solves the per-window variances
 * exactly (AR(1) sums), so the 10 s return std stays what the market is calibrated on.
 * docs/adr/0080-informed-flow.md says how the default was chosen.
 */

export interface InformedFlowParams {
  /**
   * The oracle's R² at 10 s: the share of the 10 s mid-return variance explained by the latent
   * state. The oracle's RMSE ratio to the random walk is √(1 − strength). @default 0.14
   */
  strength?: number;
  /** Half-life of the gap between latent value and public price, seconds. @default 10 */
  revelationHalfLifeS?: number;
  /** Latent-value jumps per minute (Poisson). @default 1 */
  jumpsPerMinute?: number;
  /** Share of the latent value's variance that arrives in jumps. @default 0.3 */
  jumpShare?: number;
  /** Informed takers buy with probability 0.5 + takerLean·tanh(g / σg). @default 0.4 */
  takerLean?: number;
  /** Informed takers' order sizes are multiplied by exp(±takerSizeLean·tanh(g / σg)), + on the value's side. @default 1.5 */
  takerSizeLean?: number;
  /** Makers' added sizes on the value's side (top 10 levels) are multiplied by exp(quoteSkew·|tanh(g / σg)|). @default 2 */
  quoteSkew?: number;
}

export const DEFAULT_INFORMED_FLOW: Required<InformedFlowParams> = {
  strength: 0.14,
  revelationHalfLifeS: 10,
  jumpsPerMinute: 1,
  jumpShare: 0.3,
  takerLean: 0.4,
  takerSizeLean: 1.5,
  quoteSkew: 2,
};

/** The oracle's horizon the strength is defined at (the label's horizon). */
export const STRENGTH_HORIZON_US = 10_000_000;

export class InformedFlowParamsError extends Error {
  override readonly name = 'InformedFlowParamsError';
}

export interface InformedFlowVariances {
  /** κ: share of the gap revealed per window. */
  kappa: number;
  /** Per-window variance of the public news ε (log units²). */
  publicVar: number;
  /** Per-window variance of the latent innovation η (diffusion + jumps). */
  latentVar: number;
  /** Stationary std of the gap g. */
  gapStd: number;
  /** The oracle's R² at 10 s (= strength). */
  oracleR2: number;
}

/**
 * Solves the per-window variances for a strength, a half-life and a 10 s return variance (log²):
 * with φ = 1 − κ and n windows in 10 s, per unit latent variance s² = 1,
 *   Var(oracle) = (1 − φⁿ)² / (1 − φ²)
 *   Var(Σ κ·g over the n steps) = κ² / (1 − φ²) · (n + 2 Σ_{j=1}^{n−1} (n − j) φ^j)
 * and the 10 s return variance is n·σε² + s²·that. Throws when the strength asks for more than the
 * latent part can give at this half-life (σε² < 0).
 */
export function informedFlowVariances(
  p: Required<InformedFlowParams>,
  returnVar10s: number,
  windowUs: number,
): InformedFlowVariances {
  const n = Math.round(STRENGTH_HORIZON_US / windowUs);
  const phi = 0.5 ** (windowUs / (p.revelationHalfLifeS * 1e6));
  const kappa = 1 - phi;
  const stationary = 1 / (1 - phi * phi);
  const oracleUnit = (1 - phi ** n) ** 2 * stationary;
  let acf = n;
  for (let j = 1; j < n; j++) acf += 2 * (n - j) * phi ** j;
  const returnUnit = kappa * kappa * stationary * acf;
  const latentVar = (p.strength * returnVar10s) / oracleUnit;
  const publicVar = (returnVar10s - latentVar * returnUnit) / n;
  if (publicVar < 0) {
    const max = oracleUnit / returnUnit;
    throw new InformedFlowParamsError(
      `strength ${p.strength} is above the ${max.toFixed(3)} a ${p.revelationHalfLifeS} s half-life allows.`,
    );
  }
  return { kappa, publicVar, latentVar, gapStd: Math.sqrt(latentVar * stationary), oracleR2: p.strength };
}

/** Checks and completes the parameters. */
export function resolveInformedFlow(p: InformedFlowParams): Required<InformedFlowParams> {
  const r = { ...DEFAULT_INFORMED_FLOW, ...p };
  const bad = (name: string, v: number, range: string) =>
    new InformedFlowParamsError(`informed flow ${name} ${v} is outside ${range}.`);
  if (!(r.strength > 0 && r.strength < 1)) throw bad('strength', r.strength, '(0, 1)');
  if (!(r.revelationHalfLifeS > 0 && Number.isFinite(r.revelationHalfLifeS)))
    throw bad('revelationHalfLifeS', r.revelationHalfLifeS, '(0, ∞)');
  if (!(r.jumpsPerMinute >= 0 && Number.isFinite(r.jumpsPerMinute)))
    throw bad('jumpsPerMinute', r.jumpsPerMinute, '[0, ∞)');
  if (!(r.jumpShare >= 0 && r.jumpShare < 1)) throw bad('jumpShare', r.jumpShare, '[0, 1)');
  if (r.jumpsPerMinute === 0 && r.jumpShare > 0) throw bad('jumpShare', r.jumpShare, '[0, 0] without jumps');
  if (!(r.takerLean >= 0 && r.takerLean <= 0.45)) throw bad('takerLean', r.takerLean, '[0, 0.45]');
  if (!(r.takerSizeLean >= 0 && r.takerSizeLean <= 5)) throw bad('takerSizeLean', r.takerSizeLean, '[0, 5]');
  if (!(r.quoteSkew >= 0 && r.quoteSkew <= 5)) throw bad('quoteSkew', r.quoteSkew, '[0, 5]');
  return r;
}

/**
 * The command-line form: `off` (a pure random walk), `on`/`default`, or a strength in (0, 1) with the
 * other parameters at their defaults.
 */
export function parseInformedFlow(text: string): InformedFlowParams | false {
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === 'false' || t === '0') return false;
  if (t === 'on' || t === 'default') return {};
  const strength = Number(t);
  if (t === '' || !Number.isFinite(strength)) {
    throw new InformedFlowParamsError(`informed flow '${text}' is neither off, on nor a strength in (0, 1).`);
  }
  resolveInformedFlow({ strength });
  return { strength };
}

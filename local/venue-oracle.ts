/**
 * OracleSource over the local venue's truth API (`GET /_venue/truth/oracle`): the synthetic market's
 * conditional expectation of the 10 s mid return at a tick. A venue without one (a replay) answers 404,
 * after which this source stops asking. A local-run adapter only: AWS has no oracle.
 */
import type { OracleSource } from '../core/scoring/oracle-source.ts';

export class VenueOracle implements OracleSource {
  /** False once the venue said it has no oracle. */
  available = true;

  constructor(private readonly baseUrl: string) {}

  async forecast(symbol: string, atUs: number, horizonUs: number): Promise<number | undefined> {
    if (!this.available) return undefined;
    const url = `${this.baseUrl}/_venue/truth/oracle?symbol=${symbol}&atUs=${Math.round(atUs)}&horizonMs=${Math.round(horizonUs / 1000)}`;
    const response = await fetch(url);
    if (response.status === 404) {
      this.available = false;
      return undefined;
    }
    if (!response.ok) throw new Error(`Oracle request failed: HTTP ${response.status}.`);
    const body = (await response.json()) as { forecast?: unknown };
    return typeof body.forecast === 'number' && Number.isFinite(body.forecast) ? body.forecast : undefined;
  }
}

/**
 * The venue's oracle: E[ln(mid(t + h) / mid(t)) | the synthetic market's latent state at t], the
 * best any forecaster can do on that market. Only a local run has one (the local venue's truth API);
 * inference scores it beside the candidates and never serves it. Adapter: local/venue-oracle.ts.
 */
export interface OracleSource {
  /** The oracle's forecast (ln return) for the tick at `atUs`, or undefined when the venue has none. */
  forecast(symbol: string, atUs: number, horizonUs: number): Promise<number | undefined>;
}

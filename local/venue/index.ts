/** The local Binance venue's public API (see README.md). */
export type { InjectedFault } from './fault-injector.ts';
export { type FaultRule, parseFaultSpec } from './fault-spec.ts';
export type { GroundTruth, TruthBook, TruthTrade } from './ground-truth.ts';
export type { Speed } from './market-pump.ts';
export { MarketStatistics, type MarketStatisticsSummary } from './market-statistics.ts';
export { type SourceOptions, startVenue, type Venue, type VenueOptions, type VenueStats } from './server.ts';
export { SyntheticMarket, type SyntheticMarketParams } from './sources/synthetic-market.ts';

/**
 * Binance's public endpoints and the shape of a symbol: one spelling for the runtime parsers (zod)
 * and the CDK configuration, so what synth accepts is what a task accepts at start-up.
 */

/** Binance's SBE market-data WebSocket (port 443 or 9443; 9443 is the one its examples use). */
export const BINANCE_SBE_WS_URL = 'wss://stream-sbe.binance.com:9443';

/** Binance's REST API (depth snapshots, aggTrades, klines). */
export const BINANCE_REST_API_URL = 'https://api.binance.com';

/** A Binance spot symbol as the pipeline accepts it: upper-case letters and digits, e.g. BTCUSDT. */
export const SYMBOL_PATTERN = /^[A-Z0-9]{2,20}$/;

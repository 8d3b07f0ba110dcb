export * from './abi.ts';
export * from './batch-decoder.ts';
export * from './dataview-decoder.ts';
export * from './decode-stats.ts';
export * from './decoded-batch.ts';
export * from './encoder.ts';
export * from './errors.ts';
export type * from './messages.ts';

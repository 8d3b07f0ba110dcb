export * from './book-top.ts';
export * from './compute-features.ts';
export * from './feature-names.ts';
export * from './feature-state.ts';
export * from './label.ts';

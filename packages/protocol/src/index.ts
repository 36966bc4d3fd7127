export * from './errors.ts';
export * from './identifiers.ts';
export * from './signaling.ts';
export * from './quality.ts';

export * from './default-key';
export * from './primitive-cache';

export * from './global-params';
export * from './settings';
export * from './validate';

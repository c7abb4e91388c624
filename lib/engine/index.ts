export * from './memo';
export * from './stats';

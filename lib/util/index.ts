export * from './atomic-file';
export * from './cache-directory';
export * from './sleep';
export * from './peer-dependency';
export * from './process-state';
export * from './file-lock';
export * from './deadline';
export * from './scored-members';

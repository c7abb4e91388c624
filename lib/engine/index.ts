export * from './memo';
export * from './stats';
export * from './open-cores';
export * from './definition-site';

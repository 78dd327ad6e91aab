export * from './storage';
export * from './workload';
export * from './engines';

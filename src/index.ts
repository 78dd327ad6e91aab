export * from './storage';
export * from './workload';

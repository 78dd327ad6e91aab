export * from './labels';
export * from './placement';
export * from './disruption-budget';
export * from './volume-claim';
export * from './network-peer';
export * from './stateful-workload';
export * from './pod-security';

export * from './failover';
export * from './postgres-version';
export * from './postgres';

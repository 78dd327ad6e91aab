export * from './backup';
export * from './backup-repository';
export * from './failover';
export * from './postgres-version';
export * from './postgres';

export * from './cassandra';
export * from './cassandra-version';

export * from './mysql';
export * from './mysql-version';

export * from './mongodb';
export * from './mongodb-version';

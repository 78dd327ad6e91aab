export * from './engine';
export * from './credentials';
export * from './generated-secret';
export * from './kafka';
export * from './mongodb';
export * from './mysql';
export * from './postgres';
export * from './cassandra';

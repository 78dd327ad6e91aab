export * from './kafka';
export * from './kafka-version';

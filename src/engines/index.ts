export * from './engine';
export * from './credentials';
export { GeneratedSecret } from './generated-secret';
export type { GeneratedSecretProps } from './generated-secret';

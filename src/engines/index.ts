export * from './engine';
export * from './credentials';
export { GeneratedSecret, GeneratedSecretProps } from './generated-secret';

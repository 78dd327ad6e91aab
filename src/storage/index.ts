export * from './access-mode';
export * from './provisioner';
export * from './storage-class';
export * from './persistent-volume-source';
export * from './persistent-volume';
export * from './static-volume-set';
export * from './volume-snapshot-class';

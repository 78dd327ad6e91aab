// Pre-bound hostPath PersistentVolumes for the StatefulSets of synthesized manifests, made with the
// library's own StaticVolumeSet: the local test cluster has no provisioner, so every per-pod claim
// `<template>-<statefulset>-<ordinal>` (ordinals 0..max(4, replicas+1)) gets a volume reserved for it.
//
//   npx ts-node --project test/tsconfig.json test/cluster/static-volumes.ts <out.yaml> <manifest.k8s.yaml>...
import * as fs from 'fs';
import { App, Chart, Size, Yaml } from 'cdk8s';
import { AccessMode, PersistentVolume, PersistentVolumeSource, StaticVolumeSet, StorageClass, VolumeMode } from '../../src';

/** Volumes per claim template: room to scale every set by two (the scale check), at least 0..4. */
const ORDINALS_MIN = 5;

interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  readonly spec?: any;
}

/** `10Gi`, `500Mi`, `1G`, `1024` as a cdk8s Size (rounded up to whole mebibytes). */
export function sizeOf(quantity: string): Size {
  const m = /^([0-9.]+)([KMGTPE]i?)?$/.exec(quantity.trim());
  if (!m) { throw new Error(`cannot read storage request '${quantity}'`); }
  const factors: Record<string, number> = {
    '': 1,
    'Ki': 2 ** 10,
    'Mi': 2 ** 20,
    'Gi': 2 ** 30,
    'Ti': 2 ** 40,
    'Pi': 2 ** 50,
    'Ei': 2 ** 60,
    'K': 1e3,
    'M': 1e6,
    'G': 1e9,
    'T': 1e12,
    'P': 1e15,
    'E': 1e18,
  };
  const bytes = parseFloat(m[1]) * factors[m[2] ?? ''];
  return Size.mebibytes(Math.max(1, Math.ceil(bytes / 2 ** 20)));
}

export function staticVolumesFor(objects: KubeObject[]): string {
  // Every hostPath volume warns that it is for tests only, which it is here: hide those lines.
  const write = process.stderr.write;
  process.stderr.write = ((chunk: any, ...rest: any[]) =>
    /a hostPath volume lives on one node/.test(String(chunk)) ||
    (write as any).call(process.stderr, chunk, ...rest)) as typeof process.stderr.write;
  try {
    return synthVolumes(objects);
  } finally {
    process.stderr.write = write;
  }
}

function synthVolumes(objects: KubeObject[]): string {
  const app = new App();
  const chart = new Chart(app, 'cluster-test-volumes');
  // A claim that names no class gets the default class (DefaultStorageClass admission), if any.
  const defaultClass = objects.find(o => o.kind === 'StorageClass' &&
    (o.metadata?.annotations ?? {})['storageclass.kubernetes.io/is-default-class'] === 'true')?.metadata?.name;
  // Claims the manifests already reserve a volume for.
  const reserved = new Set(objects.filter(o => o.kind === 'PersistentVolume' && o.spec?.claimRef)
    .map(o => `${o.spec.claimRef.namespace}/${o.spec.claimRef.name}`));
  let count = 0;
  for (const sts of objects.filter(o => o.kind === 'StatefulSet')) {
    const name = sts.metadata!.name!;
    const namespace = sts.metadata?.namespace ?? 'default';
    const ordinals = Math.max(ORDINALS_MIN, (sts.spec?.replicas ?? 1) + 2);
    for (const template of (sts.spec?.volumeClaimTemplates ?? []) as any[]) {
      const claimTemplateName: string = template.metadata.name;
      const className: string | undefined = template.spec.storageClassName ?? defaultClass;
      const request: string = template.spec.resources?.requests?.storage ?? '1Gi';
      const hostPath = (i: number) => PersistentVolumeSource.hostPath({
        path: `/var/lib/cdk8s-stateful-test/${namespace}/${claimTemplateName}-${name}-${i}`,
      });
      const common = {
        capacity: sizeOf(String(request)),
        storageClass: className ? StorageClass.fromStorageClassName(className) : undefined,
        accessModes: template.spec.accessModes as AccessMode[] | undefined,
        volumeMode: template.spec.volumeMode as VolumeMode | undefined,
      };
      const all = [...Array(ordinals).keys()];
      const missing = all.filter(i => !reserved.has(`${namespace}/${claimTemplateName}-${name}-${i}`));
      if (missing.length === all.length) {
        new StaticVolumeSet(chart, `${namespace}-${name}-${claimTemplateName}`, {
          statefulSetName: name,
          claimTemplateName,
          namespace,
          sources: all.map(hostPath),
          ...common,
        });
      } else {
        // The example reserves volumes for some ordinals itself: add the others one by one.
        for (const i of missing) {
          const claimName = `${claimTemplateName}-${name}-${i}`;
          new PersistentVolume(chart, `${namespace}-${claimName}`, {
            name: `${namespace}-${claimName}-test`,
            source: hostPath(i),
            claim: { name: claimName, namespace },
            ...common,
          });
        }
      }
      count += missing.length;
    }
  }
  process.stderr.write(`static-volumes: ${count} pre-bound hostPath PersistentVolumes\n`);
  return count === 0 ? '' : app.synthYaml();
}

if (require.main === module) {
  const [out, ...inputs] = process.argv.slice(2);
  if (!out || inputs.length === 0) {
    process.stderr.write('usage: static-volumes.ts <out.yaml> <manifest.yaml>...\n');
    process.exit(2);
  }
  const objects = inputs.flatMap(f => Yaml.load(f) as KubeObject[]).filter(o => o && o.kind);
  fs.writeFileSync(out, staticVolumesFor(objects));
}

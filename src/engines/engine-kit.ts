import { createHash } from 'crypto';
import { Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { Credentials } from './credentials';
import { EngineResources } from './engine';
import { GeneratedSecret } from './generated-secret';
import { invalid } from '../private/errors';
import { instanceOf, requireProps } from '../private/prop-types';
import { mebibytesOf } from '../private/quantity';
import { requireRequestsWithinLimits } from '../private/resources';

/**
 * Container resources of an engine: memory request = limit, CPU request, optional CPU limit.
 * Checked here in the prop the user wrote (`resources`, `controllerResources`), kinds included.
 */
export function engineResources(
  scope: IConstruct,
  resources: EngineResources | undefined,
  defaults: { cpu: kplus.Cpu; memory: Size },
  prop: string = 'resources',
): kplus.ContainerResources {
  requireProps(scope, prop, resources, {
    cpu: instanceOf(kplus.Cpu, 'Cpu.millis(500)'),
    cpuLimit: instanceOf(kplus.Cpu, 'Cpu.millis(2000)'),
    memory: instanceOf(Size, 'Size.gibibytes(2)'),
  });
  const memory = resources?.memory ?? defaults.memory;
  const kib = memory.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!(kib > 0)) {
    invalid(scope, `${prop}.memory`, 'must be a positive size', memory.asString());
  }
  // cdk8s-plus writes container memory in whole Mi and throws a bare Error otherwise.
  if (!Number.isInteger(kib / 1024)) {
    invalid(scope, `${prop}.memory`, `must be a whole number of mebibytes, such as Size.mebibytes(${Math.round(kib / 1024)})`, memory.asString());
  }
  const result: kplus.ContainerResources = {
    cpu: { request: resources?.cpu ?? defaults.cpu, limit: resources?.cpuLimit },
    memory: { request: memory, limit: memory },
  };
  requireRequestsWithinLimits(scope, prop, result);
  return result;
}

/** Memory in MiB of an engine's resources (the tuning input). */
export function memoryMiB(resources: kplus.ContainerResources): number {
  return mebibytesOf(resources.memory!.limit!);
}

/**
 * A JVM heap of `fraction` of the container memory, clamped to [min, max] MiB, and refused when
 * the container is too small to hold it plus the JVM's own overhead.
 */
export function jvmHeapMiB(scope: IConstruct, memory: number, fraction: number, min: number, max: number, prop = 'resources'): number {
  const heap = Math.min(max, Math.max(min, Math.floor(memory * fraction)));
  if (heap > memory * 0.75) {
    invalid(scope, `${prop}.memory`, `must leave room for a ${heap} MiB heap plus off-heap memory: use at least ${Math.ceil(heap / 0.75)} MiB`, `${memory} MiB`);
  }
  return heap;
}

/**
 * The pod annotation that rolls an engine's pods when its configuration or scripts change (a
 * ConfigMap change alone restarts nothing). Pass what the pods read at start, and nothing that
 * must not restart them (a member list that changes with `replicas`).
 */
export function configChecksum(...parts: unknown[]): { [key: string]: string } {
  return { 'cdk8s-stateful/config-checksum': createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16) };
}

/**
 * An engine's credentials, resolved once: the Secret's name, the key of each logical key
 * (`password`, `replication-password`...), env values that read them, and, when the cluster is to
 * generate them, the generator.
 */
export class EngineSecret {
  /** Name of the Secret. */
  public readonly secretName: string;
  /** The Secret, for env values and volumes. */
  public readonly secret: kplus.ISecret;

  constructor(private readonly scope: Construct, private readonly credentials: Credentials, instanceName: string) {
    this.secretName = credentials.secretNameFor(instanceName);
    this.secret = kplus.Secret.fromSecretName(scope, 'CredentialsRef', this.secretName);
  }

  /** The key in the Secret under which `logicalKey` is stored. */
  public key(logicalKey: string): string {
    return this.credentials.keyFor(logicalKey);
  }

  /** An env value that reads `logicalKey` from the Secret. */
  public env(logicalKey: string): kplus.EnvValue {
    return kplus.EnvValue.fromSecretValue({ secret: this.secret, key: this.key(logicalKey) });
  }

  /** The in-cluster generator of the Secret, when the credentials are generated; otherwise nothing. */
  public generate(logicalKeys: string[], labels: { [key: string]: string }): GeneratedSecret | undefined {
    if (!this.credentials.generatesSecret) { return undefined; }
    return new GeneratedSecret(this.scope, 'Credentials', {
      secretName: this.secretName,
      keys: logicalKeys.map((k) => this.key(k)),
      labels,
      image: this.credentials.generatorImage,
    });
  }
}

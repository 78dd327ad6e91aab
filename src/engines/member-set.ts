import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { DisruptionBudget } from '../workload/disruption-budget';
import { PodManagementPolicy } from '../workload/stateful-workload';

/** One StatefulSet of an engine, as the engine describes it to `_addMembers` (not exported from the package). */
export interface MemberSetOptions {
  /** Appended to the instance name for the StatefulSet name; must have been reserved. @default '' */
  readonly suffix?: string;
  /** `app.kubernetes.io/component`. @default - none */
  readonly component?: string;
  /** Number of pods. */
  readonly replicas: number;
  /** Containers; the first is the server. */
  readonly containers: kplus.ContainerProps[];
  /** Init containers. @default - none */
  readonly initContainers?: kplus.ContainerProps[];
  /** Where the data volume is mounted; no claim without it. @default - no data volume */
  readonly dataPath?: string;
  /** Containers that mount the data volume. @default - every container */
  readonly dataMountInto?: string[];
  /** The set's own storage (Kafka's controllers); `storage` otherwise. @default - the engine's storage */
  readonly storage?: unknown;
  /** The prop that `storage` came from, for messages. @default 'storage' */
  readonly storageProp?: string;
  /** Default size of that storage. @default - the engine's default storage size */
  readonly defaultStorageSize?: Size;
  /** How the pods start. */
  readonly podManagementPolicy: PodManagementPolicy;
  /** Publish pods in DNS before Ready. @default true */
  readonly publishNotReadyAddresses?: boolean;
  /** Disruption budget. @default - at most one pod down when replicas > 1 */
  readonly disruptionBudget?: DisruptionBudget;
  /** Pin the set to a zone. @default - spread over zones */
  readonly zone?: string;
  /** What the pods read at start: a change rolls them. */
  readonly checksum: unknown[];
  /** Mount the ServiceAccount's API token (Patroni). @default false */
  readonly serviceAccountToken?: boolean;
  /** Claims every pod mounts on purpose (a backup repository). @default - none */
  readonly sharedClaims?: string[];
  /** Containers (and init containers) that mount the TLS Secret at `/etc/tls`. @default - the server container */
  readonly tlsMountInto?: string[];
  /** Grace period of this set. @default - the engine's */
  readonly terminationGracePeriod?: Duration;
}

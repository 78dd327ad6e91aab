/**
 * patroni.yml and the cluster-wide (dynamic) configuration, rendered from typed props. Not public
 * API: the Postgres construct writes them into its `<name>-patroni` ConfigMap. The failover harness
 * (test/cluster/failover) runs real Patroni on them, rewriting only paths and addresses.
 */
import { Yaml } from 'cdk8s';
import { SynchronousReplication } from './failover';

/** Where the `<name>-patroni` ConfigMap is mounted. */
export const PATRONI_DIR = '/etc/patroni';
/** Patroni's REST API: health for the probes, switchover for patronictl. */
export const PATRONI_PORT = 8008;
/** The user of the REST API's write endpoints (switchover, restart); its password is the superuser's. */
export const PATRONI_API_USER = 'patroni';
/** The pod label Patroni sets to `primary` or `replica`; the Services select on it. */
export const ROLE_LABEL = 'role';
export const PRIMARY_ROLE = 'primary';
export const REPLICA_ROLE = 'replica';

/** Everything patroni.yml says. Secrets and per-pod values come from the pod's environment. */
export interface PatroniInput {
  /** Patroni's cluster name: the instance name. */
  readonly scope: string;
  /** `app.kubernetes.io/name` of the pods (with the scope as `app.kubernetes.io/instance`, how Patroni finds members). */
  readonly appName: string;
  readonly ttl: number;
  readonly loopWait: number;
  readonly retryTimeout: number;
  readonly maximumLagBytes: number;
  readonly synchronous: SynchronousReplication;
  /** Tuned settings with the user's overrides applied. */
  readonly parameters: Map<string, string>;
  readonly pgHba: string[];
  readonly superuser: string;
  readonly replicationUser: string;
  readonly port: number;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly postBootstrap: string;
  /** A restore from pgBackRest instead of initdb: the bootstrap command (restore.sh and the data directory). */
  readonly restoreCommand?: string;
  /** How a standby fetches archived WAL it can no longer stream (pgBackRest archive-get). */
  readonly archiveGetCommand?: string;
  /** With the `tls` prop: the mounted certificate files. */
  readonly tls?: PatroniTls;
}

/** The certificate files Patroni serves its REST API with and verifies members against. */
export interface PatroniTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** The server's ssl* settings, local to the pods that mount the files. */
  readonly serverSettings: Map<string, string>;
  /**
   * Whether members may still meet members without TLS (`allowPlaintext`, while TLS is being
   * turned on): they then connect with `prefer` (TLS whenever the other side offers it, the chain
   * checked against the CA) instead of `verify-full`, which a member not yet rolled cannot satisfy.
   */
  readonly transitional: boolean;
}

/**
 * The cluster-wide configuration, PostgreSQL settings included: Patroni takes the settings that
 * must match on every member (max_connections, wal_level, ...) from here only. Bootstrapped from
 * patroni.yml, then applied by every pod on start, so a changed prop reaches a running cluster.
 */
export function dynamicConfig(input: PatroniInput): { [key: string]: unknown } {
  const synchronous = input.synchronous !== SynchronousReplication.ASYNCHRONOUS;
  return {
    ttl: input.ttl,
    loop_wait: input.loopWait,
    retry_timeout: input.retryTimeout,
    maximum_lag_on_failover: input.maximumLagBytes,
    // A primary that cannot reach the Kubernetes API stays primary while it can reach every member.
    failsafe_mode: true,
    synchronous_mode: synchronous,
    synchronous_mode_strict: input.synchronous === SynchronousReplication.STRICT,
    synchronous_node_count: 1,
    postgresql: {
      // A former primary rejoins by rewinding its diverged WAL instead of a full clone (data checksums make it possible).
      use_pg_rewind: true,
      // One physical slot per member on the primary: a standby that falls behind is not cut off; Patroni drops the slot of a removed member.
      use_slots: true,
      parameters: Object.fromEntries([...input.parameters].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, yamlValue(v)])),
    },
  };
}

/** patroni.yml, whose values the pod's `PATRONI_*` environment completes (name, addresses, passwords). */
export function renderPatroniYaml(input: PatroniInput): string {
  const tls = input.tls;
  // Standbys (primary_conninfo) and pg_rewind verify the other member's certificate and its name:
  // connect_address is the pod's DNS name, which the certificate covers.
  const verify = tls ? { sslmode: tls.transitional ? 'prefer' : 'verify-full', sslrootcert: tls.caFile } : {};
  const local: { [key: string]: unknown } = {
    scope: input.scope,
    log: { level: 'INFO' },
    restapi: {
      listen: `0.0.0.0:${PATRONI_PORT}`,
      authentication: { username: PATRONI_API_USER },
      // HTTPS, with the certificate re-read on SIGHUP (the start script's tls_watch sends it).
      ...(tls ? { certfile: tls.certFile, keyfile: tls.keyFile } : {}),
    },
    // Members call each other's REST API (leader race, patronictl): over HTTPS, verified against the CA.
    ...(tls ? { ctl: { cacert: tls.caFile } } : {}),
    kubernetes: {
      // ConfigMaps, not Endpoints (deprecated in Kubernetes 1.33): leader and config live in `<scope>-leader` and `<scope>-config`.
      use_endpoints: false,
      labels: { 'app.kubernetes.io/name': input.appName },
      scope_label: 'app.kubernetes.io/instance',
      role_label: ROLE_LABEL,
      leader_label_value: PRIMARY_ROLE,
      follower_label_value: REPLICA_ROLE,
      standby_leader_label_value: PRIMARY_ROLE,
    },
    bootstrap: {
      dcs: dynamicConfig(input),
      ...(input.restoreCommand ? {
        // Runs only when the cluster is created: Patroni state absent and the first pod's volume empty.
        method: 'pgbackrest',
        pgbackrest: {
          command: input.restoreCommand,
          // pgBackRest writes the recovery settings (target, restore_command); Patroni keeps them until the promotion.
          keep_existing_recovery_conf: true,
          no_params: true,
        },
      } : {}),
      initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums'],
      post_bootstrap: input.postBootstrap,
    },
    postgresql: {
      listen: `0.0.0.0:${input.port}`,
      data_dir: input.dataDir,
      pgpass: '/tmp/pgpass',
      use_unix_socket: true,
      authentication: {
        // The superuser also runs pg_rewind against the new primary (there is no separate rewind user).
        superuser: { username: input.superuser, ...verify },
        replication: { username: input.replicationUser, ...verify },
      },
      parameters: { unix_socket_directories: input.socketDir, ...Object.fromEntries(tls?.serverSettings ?? []) },
      pg_hba: input.pgHba,
      basebackup: [{ checkpoint: 'fast' }],
      ...(input.archiveGetCommand ? { recovery_conf: { restore_command: input.archiveGetCommand } } : {}),
    },
  };
  return [
    '# Generated by cdk8s-stateful from the Postgres construct\'s props: edit the props, not this file.',
    '# bootstrap.dcs is also in dynamic.yml, which every pod applies to the cluster when it starts.',
    Yaml.stringify(local),
  ].join('\n');
}

/** dynamic.yml: what `patronictl edit-config --replace` makes the cluster's configuration. */
export function renderDynamicYaml(input: PatroniInput): string {
  return Yaml.stringify(dynamicConfig(input));
}

/** Whole numbers as numbers (as `patronictl show-config` prints them), everything else as written. */
function yamlValue(value: string): string | number {
  return /^(0|[1-9][0-9]{0,14})$/.test(value) ? Number(value) : value;
}

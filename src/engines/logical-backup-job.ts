import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { EngineBase } from './engine-base';
import { engineResources } from './engine-kit';
import { jobLabels } from './job-kit';
import { DumpStorage, LogicalBackupOptions, LogicalBackupParts } from './logical-backup';
import { TLS_DIR, TLS_FILE_MODE } from './tls-kit';
import { resolveSchedule } from '../private/cron';
import { requireWholeSeconds } from '../private/durations';
import { invalid } from '../private/errors';
import { describeValue } from '../private/guards';
import { denyIngress, scheduledJob } from '../private/jobs';
import { kubeVolume } from '../private/k8s';
import { hardened, secureContainer } from '../private/pod';
import { instanceOf, requireProps } from '../private/prop-types';
import { requirePinnedImage } from '../private/resources';
import { WellKnownLabels } from '../workload/labels';
import { NetworkPeer } from '../workload/network-peer';

// Beside LogicalBackupOptions, but not exported from the package: how the engines build the dump CronJob.

/** What an engine tells {@link addLogicalBackup} about its dump (not exported from the package). */
export interface DumpSpec {
  /** The user's `logicalBackup` prop, unchecked. */
  readonly options: unknown;
  /** The engine part of the script: see {@link renderDumpScript}. */
  readonly script: string;
  /** Environment of the dump container: passwords from the Secret, hosts. */
  readonly env: { [name: string]: kplus.EnvValue };
  /** uid and gid of the image's user, which owns the dumps. */
  readonly user: number;
  /** Default size of a new claim. */
  readonly defaultClaimSize: Size;
  /**
   * The instance's TLS Secret, when it has `tls`: only its `ca.crt` is mounted, at the servers'
   * own path (`/etc/tls/ca.crt`), so that the dump verifies the server it reads from.
   * @default - no CA mounted
   */
  readonly tlsSecretName?: string;
}

const PROP = 'logicalBackup';
/** Where the claim is mounted; the dumps are in its `<name>/`. */
export const DUMP_MOUNT = '/backups';
/** A memory-backed emptyDir for the credentials file the dump tool reads. */
export const DUMP_SECRETS_DIR = '/var/run/dump';
const SCRIPT = 'dump.sh';
/** Kubernetes appends 11 characters to a CronJob's name for its Jobs, and refuses more than 52 in all. */
const MAX_CRONJOB_NAME = 52;

/**
 * Adds the dump CronJob of `engine`, its script, its claim (when the construct creates it), a
 * NetworkPolicy that admits nothing to the dump pods, and admits them to the instance's client
 * ports. Returns undefined when `spec.options` is undefined (no logical backup).
 */
export function addLogicalBackup(engine: EngineBase, spec: DumpSpec): LogicalBackupParts | undefined {
  if (spec.options === undefined) { return undefined; }
  requireProps(engine, PROP, spec.options, {
    schedule: 'string',
    timeZone: 'string',
    keep: 'integer',
    storage: instanceOf(DumpStorage, 'DumpStorage.newClaim({ size: Size.gibibytes(50) }) or DumpStorage.fromClaimName(name)'),
    image: 'string',
    resources: 'object',
    timeout: instanceOf(Duration, 'Duration.hours(6)'),
  });
  const options = spec.options as LogicalBackupOptions;
  const name = `${engine.name}-dump`;
  if (name.length > MAX_CRONJOB_NAME) {
    invalid(engine, 'name', `must be at most ${MAX_CRONJOB_NAME - '-dump'.length} characters with ${PROP}: it names the CronJob '${name}', whose name may have at most ${MAX_CRONJOB_NAME} (Kubernetes appends 11 for its Jobs)`, engine.name);
  }
  const { schedule, timeZone } = resolveSchedule(engine, PROP, options.schedule, options.timeZone, '0 3 * * *');
  const keep = options.keep ?? 7;
  if (!Number.isInteger(keep) || keep < 1 || keep > 10000) {
    invalid(engine, `${PROP}.keep`, 'must be a whole number of dumps from 1 to 10000 (the dump just written is always kept, so 0 cannot be honoured)', keep);
  }
  const image = options.image ?? engine.image;
  requirePinnedImage(engine, `${PROP}.image`, image);
  const resources = engineResources(engine, options.resources, { cpu: kplus.Cpu.millis(100), memory: Size.mebibytes(512) }, `${PROP}.resources`);
  const timeout = requireWholeSeconds(engine, `${PROP}.timeout`, options.timeout ?? Duration.hours(6), 60, 7 * 24 * 3600,
    'how long one dump may run before it is stopped and counted as failed');

  const scope = new Construct(engine, 'LogicalBackup');
  const labels = jobLabels(`${engine.instanceLabels[WellKnownLabels.NAME]}-dump`, 'logical-backup', engine.name);
  const storage = options.storage ?? DumpStorage.newClaim();
  const claimName = storage._bind(engine, `${PROP}.storage`, scope, `${engine.name}-dumps`, spec.defaultClaimSize, labels);

  const configMap = new kplus.ConfigMap(scope, 'Script', { metadata: { name, labels } });
  configMap.addData(SCRIPT, renderDumpScript(spec.script));
  const directory = `${DUMP_MOUNT}/${engine.name}`;
  const volumes = {
    dumps: kplus.Volume.fromPersistentVolumeClaim(scope, 'dumps', kplus.PersistentVolumeClaim.fromClaimName(scope, 'Claim', claimName), { name: 'dumps' }),
    script: kplus.Volume.fromConfigMap(scope, 'script', configMap, { name: 'script', defaultMode: 0o555 }),
    // Only for the password file the tool reads: in memory, never on a disk.
    secrets: kplus.Volume.fromEmptyDir(scope, 'secrets', 'secrets', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) }),
    tmp: kplus.Volume.fromEmptyDir(scope, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(256) }),
  };
  // The CA only: the dump is a client, it needs no key.
  const ca = spec.tlsSecretName === undefined ? undefined : kplus.Volume.fromSecret(scope, 'tls-ca', kplus.Secret.fromSecretName(scope, 'TlsSecret', spec.tlsSecretName), {
    name: 'tls-ca', defaultMode: TLS_FILE_MODE, items: { 'ca.crt': { path: 'ca.crt' } },
  });
  const container = secureContainer({
    name: 'dump',
    image,
    command: ['/bin/bash', `/scripts/${SCRIPT}`],
    envVariables: {
      ...spec.env,
      DUMP_DIR: kplus.EnvValue.fromValue(directory),
      DUMP_PREFIX: kplus.EnvValue.fromValue(engine.name),
      DUMP_KEEP: kplus.EnvValue.fromValue(String(keep)),
      DUMP_SECRETS_DIR: kplus.EnvValue.fromValue(DUMP_SECRETS_DIR),
      HOME: kplus.EnvValue.fromValue('/tmp'),
    },
    resources,
    volumeMounts: [
      { volume: volumes.dumps, path: DUMP_MOUNT },
      { volume: volumes.script, path: '/scripts', readOnly: true },
      { volume: volumes.secrets, path: DUMP_SECRETS_DIR },
      { volume: volumes.tmp, path: '/tmp' },
      ...ca ? [{ volume: ca, path: TLS_DIR, readOnly: true }] : [],
    ],
  });
  const cronJob = scheduledJob(scope, 'CronJob', {
    name,
    labels,
    schedule,
    timeZone,
    // No ServiceAccount token: the dump talks to the database only, never to the API server.
    containers: [hardened(container)],
    volumes: [...Object.values(volumes), ...ca ? [ca] : []].map(kubeVolume),
    user: spec.user,
    group: spec.user,
    activeDeadlineSeconds: timeout,
  });
  denyIngress(scope, name, labels);
  engine.allowFrom(NetworkPeer.fromApiObject(cronJob));
  return { cronJob, claimName, directory, podLabels: labels };
}

/**
 * The dump script: the engine part defines what differs per engine, this part does what every
 * dump does. The engine part must set `suffix` (the file extension) and define
 *   write_credentials        writes the password file the tool reads into $secrets
 *   is_replica HOST          succeeds when HOST is a replica in a state to dump from
 *   dump HOST                writes the compressed dump to stdout; fails when the dump is incomplete
 * and read $DUMP_REPLICAS (the hosts to try, in order) and $DUMP_FALLBACK (the host to dump from
 * when none is a ready replica).
 *
 * A dump is written under a hidden temporary name, checksummed as it is written, and renamed when
 * complete: the checksum first, so a dump under its final name always has one. Then all but the
 * newest `keep` are deleted, never the one just written.
 */
export function renderDumpScript(enginePart: string): string {
  if (!/^suffix=/m.test(enginePart) || !['write_credentials()', 'is_replica()', 'dump()'].every((f) => enginePart.includes(f))) {
    throw new Error(`the engine part of a dump script must set suffix and define write_credentials, is_replica and dump: ${describeValue(enginePart)}`);
  }
  return `#!/bin/bash
# A logical backup: one dump, checksummed, then the dumps beyond DUMP_KEEP deleted.
# Generated by cdk8s-stateful: change the construct, not this file.
set -euo pipefail
# The dumps are the owner's and its group's (the pods' fsGroup): no one else reads them.
umask 027
export LC_ALL=C

dir=\${DUMP_DIR:?}
prefix=\${DUMP_PREFIX:?}
keep=\${DUMP_KEEP:?}
secrets=\${DUMP_SECRETS_DIR:?}

log() { printf '%s dump: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "$*"; exit 1; }
[[ $keep =~ ^[1-9][0-9]*$ ]] || die "DUMP_KEEP must be a positive integer, got '$keep'"
${enginePart.trim()}

mkdir -p "$dir"
# What a killed run left: hidden, never counted as a dump. The CronJob runs one dump at a time.
rm -f "$dir/.partial-$prefix-"*
name="$prefix-$(date -u +%Y%m%dT%H%M%SZ)$suffix"
final="$dir/$name"
partial="$dir/.partial-$name"
[ ! -e "$final" ] || die "$final exists already: another dump ran in this second"
trap 'rm -f "$partial" "$partial.sha256" "$secrets"/*' EXIT
write_credentials

source=''
for host in \${DUMP_REPLICAS:-}; do
  if is_replica "$host"; then source=$host; break; fi
  log "$host is not a ready replica: not dumping from it"
done
if [ -z "$source" ]; then
  source=\${DUMP_FALLBACK:?}
  log "no ready replica: dumping from $source"
fi

log "dumping from $source into $final"
started=$(date +%s)
sum=$(dump "$source" | tee "$partial" | sha256sum) || die "the dump from $source failed: no dump was kept"
sum=\${sum%% *}
printf '%s  %s\\n' "$sum" "$name" > "$partial.sha256"
sync "$partial" "$partial.sha256"
mv "$partial.sha256" "$final.sha256"
mv "$partial" "$final"
sync "$dir"
log "dump complete: $name, $(stat -c %s "$final") bytes in $(($(date +%s) - started)) s, sha256 $sum"

# Keep the newest $keep dumps, the one just written always among them (whatever a skewed clock named the others).
shopt -s nullglob
dumps=("$dir/$prefix"-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z"$suffix")
kept=1
for ((i = \${#dumps[@]} - 1; i >= 0; i--)); do
  file=\${dumps[i]}
  [ "$file" != "$final" ] || continue
  if [ "$kept" -lt "$keep" ]; then
    kept=$((kept + 1))
  else
    rm -f "$file" "$file.sha256"
    log "deleted \${file##*/} (keeping $keep)"
  fi
done
# Checksums whose dump is gone: a run killed between its two renames.
for sum_file in "$dir/$prefix"-[0-9]*"$suffix.sha256"; do
  [ -e "\${sum_file%.sha256}" ] || rm -f "$sum_file"
done
log "$kept dump(s) kept in $dir"
`;
}

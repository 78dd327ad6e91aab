import { createHash } from 'crypto';
import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { CURL_GID, CURL_IMAGE, CURL_UID, jobLabels } from './job-kit';
import { invalid } from '../private/errors';
import { ensureUniqueNames, kubeVolume } from '../private/k8s';
import { requireDnsSubdomain } from '../private/names';
import { hardened, podSecurityContext, secureContainer } from '../private/pod';
import { WellKnownLabels } from '../workload/labels';

/** Properties of a {@link GeneratedSecret}. */
export interface GeneratedSecretProps {
  /** Name of the Secret to create. */
  readonly secretName: string;
  /** Keys to fill with random values (32 letters and digits each). */
  readonly keys: string[];
  /** Labels for the Secret and the generator's objects. @default - none */
  readonly labels?: { [key: string]: string };
  /** Image with `sh`, `head`, `tr`, `base64` and `curl`. @default 'curlimages/curl:8.11.1' */
  readonly image?: string;
}

/**
 * A Secret with random values, created inside the cluster on first install and never changed
 * afterwards: a one-shot Job reads the Secret through the API, and creates it only when it is
 * missing. No value is ever written into the synthesized YAML, and re-applying the manifests
 * (Argo CD, Flux) leaves an existing Secret alone.
 *
 * The Job's ServiceAccount may create Secrets in its namespace (Kubernetes cannot restrict
 * `create` by name) and read only this one.
 */
export class GeneratedSecret extends Construct {
  /** Name of the Secret. */
  public readonly secretName: string;
  /** The one-shot Job. */
  public readonly job: k8s.KubeJob;

  constructor(scope: Construct, id: string, props: GeneratedSecretProps) {
    super(scope, id);
    this.secretName = requireDnsSubdomain(this, 'secretName', props.secretName);
    for (const key of props.keys) {
      if (!/^[A-Za-z0-9._-]+$/.test(key)) {
        invalid(this, 'keys', "must be valid Secret keys (letters, digits, '.', '_' and '-')", key);
      }
    }
    const image = props.image ?? CURL_IMAGE;
    const base = props.secretName.replace(/\./g, '-').slice(0, 44).replace(/-+$/, '');
    const name = `${base}-init`;
    // A Job's pod template is immutable: a new image or script gets a new Job (named by its content)
    // instead of an apply that fails. The old Job has done its work and may be deleted.
    const jobName = `${name}-${createHash('sha256').update(JSON.stringify([image, props.keys, GENERATOR_SCRIPT])).digest('hex').slice(0, 8)}`;
    const labels = jobLabels('secret-generator', 'credentials', props.labels?.[WellKnownLabels.INSTANCE]);

    const account = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name, labels },
      automountToken: true,
    });
    const role = new k8s.KubeRole(this, 'Role', {
      metadata: { name, labels },
      rules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: [props.secretName], verbs: ['get'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: account.name }],
    });

    const tmp = kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(1) });
    const container = secureContainer({
      name: 'generate',
      image,
      command: ['/bin/sh', '-c', GENERATOR_SCRIPT],
      volumeMounts: [{ volume: tmp, path: '/tmp' }],
      envVariables: {
        SECRET_NAME: kplus.EnvValue.fromValue(props.secretName),
        SECRET_KEYS: kplus.EnvValue.fromValue(props.keys.join(' ')),
        SECRET_LABELS: kplus.EnvValue.fromValue(JSON.stringify(props.labels ?? {})),
      },
      resources: {
        cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(16), limit: Size.mebibytes(64) },
      },
    });
    // The generator takes no connections: admit none (it only calls out to the API server).
    new kplus.NetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name, labels },
      selector: kplus.Pods.select(this, 'Pods', { labels }),
      ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    });
    this.job = new k8s.KubeJob(this, 'Job', {
      metadata: { name: jobName, labels },
      spec: {
        backoffLimit: 6,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: account.name,
            restartPolicy: 'OnFailure',
            securityContext: podSecurityContext(CURL_UID, CURL_GID),
            containers: [hardened(container)],
            volumes: [kubeVolume(tmp)],
          },
        },
      },
    });
    ensureUniqueNames(this);
  }
}

/**
 * POSIX sh for the generator Job. Reads the Secret first so that an existing one is never touched;
 * a 409 on create means another run won the race, which is just as good.
 */
const GENERATOR_SCRIPT = `set -eu
umask 077
sa=\${SERVICE_ACCOUNT_DIR:-/var/run/secrets/kubernetes.io/serviceaccount}
work=\${TMPDIR:-/tmp}
api="https://kubernetes.default.svc/api/v1/namespaces/$(cat "$sa/namespace")/secrets"
# The token and the passwords go through files, never through argv (which any process can list).
printf 'Authorization: Bearer %s\\n' "$(cat "$sa/token")" > "$work/auth"
call() { curl -sS -o "$work/response" -w '%{http_code}' --cacert "$sa/ca.crt" -H "@$work/auth" "$@"; }
code=$(call "$api/$SECRET_NAME")
if [ "$code" = 200 ]; then echo "secret $SECRET_NAME exists: left unchanged"; exit 0; fi
if [ "$code" != 404 ]; then echo "reading secret $SECRET_NAME: HTTP $code" >&2; cat "$work/response" >&2; exit 1; fi
data=''
for key in $SECRET_KEYS; do
  value=$(head -c 96 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)
  data="$data\\"$key\\":\\"$value\\","
done
printf '{"apiVersion":"v1","kind":"Secret","type":"Opaque","metadata":{"name":"%s","labels":%s},"stringData":{%s}}' \\
  "$SECRET_NAME" "$SECRET_LABELS" "\${data%,}" > "$work/body"
code=$(call -X POST -H 'Content-Type: application/json' --data "@$work/body" "$api")
rm -f "$work/body"
case "$code" in
  201) echo "secret $SECRET_NAME created with keys: $SECRET_KEYS" ;;
  409) echo "secret $SECRET_NAME was created concurrently: left unchanged" ;;
  *) echo "creating secret $SECRET_NAME: HTTP $code" >&2; cat "$work/response" >&2; exit 1 ;;
esac
`;

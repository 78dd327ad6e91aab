/*
 * "Am I being scaled away?": the one check every engine's stop hook uses to tell a scale-down
 * from a restart (an eviction, a rolling update, a node drain, a deleted pod).
 *
 * A pod of a StatefulSet is being scaled away when its ordinal is at or above its StatefulSet's
 * `spec.replicas`: the StatefulSet controller only deletes such pods after the count was lowered.
 * The pod reads that count itself, with its own ServiceAccount token, through the `scale`
 * subresource of its own StatefulSet (a `get` on `statefulsets/scale` of that one name: it sees the
 * count and the selector, not the pod template). Whenever it cannot tell (no token, the API is slow
 * or unreachable, the StatefulSet is gone because the whole set is being deleted, a reply it cannot
 * read), the answer is "restart": the safe default, because a restart must never decommission a
 * member, while a member that leaves without its clean-up is reported and caught by the engine's
 * own checks.
 *
 * Not API: engines put SCALE_DOWN_CHECK_FUNCTION into their scripts and grant the Role with
 * grantScaleDownCheck. Pod names are `<statefulset>-<ordinal>` with ordinals from 0 (the library
 * never sets `spec.ordinals.start`).
 */
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';

/** The answer printed when this pod's ordinal is at or above its StatefulSet's `spec.replicas`. */
export const SCALED_AWAY = 'scaled-away';
/** The answer printed otherwise, and whenever the check cannot tell. */
export const RESTART = 'restart';
/**
 * The answer when the StatefulSet is scaled to 0 (`kubectl scale --replicas=0`): a pause, not a
 * shrink; the members keep their data and come back with it, so no stop hook may leave the cluster.
 */
export const PAUSED = 'paused';

/**
 * A POSIX sh function, `scale_down_check [pod-name]`, for an engine's scripts (paste it in, or
 * source a file holding it). It prints one word on stdout, `scaled-away` (status 0), `paused`
 * (status 1: the StatefulSet is scaled to 0) or `restart` (status 1), and its reason on stderr.
 *
 * - pod name: the argument, else `$POD_NAME`, else `hostname`; StatefulSet = name without `-<ordinal>`
 * - API: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, CA, token and namespace from
 *   `$SCALE_DOWN_CHECK_SA_DIR` (default the mounted ServiceAccount); the token never goes on a
 *   command line
 * - client: curl when the image has it, else `openssl s_client` under `timeout` (the apache/kafka
 *   image has openssl but no curl); `$SCALE_DOWN_CHECK_CLIENT` = curl | openssl forces one
 * - bounded: `$SCALE_DOWN_CHECK_ATTEMPTS` (3) tries of at most `$SCALE_DOWN_CHECK_TIMEOUT` (5) s,
 *   one second apart: at most about 17 s in all
 * - "restart" when: no ordinal in the name, no token mounted, no client, no reply, HTTP other than
 *   200 (404: the StatefulSet is gone, the whole set is being deleted; 403: the Role is missing),
 *   a reply that is not a Scale
 *
 * Needs `mktemp`, `sed`, `tr`, `cat`; writes only under `${TMPDIR:-/tmp}` and removes what it wrote.
 */
export const SCALE_DOWN_CHECK_FUNCTION = `# scale_down_check [pod-name]: is this pod being scaled away (its ordinal at or
# above its StatefulSet's spec.replicas) or only restarting? Prints
# "${SCALED_AWAY}" (status 0), "${PAUSED}" (status 1: scaled to 0, a pause) or
# "${RESTART}" (status 1; also whenever it cannot tell).
scale_down_check() {
  _sd_pod="\${1:-\${POD_NAME:-$(hostname)}}"
  _sd_ordinal="\${_sd_pod##*-}"
  _sd_set="\${_sd_pod%-*}"
  _sd_sa="\${SCALE_DOWN_CHECK_SA_DIR:-/var/run/secrets/kubernetes.io/serviceaccount}"
  _sd_host="\${KUBERNETES_SERVICE_HOST:-}"
  _sd_port="\${KUBERNETES_SERVICE_PORT:-443}"
  _sd_attempts="\${SCALE_DOWN_CHECK_ATTEMPTS:-3}"
  _sd_timeout="\${SCALE_DOWN_CHECK_TIMEOUT:-5}"
  _sd_client="\${SCALE_DOWN_CHECK_CLIENT:-}"
  case "$_sd_ordinal" in
    ''|*[!0-9]*) _scale_down_answer ${RESTART} "no ordinal in the pod name '$_sd_pod'"; return 1 ;;
  esac
  if [ "$_sd_set" = "$_sd_pod" ] || [ -z "$_sd_set" ]; then
    _scale_down_answer ${RESTART} "no StatefulSet name in the pod name '$_sd_pod'"; return 1
  fi
  if [ -z "$_sd_host" ]; then
    _scale_down_answer ${RESTART} "KUBERNETES_SERVICE_HOST is not set"; return 1
  fi
  for _sd_file in token namespace ca.crt; do
    if [ ! -r "$_sd_sa/$_sd_file" ]; then
      _scale_down_answer ${RESTART} "no service account $_sd_file in $_sd_sa (is the token mounted?)"; return 1
    fi
  done
  if [ -z "$_sd_client" ]; then
    if command -v curl >/dev/null 2>&1; then _sd_client=curl
    elif command -v openssl >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then _sd_client=openssl
    else _scale_down_answer ${RESTART} "neither curl nor openssl with timeout in this image"; return 1
    fi
  fi
  case "$_sd_host" in
    *:*) _sd_hostport="[$_sd_host]:$_sd_port" ;;
    *) _sd_hostport="$_sd_host:$_sd_port" ;;
  esac
  _sd_ns="$(cat "$_sd_sa/namespace")"
  _sd_path="/apis/apps/v1/namespaces/$_sd_ns/statefulsets/$_sd_set/scale"
  if ! _sd_tmp="$(mktemp -d "\${TMPDIR:-/tmp}/scale-down-check.XXXXXX")"; then
    _scale_down_answer ${RESTART} "cannot make a temporary directory"; return 1
  fi
  _sd_code=000
  _sd_try=1
  while [ "$_sd_try" -le "$_sd_attempts" ]; do
    _sd_code="$(_scale_down_get)" || _sd_code=000
    if [ -z "$_sd_code" ]; then _sd_code=000; fi
    case "$_sd_code" in 200|403|404) break ;; esac
    _sd_try=$((_sd_try + 1))
    if [ "$_sd_try" -le "$_sd_attempts" ]; then sleep 1; fi
  done
  _sd_body="$(tr -d ' \\t\\r\\n' < "$_sd_tmp/body" 2>/dev/null)"
  rm -rf "$_sd_tmp"
  case "$_sd_code" in
    200) ;;
    404) _scale_down_answer ${RESTART} "StatefulSet $_sd_ns/$_sd_set not found: the whole set is being deleted, not scaled down"; return 1 ;;
    403) _scale_down_answer ${RESTART} "forbidden to get statefulsets/scale $_sd_set (the Role is missing)"; return 1 ;;
    *) _scale_down_answer ${RESTART} "no answer from the API server at $_sd_hostport ($_sd_client, HTTP $_sd_code, $_sd_attempts attempt(s))"; return 1 ;;
  esac
  case "$_sd_body" in
    *'"kind":"Scale"'*'"spec":{'*) ;;
    *) _scale_down_answer ${RESTART} "the reply is not a Scale of $_sd_set"; return 1 ;;
  esac
  # spec.replicas is left out of a Scale when it is 0.
  _sd_spec="$(printf '%s' "$_sd_body" | sed -n 's/.*"spec":{\\([^}]*\\)}.*/\\1/p')"
  case "$_sd_spec" in
    *'"replicas":'*) _sd_replicas="\${_sd_spec#*\\"replicas\\":}"; _sd_replicas="\${_sd_replicas%%,*}" ;;
    *) _sd_replicas=0 ;;
  esac
  case "$_sd_replicas" in
    ''|*[!0-9]*) _scale_down_answer ${RESTART} "cannot read spec.replicas of $_sd_set"; return 1 ;;
  esac
  if [ "$_sd_replicas" -eq 0 ]; then
    _scale_down_answer ${PAUSED} "pod $_sd_pod: StatefulSet $_sd_set is scaled to 0 (a pause, not a shrink)"
    return 1
  fi
  if [ "$_sd_ordinal" -ge "$_sd_replicas" ]; then
    _scale_down_answer ${SCALED_AWAY} "pod $_sd_pod: ordinal $_sd_ordinal >= spec.replicas $_sd_replicas of StatefulSet $_sd_set"
    return 0
  fi
  _scale_down_answer ${RESTART} "pod $_sd_pod: ordinal $_sd_ordinal < spec.replicas $_sd_replicas of StatefulSet $_sd_set"
  return 1
}

_scale_down_answer() {
  echo "scale-down check: $1: $2" >&2
  echo "$1"
}

# One GET of the Scale: the body into $_sd_tmp/body, the HTTP status on stdout.
_scale_down_get() {
  rm -f "$_sd_tmp/body" "$_sd_tmp/reply"
  if [ "$_sd_client" = curl ]; then
    # The token goes through a file, never the command line (visible in ps).
    { printf 'Authorization: Bearer '; tr -d '\\r\\n' < "$_sd_sa/token"; printf '\\n'; } > "$_sd_tmp/auth"
    curl -sS --max-time "$_sd_timeout" --connect-timeout "$_sd_timeout" --cacert "$_sd_sa/ca.crt" \\
      -H "@$_sd_tmp/auth" -H 'Accept: application/json' -o "$_sd_tmp/body" -w '%{http_code}' \\
      "https://$_sd_hostport$_sd_path" 2>/dev/null
    return
  fi
  case "$_sd_host" in
    *[!0-9.]*) _sd_verify="-verify_hostname" ;;
    *) _sd_verify="-verify_ip" ;;
  esac
  case "$_sd_host" in *:*) _sd_verify="-verify_ip" ;; esac
  # HTTP/1.0: the server closes the connection after one reply, with no chunked encoding.
  { printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nAccept: application/json\\r\\nAuthorization: Bearer ' "$_sd_path" "$_sd_hostport"
    tr -d '\\r\\n' < "$_sd_sa/token"
    printf '\\r\\n\\r\\n'
  } | timeout "$_sd_timeout" openssl s_client -quiet -connect "$_sd_hostport" -CAfile "$_sd_sa/ca.crt" \\
      -verify_return_error "$_sd_verify" "$_sd_host" > "$_sd_tmp/reply" 2>/dev/null
  sed -e '1,/^[[:space:]]*$/d' "$_sd_tmp/reply" > "$_sd_tmp/body"
  sed -n '1s/^HTTP\\/[0-9.]* \\([0-9][0-9][0-9]\\).*/\\1/p' "$_sd_tmp/reply"
}
`;

/** A script that prints the answer of {@link SCALE_DOWN_CHECK_FUNCTION} for this pod (status 0: scaled away). */
export const SCALE_DOWN_CHECK_SCRIPT = `#!/bin/sh
# Prints "${SCALED_AWAY}" (status 0) when this pod is being scaled away, "${RESTART}" (status 1)
# otherwise or when it cannot tell. Rendered by cdk8s-stateful.
${SCALE_DOWN_CHECK_FUNCTION}
scale_down_check "$@"
`;

/** The only rule the check needs: `get` on the scale subresource of these StatefulSets, by name. */
export function scaleDownCheckRule(statefulSetNames: string[]): k8s.PolicyRule {
  return { apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: [...statefulSetNames], verbs: ['get'] };
}

/** Who may run the check on which StatefulSets. */
export interface ScaleDownCheckGrant {
  /** Name of the Role and RoleBinding. */
  readonly name: string;
  readonly labels: { [key: string]: string };
  /** The ServiceAccount of the pods that run the check (their token must be mounted). */
  readonly serviceAccountName: string;
  /** Their StatefulSets. */
  readonly statefulSetNames: string[];
}

/**
 * A Role of exactly {@link scaleDownCheckRule} bound to the pods' ServiceAccount: construct ids
 * `ScaleDownCheckRole` and `ScaleDownCheckRoleBinding` under `scope`.
 */
export function grantScaleDownCheck(scope: Construct, grant: ScaleDownCheckGrant): k8s.KubeRole {
  const metadata = { name: grant.name, labels: grant.labels };
  const role = new k8s.KubeRole(scope, 'ScaleDownCheckRole', { metadata, rules: [scaleDownCheckRule(grant.statefulSetNames)] });
  new k8s.KubeRoleBinding(scope, 'ScaleDownCheckRoleBinding', {
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
    subjects: [{ kind: 'ServiceAccount', name: grant.serviceAccountName }],
  });
  return role;
}

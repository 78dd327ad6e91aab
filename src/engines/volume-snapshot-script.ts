/**
 * POSIX sh (busybox in curlimages/curl) for the snapshot CronJob's pod. Environment:
 *   CLAIMS             claim names, separated by spaces
 *   SCHEDULE           the CronJob's name: the `cdk8s-stateful/schedule` label of its snapshots
 *   KEEP               ready snapshots kept per claim
 *   READY_TIMEOUT      seconds to wait for this run's snapshots to be ready to use
 *   SNAPSHOT_TEMPLATE  a VolumeSnapshot as JSON with @NAME@ and @CLAIM@ in place of its name and claim
 * and, for tests only: SERVICE_ACCOUNT_DIR, API_SERVER, TMPDIR, POLL_SECONDS.
 *
 * Order of work: create a snapshot of every claim (one UTC timestamp for the run, so a restore
 * names one run); wait, bounded, until each is ready to use; only then, per claim whose new snapshot
 * is ready, delete its snapshots beyond the newest KEEP ready ones. Any failure makes the run exit 1
 * (a failed Job, for alerting) after the other claims had their turn; a snapshot that is not ready in
 * time leaves every older one of its claim in place.
 */
export const SNAPSHOT_SCRIPT = `set -eu
umask 077
sa=\${SERVICE_ACCOUNT_DIR:-/var/run/secrets/kubernetes.io/serviceaccount}
work=\${TMPDIR:-/tmp}
api="\${API_SERVER:-https://kubernetes.default.svc}/apis/snapshot.storage.k8s.io/v1/namespaces/$(cat "$sa/namespace")/volumesnapshots"
# The token goes through a file, never through argv (which any process can list).
printf 'Authorization: Bearer %s\\n' "$(cat "$sa/token")" > "$work/auth"
# Its own user agent, for the API server's audit log (and because the API server pretty-prints JSON
# for curl's: the patterns below allow spaces either way).
call() { curl -sS -A cdk8s-stateful-snapshots -o "$work/response" -w '%{http_code}' --cacert "$sa/ca.crt" -H "@$work/auth" "$@" || true; }
# fail MESSAGE [response]: the run fails at the end; with 'response', the API server's answer is shown.
fail() {
  echo "$1" >&2
  if [ "\${2:-}" = response ]; then cat "$work/response" >&2 2>/dev/null || true; echo >&2; fi
  failed=1
}
# Ready to use, read with 'list' on one name: the Role grants no 'get'.
ready() {
  code=$(call "$api?fieldSelector=metadata.name%3D$1")
  [ "$code" = 200 ] && grep -q '"readyToUse": *true' "$work/response"
}
failed=0
stamp=$(date -u +%Y%m%d-%H%M%S)

created=''
for claim in $CLAIMS; do
  name="$claim-$stamp"
  printf '%s' "$SNAPSHOT_TEMPLATE" | sed -e "s/@NAME@/$name/g" -e "s/@CLAIM@/$claim/g" > "$work/body"
  code=$(call -X POST -H 'Content-Type: application/json' --data "@$work/body" "$api")
  if [ "$code" = 201 ]; then
    echo "created VolumeSnapshot $name of claim $claim"
    created="$created $claim"
  else
    fail "creating VolumeSnapshot $name of claim $claim: HTTP $code" response
  fi
done

deadline=$(( $(date +%s) + READY_TIMEOUT ))
pending=$created
done_claims=''
while [ -n "$pending" ]; do
  waiting=''
  for claim in $pending; do
    if ready "$claim-$stamp"; then
      echo "VolumeSnapshot $claim-$stamp is ready to use"
      done_claims="$done_claims $claim"
    else
      waiting="$waiting $claim"
    fi
  done
  pending=$waiting
  [ -z "$pending" ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    for claim in $pending; do
      fail "VolumeSnapshot $claim-$stamp is not ready to use after \${READY_TIMEOUT}s: the older snapshots of $claim are kept"
    done
    break
  fi
  sleep "\${POLL_SECONDS:-5}"
done

# Only this schedule's snapshots of the claim (its labels, and names of its pattern), newest first:
# the timestamp in the name sorts as text. Ready ones count towards KEEP; one in progress or failed
# never takes the place of a usable one, and goes once KEEP newer ones are ready.
for claim in $done_claims; do
  code=$(call "$api?labelSelector=cdk8s-stateful%2Fschedule%3D$SCHEDULE%2Ccdk8s-stateful%2Fclaim%3D$claim")
  if [ "$code" != 200 ]; then fail "listing the snapshots of claim $claim: HTTP $code" response; continue; fi
  grep -o "\\"name\\": *\\"$claim-[0-9]\\{8\\}-[0-9]\\{6\\}\\"" "$work/response" | sed -e 's/^"name": *"//' -e 's/"$//' | sort -r -u > "$work/names"
  kept=0
  while read -r old; do
    if [ "$kept" -lt "$KEEP" ]; then
      if ready "$old"; then kept=$((kept + 1)); fi
      continue
    fi
    code=$(call -X DELETE "$api/$old")
    case $code in
      200|202|404) echo "deleted VolumeSnapshot $old: $KEEP newer ones of claim $claim are ready" ;;
      *) fail "deleting VolumeSnapshot $old: HTTP $code" response ;;
    esac
  done < "$work/names"
done
rm -f "$work/auth"
exit $failed
`;

/** The environment as the kubelet gives it to pod `podName`: field refs resolved, `$(VAR)` expanded, Secret keys as `test-<key>`. */
export function podEnv(env: any[], podName: string): Array<[string, string]> {
  const fields: { [path: string]: string } = { 'metadata.name': podName, 'metadata.namespace': 'shop', 'status.podIP': '127.0.0.1' };
  const resolved: Array<[string, string]> = [];
  const known = new Map<string, string>();
  for (const e of env) {
    let value: string;
    if (e.value !== undefined) {
      value = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (ref: string, v: string) => known.get(v) ?? ref);
    } else if (e.valueFrom?.fieldRef) {
      value = fields[e.valueFrom.fieldRef.fieldPath];
      if (value === undefined) { throw new Error(`no test value for field ${e.valueFrom.fieldRef.fieldPath}`); }
    } else if (e.valueFrom?.secretKeyRef) {
      value = `test-${e.valueFrom.secretKeyRef.key}`;
    } else {
      throw new Error(`cannot resolve env ${e.name}`);
    }
    known.set(e.name, value);
    resolved.push([e.name, value]);
  }
  return resolved;
}

/** An IP block: family, the address as a number, and the prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly address: bigint;
  readonly prefix: number;
}

/** Parses `10.0.0.0/16` or `fd00::/8`; undefined for anything else (no prefix, bad digits, zero-padded octets). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) { return undefined; }
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) { return undefined; }
  const prefix = Number(prefixText);
  if (addressText.includes(':')) {
    const address = parseIpv6(addressText);
    return address === undefined || prefix > 128 ? undefined : { family: 6, address, prefix };
  }
  const address = parseIpv4(addressText);
  return address === undefined || prefix > 32 ? undefined : { family: 4, address, prefix };
}

/**
 * Whether `inner` is a strict subset of `outer`, as Kubernetes wants of an ipBlock's `except`:
 * the same family, a longer prefix, and its network inside `outer`.
 */
export function strictlyContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix <= outer.prefix) { return false; }
  const hostBits = BigInt((outer.family === 4 ? 32 : 128) - outer.prefix);
  const block = 2n ** hostBits;
  return outer.address / block === inner.address / block;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) { return undefined; }
  return parts.reduce((acc, p) => acc * 256n + BigInt(Number(p)), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  // A trailing dotted IPv4 (::ffff:10.0.0.1) stands for the last two groups.
  let groups = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (v4 === undefined) { return undefined; }
    groups = `${text.slice(0, lastColon + 1)}${(v4 / 65536n).toString(16)}:${(v4 % 65536n).toString(16)}`;
  }
  const halves = groups.split('::');
  if (halves.length > 2) { return undefined; }
  const split = (s: string) => (s === '' ? [] : s.split(':'));
  const head = split(halves[0]);
  const rest = halves.length === 2 ? split(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) { return undefined; }
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) { return undefined; }
  return all.reduce((acc, g) => acc * 65536n + BigInt(parseInt(g, 16)), 0n);
}

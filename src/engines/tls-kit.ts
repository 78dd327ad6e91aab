import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { ResolvedCertManager } from './tls';
import { Certificate, CertificateSpecPrivateKeyAlgorithm, CertificateSpecPrivateKeyEncoding, CertificateSpecPrivateKeyRotationPolicy, CertificateSpecUsages } from '../imports/cert-manager.io';
import { ClusterDns } from '../private/dns';

/** Where every engine's server container finds its certificate, key and CA: the same on all five. */
export const TLS_DIR = '/etc/tls';
/** The certificate with its chain. */
export const TLS_CERT_FILE = `${TLS_DIR}/tls.crt`;
/** Its private key (unencrypted). */
export const TLS_KEY_FILE = `${TLS_DIR}/tls.key`;
/** The CA that signed every member's certificate. */
export const TLS_CA_FILE = `${TLS_DIR}/ca.crt`;
/**
 * Read-only for the owner (root) and the group (the pods' fsGroup, the server's group): what
 * PostgreSQL accepts for a key owned by root, and enough for every other server.
 */
export const TLS_FILE_MODE = 0o440;

/**
 * A POSIX sh function for an engine's start script: `tls_watch <command...>` checks every
 * `TLS_WATCH_SECONDS` (default 60) in the background whether the mounted certificate files changed
 * (the kubelet swaps a Secret volume atomically when cert-manager renews it) and then runs the
 * engine's reload command, so a renewal needs no restart. A failing reload is logged and retried at
 * the next check, so a server that was still starting picks the files up later.
 */
export const TLS_WATCH_FUNCTION = `tls_watch() {
  (
    seen="$(cat ${TLS_CERT_FILE} ${TLS_KEY_FILE} ${TLS_CA_FILE} 2>/dev/null | cksum)"
    while sleep "\${TLS_WATCH_SECONDS:-60}"; do
      now="$(cat ${TLS_CERT_FILE} ${TLS_KEY_FILE} ${TLS_CA_FILE} 2>/dev/null | cksum)"
      [ "$now" = "$seen" ] && continue
      echo "tls-watch: the certificate files changed: reloading" >&2
      if "$@"; then seen="$now"; else echo "tls-watch: the reload failed; retrying at the next check" >&2; fi
    done
  ) &
}`;

/**
 * A POSIX sh function for start scripts of servers that want the key and its certificate chain in one
 * PEM file (Kafka's PEM keystore, Cassandra's PEMBasedSslContextFactory, MongoDB's
 * certificateKeyFile): `tls_pem_bundle <file> [pkcs8]` writes the key, then the chain (mode 0600,
 * replaced in one rename, so a reload never reads half a file; awk ends every line, so a file
 * without a final newline cannot glue two PEM blocks together). Files without a PEM key or
 * certificate are refused and the old bundle is kept; with `pkcs8`, so is a key in another
 * encoding, with a message that says what was found and how to convert it.
 */
export const TLS_PEM_BUNDLE_FUNCTION = `tls_pem_bundle() {
  grep -q -- '-----BEGIN [A-Z ]*PRIVATE KEY-----' ${TLS_KEY_FILE} || { echo "tls: ${TLS_KEY_FILE} holds no PEM private key" >&2; return 1; }
  grep -q -- '-----BEGIN CERTIFICATE-----' ${TLS_CERT_FILE} || { echo "tls: ${TLS_CERT_FILE} holds no PEM certificate" >&2; return 1; }
  if [ "\${2:-}" = pkcs8 ] && ! grep -q -- '^-----BEGIN PRIVATE KEY-----' ${TLS_KEY_FILE}; then
    found="$(grep -m 1 -- '^-----BEGIN' ${TLS_KEY_FILE})"
    echo "tls: ${TLS_KEY_FILE} holds '\${found}'; this server reads only unencrypted PKCS#8 keys ('PRIVATE KEY'): convert it with 'openssl pkcs8 -topk8 -nocrypt', or have cert-manager write it (privateKey.encoding: PKCS8)" >&2
    return 1
  fi
  (umask 077 && awk 1 ${TLS_KEY_FILE} ${TLS_CERT_FILE} > "$1.new") || return 1
  mv -f "$1.new" "$1"
}`;

/** Every name of a client Service, as clients in and out of the namespace write it. */
export function serviceDnsNames(dns: ClusterDns, service: string): string[] {
  return [service, `${service}.${dns.namespace}`, `${service}.${dns.namespace}.svc`, dns.service(service)];
}

/** The names of a StatefulSet's pods: its headless Service and a wildcard for every pod under it. */
export function podDnsNames(dns: ClusterDns, statefulSet: string): string[] {
  const domain = dns.podDomain(statefulSet);
  const headless = domain.split('.')[0];
  return [...serviceDnsNames(dns, headless), `*.${headless}.${dns.namespace}.svc`, `*.${domain}`];
}

/** What an instance's certificate must name, known only when its sets and Services exist. */
export interface CertificateNames {
  readonly services: () => string[];
  readonly statefulSets: () => string[];
}

/** Writes the cert-manager Certificate of an instance. */
export function certManagerCertificate(scope: Construct, options: {
  readonly name: string;
  readonly secretName: string;
  readonly labels: { [key: string]: string };
  readonly settings: ResolvedCertManager;
  readonly dns: ClusterDns;
  readonly names: CertificateNames;
}): Certificate {
  const s = options.settings;
  const dnsNames = (): string[] => {
    const names = [
      ...options.names.services().flatMap((service) => serviceDnsNames(options.dns, service)),
      ...options.names.statefulSets().flatMap((set) => podDnsNames(options.dns, set)),
      // In-pod clients (probes, tools, sidecars) connect over loopback and verify too.
      'localhost',
      ...s.extraDnsNames,
    ];
    return [...new Set(names)];
  };
  return new Certificate(scope, 'Certificate', {
    metadata: { name: options.name, labels: options.labels },
    spec: {
      secretName: options.secretName,
      // Labels on the Secret, so that it is found with the instance's other objects.
      secretTemplate: { labels: options.labels },
      issuerRef: { name: s.issuerName, kind: s.issuerKind, group: s.issuerGroup },
      commonName: options.name,
      dnsNames: Lazy.any({ produce: dnsNames }) as unknown as string[],
      ipAddresses: ['127.0.0.1'],
      duration: s.duration,
      renewBefore: s.renewBefore,
      privateKey: {
        algorithm: s.algorithm as unknown as CertificateSpecPrivateKeyAlgorithm,
        size: s.size,
        encoding: s.encoding as unknown as CertificateSpecPrivateKeyEncoding,
        // A new key at every renewal: a leaked key is good only until the next one.
        rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
      },
      // Members present the same certificate to each other (Cassandra, Kafka, MongoDB, Patroni).
      usages: [
        CertificateSpecUsages.SERVER_AUTH, CertificateSpecUsages.CLIENT_AUTH,
        CertificateSpecUsages.DIGITAL_SIGNATURE, CertificateSpecUsages.KEY_ENCIPHERMENT,
      ],
    },
  });
}

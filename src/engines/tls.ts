import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { requireWholeSeconds } from '../private/durations';
import { invalid } from '../private/errors';
import { requireDnsSubdomain } from '../private/names';
import { instanceOf, requireKind, requireProps } from '../private/prop-types';

/** The kind of cert-manager issuer that signs an engine's certificate. */
export enum IssuerKind {
  /** An `Issuer` in the instance's namespace. */
  ISSUER = 'Issuer',
  /** A cluster-wide `ClusterIssuer`. */
  CLUSTER_ISSUER = 'ClusterIssuer',
}

/** The algorithm of a generated private key. */
export enum PrivateKeyAlgorithm {
  /** RSA, 2048 bits unless `privateKeySize` says otherwise: what every client library accepts. */
  RSA = 'RSA',
  /** ECDSA on P-256 unless `privateKeySize` says otherwise (384, 521). */
  ECDSA = 'ECDSA',
}

/** How a generated private key is written into the Secret. */
export enum PrivateKeyEncoding {
  /** `BEGIN PRIVATE KEY`: every engine reads it; Kafka and Cassandra read nothing else. */
  PKCS8 = 'PKCS8',
  /** `BEGIN RSA PRIVATE KEY` or `BEGIN EC PRIVATE KEY`: refused for Kafka and Cassandra. */
  PKCS1 = 'PKCS1',
}

/** Options of {@link TlsCertificates.certManager}. */
export interface CertManagerCertificateOptions {
  /**
   * Name of the cert-manager `Issuer` (in the instance's namespace) or `ClusterIssuer` that signs
   * the certificate. It must put the CA into the Secret's `ca.crt` (a CA, self-signed or Vault
   * issuer does), because replicas and clients verify each other against it.
   */
  readonly issuerName: string;
  /** Whether `issuerName` is an `Issuer` or a `ClusterIssuer`. @default IssuerKind.ISSUER */
  readonly issuerKind?: IssuerKind;
  /** API group of an external issuer (e.g. `awspca.cert-manager.io`). @default 'cert-manager.io' */
  readonly issuerGroup?: string;
  /** Name of the Secret cert-manager writes `tls.crt`, `tls.key` and `ca.crt` into. @default '<name>-tls' */
  readonly secretName?: string;
  /** Lifetime of each certificate, from 2 hours. @default Duration.days(90) */
  readonly duration?: Duration;
  /** How long before expiry it is renewed: at least 5 minutes and less than `duration`. @default Duration.days(30) */
  readonly renewBefore?: Duration;
  /** Algorithm of the private key. @default PrivateKeyAlgorithm.ECDSA */
  readonly privateKeyAlgorithm?: PrivateKeyAlgorithm;
  /**
   * Size of the private key: 2048, 3072, 4096 or 8192 for RSA; 256, 384 or 521 for ECDSA.
   * @default - 2048 for RSA, 256 for ECDSA
   */
  readonly privateKeySize?: number;
  /** Encoding of the private key. @default PrivateKeyEncoding.PKCS8 */
  readonly privateKeyEncoding?: PrivateKeyEncoding;
  /**
   * DNS names besides the ones the library adds (every client Service and every pod of every
   * set, in all their short forms, and `localhost`): a load balancer's or an external name.
   * @default - none
   */
  readonly extraDnsNames?: string[];
}

/**
 * Where an engine's TLS certificate, its private key and the CA that signed it come from: a Secret
 * with the keys `tls.crt`, `tls.key` and `ca.crt` (the layout of a `kubernetes.io/tls` Secret with
 * the CA beside it, which cert-manager writes).
 */
export abstract class TlsCertificates {
  /**
   * A Secret you manage, with `tls.crt` (the certificate, with its chain), `tls.key` (its key,
   * unencrypted; PKCS#8 for Kafka and Cassandra) and `ca.crt`. The certificate must name every
   * DNS name clients and replicas use: see docs/security.md for the list of each engine.
   */
  public static fromSecret(secretName: string): TlsCertificates {
    return new SecretCertificates(secretName);
  }

  /**
   * A cert-manager `Certificate` that the library writes, with every DNS name of the instance's
   * Services and pods, the key encoding the engine reads, and usages for server and client
   * authentication (replicas present it to each other). cert-manager renews it; each engine picks
   * the renewed files up as docs/security.md says.
   */
  public static certManager(options: CertManagerCertificateOptions): TlsCertificates {
    return new CertManagerCertificates(options);
  }

  /**
   * Checks the options, in the engine's words, and resolves the Secret's name.
   * @internal
   */
  public abstract _resolve(scope: IConstruct, prop: string, context: TlsContext): ResolvedCertificates;
}

/** The `tls` prop of every engine. */
export interface TlsOptions {
  /** Where the certificate comes from: `TlsCertificates.fromSecret(name)` or `TlsCertificates.certManager({...})`. */
  readonly certificates: TlsCertificates;
  /**
   * Also accept plaintext clients, while apps move to TLS (docs/security.md says the order that
   * avoids downtime per engine). Replication and traffic between members is encrypted either way.
   * @default false - plaintext clients are refused
   */
  readonly allowPlaintext?: boolean;
}

/** What an engine tells the certificate source about itself. @internal */
export interface TlsContext {
  /** The instance name, for the default Secret name. */
  readonly instanceName: string;
  /** Whether the engine reads PKCS#8 keys only (Kafka, Cassandra), and its name for the message. */
  readonly pkcs8Only?: string;
}

/** A certificate source, checked. @internal */
export interface ResolvedCertificates {
  /** The Secret with `tls.crt`, `tls.key` and `ca.crt`. */
  readonly secretName: string;
  /** The cert-manager Certificate to write, when the library writes one. */
  readonly certManager?: ResolvedCertManager;
}

/** A cert-manager Certificate's settings, checked and defaulted. @internal */
export interface ResolvedCertManager {
  readonly issuerName: string;
  readonly issuerKind: IssuerKind;
  readonly issuerGroup: string;
  readonly duration: string;
  readonly renewBefore: string;
  readonly algorithm: PrivateKeyAlgorithm;
  readonly size: number;
  readonly encoding: PrivateKeyEncoding;
  readonly extraDnsNames: string[];
}

class SecretCertificates extends TlsCertificates {
  constructor(private readonly secretName: string) { super(); }

  public _resolve(scope: IConstruct, prop: string): ResolvedCertificates {
    requireKind(scope, `${prop}.fromSecret`, this.secretName, 'string');
    requireDnsSubdomain(scope, `${prop}.fromSecret`, this.secretName);
    return { secretName: this.secretName };
  }
}

const KEY_SIZES: { [algorithm: string]: number[] } = {
  [PrivateKeyAlgorithm.RSA]: [2048, 3072, 4096, 8192],
  [PrivateKeyAlgorithm.ECDSA]: [256, 384, 521],
};
const DAY = 24 * 3600;

class CertManagerCertificates extends TlsCertificates {
  constructor(private readonly options: CertManagerCertificateOptions) { super(); }

  public _resolve(scope: IConstruct, prop: string, context: TlsContext): ResolvedCertificates {
    const p = `${prop}.certManager`;
    const o = this.options;
    const duration = instanceOf(Duration, 'Duration.days(90)');
    requireProps(scope, p, o, {
      issuerName: 'string',
      issuerKind: 'string',
      issuerGroup: 'string',
      secretName: 'string',
      duration,
      renewBefore: duration,
      privateKeyAlgorithm: 'string',
      privateKeySize: 'number',
      privateKeyEncoding: 'string',
      extraDnsNames: 'array',
    });
    if (o.issuerName === undefined) {
      invalid(scope, `${p}.issuerName`, 'is required: the name of the cert-manager Issuer or ClusterIssuer that signs the certificate');
    }
    requireDnsSubdomain(scope, `${p}.issuerName`, o.issuerName);
    const issuerKind = oneOf(scope, `${p}.issuerKind`, o.issuerKind ?? IssuerKind.ISSUER, IssuerKind, 'IssuerKind');
    const issuerGroup = o.issuerGroup ?? 'cert-manager.io';
    requireDnsSubdomain(scope, `${p}.issuerGroup`, issuerGroup);
    const secretName = o.secretName ?? `${context.instanceName}-tls`;
    requireDnsSubdomain(scope, `${p}.secretName`, secretName);
    // cert-manager refuses a duration under an hour and a renewal window not inside it.
    const lifetime = requireWholeSeconds(scope, `${p}.duration`, o.duration ?? Duration.days(90), 2 * 3600, 10 * 365 * DAY, 'cert-manager issues certificates of at least an hour; renewal needs room');
    const renew = requireWholeSeconds(scope, `${p}.renewBefore`, o.renewBefore ?? Duration.days(30), 300, 10 * 365 * DAY, 'at least 5 minutes');
    if (renew >= lifetime) {
      invalid(scope, `${p}.renewBefore`, `must be shorter than duration (${lifetime} s), or the certificate is renewed forever`, `${renew} s`);
    }
    const algorithm = oneOf(scope, `${p}.privateKeyAlgorithm`, o.privateKeyAlgorithm ?? PrivateKeyAlgorithm.ECDSA, PrivateKeyAlgorithm, 'PrivateKeyAlgorithm');
    const sizes = KEY_SIZES[algorithm];
    const size = o.privateKeySize ?? sizes[0];
    if (!sizes.includes(size)) {
      invalid(scope, `${p}.privateKeySize`, `must be one of ${sizes.join(', ')} for ${algorithm}`, String(size));
    }
    const encoding = oneOf(scope, `${p}.privateKeyEncoding`, o.privateKeyEncoding ?? PrivateKeyEncoding.PKCS8, PrivateKeyEncoding, 'PrivateKeyEncoding');
    if (encoding !== PrivateKeyEncoding.PKCS8 && context.pkcs8Only) {
      invalid(scope, `${p}.privateKeyEncoding`, `must be PrivateKeyEncoding.PKCS8: ${context.pkcs8Only} reads unencrypted PKCS#8 keys only`, encoding);
    }
    const extraDnsNames = o.extraDnsNames ?? [];
    extraDnsNames.forEach((name, i) => {
      requireKind(scope, `${p}.extraDnsNames[${i}]`, name, 'string');
      // A leading '*.' is a wildcard name, which certificates may carry.
      requireDnsSubdomain(scope, `${p}.extraDnsNames[${i}]`, name.startsWith('*.') ? name.slice(2) : name);
    });
    return {
      secretName,
      certManager: {
        issuerName: o.issuerName,
        issuerKind,
        issuerGroup,
        duration: goDuration(lifetime),
        renewBefore: goDuration(renew),
        algorithm,
        size,
        encoding,
        extraDnsNames: [...extraDnsNames],
      },
    };
  }
}

function oneOf<T extends string>(scope: IConstruct, prop: string, value: T, values: { [key: string]: string }, enumName: string): T {
  const valid = Object.values(values);
  if (!valid.includes(value)) {
    invalid(scope, prop, `must be one of ${Object.keys(values).map((k) => `${enumName}.${k}`).join(', ')}`, String(value));
  }
  return value;
}

/** Whole hours when they are, so the rendered value reads like cert-manager's own examples ('2160h'). */
function goDuration(seconds: number): string {
  if (seconds % 3600 === 0) { return `${seconds / 3600}h`; }
  if (seconds % 60 === 0) { return `${seconds / 60}m`; }
  return `${seconds}s`;
}

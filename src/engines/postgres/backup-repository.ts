import { IConstruct } from 'constructs';
import { requireSecretKey } from './secret-key';
import { invalid } from '../../private/errors';
import { requireOneOf } from '../../private/guards';
import { requireDnsSubdomain } from '../../private/names';
import { requireKind, requireProps } from '../../private/prop-types';

/** One key of a Secret you manage. */
export interface SecretKeyReference {
  /** Name of the Secret, in the instance's namespace. */
  readonly secretName: string;
  /** Key in the Secret. */
  readonly key: string;
}

/** How the S3 client addresses the bucket. */
export enum S3UriStyle {
  /** `https://<bucket>.<endpoint>/...`: AWS S3 and most providers. */
  HOST = 'host',
  /** `https://<endpoint>/<bucket>/...`: self-hosted stores without per-bucket DNS names. */
  PATH = 'path',
}

/** Options of {@link PgBackRestRepository.s3}. */
export interface S3RepositoryOptions {
  /** The bucket. */
  readonly bucket: string;
  /** The bucket's region (S3 signatures include it). */
  readonly region: string;
  /**
   * The S3 endpoint host name, without scheme or port.
   * @default 's3.<region>.amazonaws.com'
   */
  readonly endpoint?: string;
  /** TCP port of the endpoint. @default 443 */
  readonly port?: number;
  /** @default S3UriStyle.HOST */
  readonly uriStyle?: S3UriStyle;
  /**
   * Path of the repository in the bucket. Several instances can share one: each keeps its backups
   * under its own stanza (its name).
   * @default '/pgbackrest'
   */
  readonly path?: string;
  /** The Secret key that holds the access key id. */
  readonly accessKeyId: SecretKeyReference;
  /** The Secret key that holds the secret access key. */
  readonly secretAccessKey: SecretKeyReference;
  /**
   * A CA certificate (PEM) that signs the endpoint's certificate, for a store with its own CA. The
   * certificate is always verified.
   * @default - the image's system CAs
   */
  readonly caCertificate?: SecretKeyReference;
}

/** Options of {@link PgBackRestRepository.gcs}. */
export interface GcsRepositoryOptions {
  /** The bucket. */
  readonly bucket: string;
  /** @default '/pgbackrest' */
  readonly path?: string;
  /**
   * A service account key (JSON) in a Secret.
   * @default - the pod's own identity (GKE Workload Identity on the instance's ServiceAccount)
   */
  readonly serviceAccountKey?: SecretKeyReference;
}

/** Options of {@link PgBackRestRepository.azure}. */
export interface AzureRepositoryOptions {
  /** The storage account. */
  readonly account: string;
  /** The blob container. */
  readonly container: string;
  /** @default '/pgbackrest' */
  readonly path?: string;
  /** The Secret key that holds the account's shared key, or a SAS token when `sharedAccessSignature`. */
  readonly key: SecretKeyReference;
  /** Whether `key` is a shared access signature instead of the shared key. @default false */
  readonly sharedAccessSignature?: boolean;
}

/** Options of {@link PgBackRestRepository.persistentVolumeClaim}. */
export interface ClaimRepositoryOptions {
  /**
   * Name of an existing claim. Backups run on whichever pod is the primary, so with more than one
   * replica the claim must be ReadWriteMany (NFS, CephFS, EFS, Azure Files...).
   */
  readonly claimName: string;
  /** @default '/pgbackrest' */
  readonly path?: string;
}

/** A volume a repository needs in the pods: one Secret key as a file, or a claim. @internal */
export interface RepositoryMount {
  readonly name: string;
  readonly mountPath: string;
  readonly secret?: { readonly ref: SecretKeyReference; readonly file: string };
  readonly claimName?: string;
}

/** What a repository adds to a pod: pgbackrest.conf lines, secret variables and volumes. @internal */
export interface RepositoryParts {
  /** `repo1-*` options, without the prefix's number (`type`, `path`, `s3-bucket`...). */
  readonly options: Array<[string, string]>;
  /** pgBackRest option variables (`PGBACKREST_REPO1_S3_KEY`) and the Secret keys they read. */
  readonly secrets: Array<[string, SecretKeyReference]>;
  /** Secret files and claims the pods mount. */
  readonly mounts: RepositoryMount[];
  /** What tells two repositories apart: the same identity and stanza is the same backups. */
  readonly identity: string;
}

/**
 * Where pgBackRest keeps base backups and archived WAL: object storage (S3 or compatible, Google
 * Cloud Storage, Azure Blob) or a claim. Credentials always come from Secrets you manage.
 * @see https://pgbackrest.org/configuration.html#section-repository
 */
export abstract class PgBackRestRepository {
  /** An S3 bucket, or a bucket of any S3-compatible store (`endpoint`, `uriStyle: PATH`). */
  public static s3(options: S3RepositoryOptions): PgBackRestRepository {
    return new S3Repository(options);
  }

  /** A Google Cloud Storage bucket. */
  public static gcs(options: GcsRepositoryOptions): PgBackRestRepository {
    return new GcsRepository(options);
  }

  /** An Azure Blob Storage container. */
  public static azure(options: AzureRepositoryOptions): PgBackRestRepository {
    return new AzureRepository(options);
  }

  /** A claim you created, mounted into every pod (ReadWriteMany when there is more than one). */
  public static persistentVolumeClaim(options: ClaimRepositoryOptions): PgBackRestRepository {
    return new ClaimRepository(options);
  }

  /** The repository type pgBackRest knows it by: `s3`, `gcs`, `azure` or `posix`. */
  public abstract readonly repositoryType: string;

  /**
   * Checks the options and renders them; `volumePrefix` keeps the volumes of two repositories apart.
   * @internal
   */
  public abstract _bind(scope: IConstruct, prop: string, volumePrefix: string): RepositoryParts;
}

const DEFAULT_PATH = '/pgbackrest';

function repositoryPath(scope: IConstruct, prop: string, path: string | undefined): string {
  const value = path ?? DEFAULT_PATH;
  requireKind(scope, prop, value, 'string');
  if (!/^\/[A-Za-z0-9._\/-]*$/.test(value) || value.split('/').includes('..')) {
    invalid(scope, prop, "must be an absolute path of letters, digits, '.', '_', '-' and '/', without '..'", value);
  }
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}

/** A Secret key as a file, mounted read-only at `<dir>/<file>`. */
function secretFile(name: string, ref: SecretKeyReference, dir: string, file: string): RepositoryMount {
  return { name, mountPath: dir, secret: { ref, file } };
}

/** A DNS name or an IPv4 address, as an endpoint host. */
function requireHost(scope: IConstruct, prop: string, value: unknown): string {
  requireKind(scope, prop, value, 'string');
  const host = value as string;
  if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(host) || host.includes('..')) {
    invalid(scope, prop, 'must be a host name or IP address, without scheme, port or path', value);
  }
  return host;
}

class S3Repository extends PgBackRestRepository {
  public readonly repositoryType = 's3';
  constructor(private readonly options: S3RepositoryOptions) { super(); }
  public _bind(scope: IConstruct, prop: string, volumePrefix: string): RepositoryParts {
    requireProps(scope, prop, this.options, {
      bucket: 'string',
      region: 'string',
      endpoint: 'string',
      port: 'integer',
      uriStyle: 'string',
      path: 'string',
      accessKeyId: 'object',
      secretAccessKey: 'object',
      caCertificate: 'object',
    });
    const o = this.options;
    // S3 bucket names are DNS labels joined by dots (3-63 characters).
    if (typeof o.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(o.bucket)) {
      invalid(scope, `${prop}.bucket`, "must be an S3 bucket name (3-63 lower-case letters, digits, '.' and '-')", o.bucket);
    }
    if (typeof o.region !== 'string' || !/^[a-z0-9-]{1,32}$/.test(o.region)) {
      invalid(scope, `${prop}.region`, "must be a region name such as 'eu-west-1'", o.region);
    }
    const endpoint = o.endpoint === undefined ? `s3.${o.region}.amazonaws.com` : requireHost(scope, `${prop}.endpoint`, o.endpoint);
    const uriStyle = o.uriStyle === undefined ? S3UriStyle.HOST : requireOneOf(scope, `${prop}.uriStyle`, o.uriStyle, Object.values(S3UriStyle));
    const options: Array<[string, string]> = [
      ['type', 's3'],
      ['path', repositoryPath(scope, `${prop}.path`, o.path)],
      ['s3-bucket', o.bucket],
      ['s3-endpoint', endpoint],
      ['s3-region', o.region],
      ['s3-uri-style', uriStyle],
    ];
    if (o.port !== undefined) {
      if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) { invalid(scope, `${prop}.port`, 'must be a port number, an integer from 1 to 65535', o.port); }
      options.push(['storage-port', String(o.port)]);
    }
    const mounts: RepositoryMount[] = [];
    if (o.caCertificate !== undefined) {
      mounts.push(secretFile(`${volumePrefix}-ca`, requireSecretKey(scope, `${prop}.caCertificate`, o.caCertificate), `/etc/pgbackrest/${volumePrefix}-ca`, 'ca.crt'));
      options.push(['storage-ca-file', `/etc/pgbackrest/${volumePrefix}-ca/ca.crt`]);
    }
    return {
      options,
      secrets: [
        ['S3_KEY', requireSecretKey(scope, `${prop}.accessKeyId`, o.accessKeyId)],
        ['S3_KEY_SECRET', requireSecretKey(scope, `${prop}.secretAccessKey`, o.secretAccessKey)],
      ],
      mounts,
      identity: `s3://${endpoint}:${o.port ?? 443}/${o.bucket}${repositoryPath(scope, `${prop}.path`, o.path)}`,
    };
  }
}

class GcsRepository extends PgBackRestRepository {
  public readonly repositoryType = 'gcs';
  constructor(private readonly options: GcsRepositoryOptions) { super(); }
  public _bind(scope: IConstruct, prop: string, volumePrefix: string): RepositoryParts {
    requireProps(scope, prop, this.options, { bucket: 'string', path: 'string', serviceAccountKey: 'object' });
    const o = this.options;
    if (typeof o.bucket !== 'string' || !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(o.bucket)) {
      invalid(scope, `${prop}.bucket`, "must be a Cloud Storage bucket name (lower-case letters, digits, '.', '_' and '-')", o.bucket);
    }
    const path = repositoryPath(scope, `${prop}.path`, o.path);
    const options: Array<[string, string]> = [['type', 'gcs'], ['path', path], ['gcs-bucket', o.bucket]];
    const mounts: RepositoryMount[] = [];
    if (o.serviceAccountKey === undefined) {
      options.push(['gcs-key-type', 'auto']);
    } else {
      mounts.push(secretFile(`${volumePrefix}-gcs-key`, requireSecretKey(scope, `${prop}.serviceAccountKey`, o.serviceAccountKey), `/etc/pgbackrest/${volumePrefix}-gcs`, 'key.json'));
      options.push(['gcs-key-type', 'service'], ['gcs-key', `/etc/pgbackrest/${volumePrefix}-gcs/key.json`]);
    }
    return { options, secrets: [], mounts, identity: `gcs://${o.bucket}${path}` };
  }
}

class AzureRepository extends PgBackRestRepository {
  public readonly repositoryType = 'azure';
  constructor(private readonly options: AzureRepositoryOptions) { super(); }
  public _bind(scope: IConstruct, prop: string): RepositoryParts {
    requireProps(scope, prop, this.options, { account: 'string', container: 'string', path: 'string', key: 'object', sharedAccessSignature: 'boolean' });
    const o = this.options;
    if (typeof o.account !== 'string' || !/^[a-z0-9]{3,24}$/.test(o.account)) {
      invalid(scope, `${prop}.account`, 'must be a storage account name (3-24 lower-case letters and digits)', o.account);
    }
    if (typeof o.container !== 'string' || !/^[a-z0-9](-?[a-z0-9]){2,62}$/.test(o.container)) {
      invalid(scope, `${prop}.container`, "must be a blob container name (3-63 lower-case letters, digits and single '-')", o.container);
    }
    const path = repositoryPath(scope, `${prop}.path`, o.path);
    return {
      options: [
        ['type', 'azure'], ['path', path], ['azure-account', o.account], ['azure-container', o.container],
        ['azure-key-type', o.sharedAccessSignature ? 'sas' : 'shared'],
      ],
      secrets: [['AZURE_KEY', requireSecretKey(scope, `${prop}.key`, o.key)]],
      mounts: [],
      identity: `azure://${o.account}/${o.container}${path}`,
    };
  }
}

/** Where a claim repository is mounted in the pods. */
const CLAIM_MOUNT = '/var/lib/pgbackrest';

class ClaimRepository extends PgBackRestRepository {
  public readonly repositoryType = 'posix';
  constructor(private readonly options: ClaimRepositoryOptions) { super(); }
  public _bind(scope: IConstruct, prop: string, volumePrefix: string): RepositoryParts {
    requireProps(scope, prop, this.options, { claimName: 'string', path: 'string' });
    const o = this.options;
    if (o.claimName === undefined) { invalid(scope, `${prop}.claimName`, 'is required: the name of an existing PersistentVolumeClaim'); }
    requireDnsSubdomain(scope, `${prop}.claimName`, o.claimName);
    const path = repositoryPath(scope, `${prop}.path`, o.path);
    const mountPath = `${CLAIM_MOUNT}-${volumePrefix}`;
    return {
      options: [['type', 'posix'], ['path', `${mountPath}${path === '/' ? '' : path}`]],
      secrets: [],
      mounts: [{ name: `${volumePrefix}-claim`, mountPath, claimName: o.claimName }],
      identity: `claim://${o.claimName}${path}`,
    };
  }
}

/**
 * Where an app connects, the same core on every engine: plain values, usable with any cdk8s-plus
 * version or none. Each engine's connection extends it with the parts it has
 * ({@link ConnectionCredentials}, {@link ReadOnlyEndpoint}) and what is its own (the database, the
 * seed list, the bootstrap servers), always under the same names.
 */
export interface EngineConnection {
  /** DNS name of the read-write (or only) client Service. */
  readonly host: string;
  /** Port of the client Services. */
  readonly port: number;
  /**
   * What a client needs for TLS, when the instance has it.
   * @default - no TLS
   */
  readonly tls?: ConnectionTls;
}

/** TLS as a client sees it. */
export interface ConnectionTls {
  /** Whether the server refuses plaintext clients (false only with `tls.allowPlaintext`). */
  readonly required: boolean;
  /** Name of the Secret that holds the CA certificate to verify the servers with. */
  readonly caSecretName: string;
  /** Key of the CA certificate in that Secret (`ca.crt`). */
  readonly caKey: string;
  /**
   * Where `addConnectionEnv()` mounts the CA certificate in the app's container, and where `uri`
   * and `<prefix>_CA_FILE` say it is: mount it there yourself when you use `connectionEnv()`.
   */
  readonly caFile: string;
}

/** The read-only endpoint of an engine that has one (Postgres, MySQL). */
export interface ReadOnlyEndpoint {
  /** DNS name of the read-only Service, which spreads reads over every member (they may lag). */
  readonly readOnlyHost: string;
}

/** The credentials of an engine that takes them (Postgres, MySQL, MongoDB), and its client URI. */
export interface ConnectionCredentials {
  /** The user to connect as (the administrative user: create your apps' own users). */
  readonly username: string;
  /** Name of the Secret that holds the password. */
  readonly secretName: string;
  /** Key of the password in that Secret. */
  readonly passwordKey: string;
  /**
   * The environment variable that `uri` expects the password in, as `connectionEnv()` defines it
   * from the Secret, before the variable that holds the URI (Kubernetes expands `$(...)` only
   * from variables defined earlier).
   */
  readonly passwordVariable: string;
  /**
   * A ready-made client URI with `$(<passwordVariable>)` in place of the password (never the
   * password itself), e.g. `postgresql://postgres:$(POSTGRES_PASSWORD)@orders.shop.svc.cluster.local:5432/postgres`.
   * A password from your own Secret must be URL-safe for it (generated ones are).
   */
  readonly uri: string;
}

/** Options of `connectionEnv()` and `addConnectionEnv()`. */
export interface ConnectionEnvOptions {
  /**
   * Prefix of the variable names (`<prefix>_HOST`, `<prefix>_PORT`, `<prefix>_PASSWORD`...):
   * letters, digits and '_', not starting with a digit.
   * @default - the engine's name in capitals: POSTGRES, MYSQL, MONGODB, CASSANDRA, KAFKA
   */
  readonly prefix?: string;
}

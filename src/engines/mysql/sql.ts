/*
 * Every SQL statement the bootstrap scripts send, built here so that unit tests assert them exactly.
 * Passwords are only known inside the pod: builders take them as an already quoted SQL literal,
 * which the scripts produce at run time (`sql_quote`, in scripts.ts). Everything else is known
 * at synth time and quoted here. Supported versions are 8.0.23 and newer, which all speak the
 * CHANGE REPLICATION SOURCE / START REPLICA syntax (8.4 and 9.x no longer know the old one).
 */

/** The account replicas replicate and clone with. */
export const REPLICATION_USER = 'replication';

/** A MySQL string literal (default sql_mode: backslash is an escape character). */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, '\'\'')}'`;
}

/** TLS of the connections a replica opens to its source: the CA that signed the source's certificate. */
export interface ReplicationTls {
  readonly caFile: string;
}

/** Run on the source when its data directory is initialised (first boot only). */
export function createReplicationUserSql(passwordLiteral: string): string[] {
  const user = `${sqlString(REPLICATION_USER)}@'%'`;
  return [
    // Named, not the server default: caching_sha2_password (SHA-256 with a salt), never mysql_native_password.
    `CREATE USER IF NOT EXISTS ${user} IDENTIFIED WITH caching_sha2_password BY ${passwordLiteral};`,
    // REPLICATION SLAVE streams the binary log; BACKUP_ADMIN lets the account be a clone donor's user.
    `GRANT REPLICATION SLAVE, BACKUP_ADMIN ON *.* TO ${user};`,
  ];
}

/**
 * Accounts that could log in without a password (anonymous ones, or any without a credential, not
 * locked), as the statements that lock them: one `ALTER USER ... ACCOUNT LOCK;` line each, names
 * quoted by the server (QUOTE). `mysqld --initialize` and the image's entrypoint create none;
 * init-source.sh runs whatever this prints.
 */
export const PASSWORDLESS_ACCOUNTS_SQL = 'SELECT CONCAT(\'ALTER USER \', QUOTE(user), \'@\', QUOTE(host), \' ACCOUNT LOCK;\') FROM mysql.user'
  + ' WHERE account_locked = \'N\' AND (user = \'\' OR authentication_string = \'\');';

/** Run on a throwaway local instance of a replica whose data directory is empty: copies the source into `cloneDir`. */
export function cloneSql(sourceHost: string, port: number, passwordLiteral: string, cloneDir: string, tls?: ReplicationTls): string[] {
  return [
    `SET GLOBAL clone_valid_donor_list = ${sqlString(`${sourceHost}:${port}`)};`,
    // With tls: the donor's certificate is checked against the CA, and the clone refuses a plaintext connection.
    ...tls ? [`SET GLOBAL clone_ssl_ca = ${sqlString(tls.caFile)};`] : [],
    `CLONE INSTANCE FROM ${sqlString(REPLICATION_USER)}@${sqlString(sourceHost)}:${port} IDENTIFIED BY ${passwordLiteral} DATA DIRECTORY = ${sqlString(cloneDir)}${tls ? ' REQUIRE SSL' : ''};`,
  ];
}

/**
 * Run on every replica start, with the server started without networking and with replication
 * not started (so nothing to stop): points the channel at the current source. With GTID auto-positioning this is
 * idempotent, and it follows a change of `primary` or of the replication password.
 */
export function changeSourceSql(sourceHost: string, port: number, passwordLiteral: string, tls?: ReplicationTls): string[] {
  return [
    'CHANGE REPLICATION SOURCE TO ' + [
      `SOURCE_HOST = ${sqlString(sourceHost)}`,
      `SOURCE_PORT = ${port}`,
      `SOURCE_USER = ${sqlString(REPLICATION_USER)}`,
      `SOURCE_PASSWORD = ${passwordLiteral}`,
      'SOURCE_AUTO_POSITION = 1',
      // Encrypted always; with tls also verified: the CA signed it and it names SOURCE_HOST (a pod's DNS name).
      'SOURCE_SSL = 1',
      ...tls ? [`SOURCE_SSL_CA = ${sqlString(tls.caFile)}`, 'SOURCE_SSL_VERIFY_SERVER_CERT = 1'] : [],
      'GET_SOURCE_PUBLIC_KEY = 1',
    ].join(', ') + ';',
  ];
}

/** Run on a live replica (repoint.sh): re-points it without a restart. */
export function repointSql(sourceHost: string, port: number, passwordLiteral: string, tls?: ReplicationTls): string[] {
  return ['STOP REPLICA;', ...changeSourceSql(sourceHost, port, passwordLiteral, tls), 'START REPLICA;'];
}

/** Reloads the certificate, key and CA from their files for new connections (8.0.16+), without a restart. */
export const RELOAD_TLS_SQL = 'ALTER INSTANCE RELOAD TLS;';

/** Run by hand (promote.sh) on the replica that becomes the source during a failover. */
export function promoteSql(): string[] {
  return [
    'STOP REPLICA;',
    'RESET REPLICA ALL;',
    'SET GLOBAL super_read_only = OFF;',
    'SET GLOBAL read_only = OFF;',
  ];
}

/** Readiness of the source: it answers and accepts writes. Prints 0. */
export const SOURCE_READY_SQL = 'SELECT @@global.read_only;';
/** The answer of {@link SOURCE_READY_SQL} on a ready source. */
export const SOURCE_READY_ANSWER = '0';

/** Readiness of a replica: both replication threads run (receiver connected, applier on). Prints ON/ON. */
export const REPLICA_READY_SQL = 'SELECT CONCAT(c.SERVICE_STATE, \'/\', a.SERVICE_STATE)'
  + ' FROM performance_schema.replication_connection_status AS c'
  + ' JOIN performance_schema.replication_applier_status AS a ON a.CHANNEL_NAME = c.CHANNEL_NAME'
  + ' WHERE c.CHANNEL_NAME = \'\';';
/** The answer of {@link REPLICA_READY_SQL} on a ready replica. */
export const REPLICA_READY_ANSWER = 'ON/ON';

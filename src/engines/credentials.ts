import { IConstruct } from 'constructs';
import { CURL_IMAGE } from './job-kit';
import { invalid } from '../private/errors';
import { requireDnsSubdomain, requireSecretKeyName } from '../private/names';
import { requireKind, requireProps } from '../private/prop-types';
import { requirePinnedImage } from '../private/resources';

/** Options of {@link Credentials.generated}. */
export interface GeneratedCredentialsOptions {
  /** Name of the Secret the passwords are kept in. @default '<name>-credentials' */
  readonly secretName?: string;
  /**
   * Image of the one-shot Job that creates the Secret. It needs `sh`, `head`, `tr` and `curl`.
   * @default 'curlimages/curl:8.11.1'
   */
  readonly generatorImage?: string;
}

/**
 * Where an engine's passwords come from. No password is ever written into the synthesized YAML:
 * either the cluster generates them on first install, or they come from a Secret you manage.
 */
export abstract class Credentials {
  /**
   * Passwords generated inside the cluster on first install: a small Job creates the Secret with
   * random values only if it does not exist yet, so re-synth and re-apply never change them.
   */
  public static generated(options: GeneratedCredentialsOptions = {}): Credentials {
    return new GeneratedCredentials(options);
  }

  /**
   * A Secret you create (by hand, External Secrets, Sealed Secrets...). It must hold the keys
   * the engine documents (for example `password` and `replication-password`); `keys` renames them.
   */
  public static fromSecret(secretName: string, keys: { [logicalKey: string]: string } = {}): Credentials {
    return new ExistingCredentials(secretName, keys);
  }

  /** The Secret's name, given the engine instance's name. */
  public abstract secretNameFor(instanceName: string): string;

  /** The key in the Secret under which `logicalKey` (`password`, `replication-password`...) is stored. */
  public abstract keyFor(logicalKey: string): string;

  /** Whether the library must generate the Secret in the cluster. */
  public abstract get generatesSecret(): boolean;

  /** Image of the generator Job, when the Secret is generated. */
  public abstract get generatorImage(): string | undefined;

  /**
   * Checks the options against the keys the engine uses, in the engine's words.
   * @internal
   */
  public abstract _validate(scope: IConstruct, prop: string, logicalKeys: string[]): void;
}

class GeneratedCredentials extends Credentials {
  constructor(private readonly options: GeneratedCredentialsOptions) { super(); }
  public secretNameFor(instanceName: string): string { return this.options.secretName ?? `${instanceName}-credentials`; }
  public keyFor(logicalKey: string): string { return logicalKey; }
  public get generatesSecret(): boolean { return true; }
  public get generatorImage(): string | undefined { return this.options.generatorImage ?? CURL_IMAGE; }
  public _validate(scope: IConstruct, prop: string): void {
    requireProps(scope, `${prop}.generated`, this.options, { secretName: 'string', generatorImage: 'string' });
    if (this.options.secretName !== undefined) { requireDnsSubdomain(scope, `${prop}.secretName`, this.options.secretName); }
    if (this.options.generatorImage !== undefined) { requirePinnedImage(scope, `${prop}.generatorImage`, this.options.generatorImage); }
  }
}

class ExistingCredentials extends Credentials {
  constructor(private readonly secretName: string, private readonly keys: { [logicalKey: string]: string }) { super(); }
  public secretNameFor(): string { return this.secretName; }
  public keyFor(logicalKey: string): string { return this.keys[logicalKey] ?? logicalKey; }
  public get generatesSecret(): boolean { return false; }
  public get generatorImage(): string | undefined { return undefined; }
  public _validate(scope: IConstruct, prop: string, logicalKeys: string[]): void {
    requireKind(scope, `${prop}.secretName`, this.secretName, 'string');
    requireDnsSubdomain(scope, `${prop}.secretName`, this.secretName);
    requireKind(scope, `${prop}.keys`, this.keys, 'string-map');
    for (const [logical, key] of Object.entries(this.keys)) {
      // A misspelt logical key would leave the engine reading a key that does not exist.
      if (!logicalKeys.includes(logical)) {
        invalid(scope, `${prop}.keys.${logical}`, `is not a key this engine reads; valid: ${logicalKeys.join(', ')}`);
      }
      requireSecretKeyName(scope, `${prop}.keys.${logical}`, key);
    }
  }
}

/*
 * A fake MongoDB replica set for running the replica-set agent (the mongosh script the pods run)
 * in node: `Mongo`, `print`, `quit`, `process.env` and `require('fs')` are what the script uses of
 * mongosh, and the fake servers answer the commands it sends the way mongod does (hello without
 * authentication, replSetGetStatus NotYetInitialized, the localhost exception while no user exists,
 * the quorum check of replSetInitiate, replSetReconfig only on the primary...).
 *
 * No MongoDB server can be installed on this machine, so this is how the agent's decisions are tested;
 * what it does not prove (the real server's answers) is listed in docs/engines/mongodb.md.
 */
import * as vm from 'vm';

export type MemberState = 'PRIMARY' | 'SECONDARY' | 'ARBITER' | 'STARTUP' | 'REMOVED';

export interface FakeMember { _id: number; host: string; arbiterOnly?: boolean; votes?: number; priority?: number }
export interface FakeConfig { _id: string; version: number; members: FakeMember[] }

export class FakeNode {
  public up = true;
  public config?: FakeConfig;
  public state: MemberState = 'STARTUP';
  public users = new Map<string, string>();
  constructor(public readonly host: string) {}
}

export interface Call { host: string; command: string; auth: boolean; body: any }

class ServerError extends Error {
  constructor(public readonly code: number, public readonly codeName: string, message: string) {
    super(message);
    this.name = 'MongoServerError';
  }
}

export class FakeCluster {
  public readonly nodes = new Map<string, FakeNode>();
  public readonly calls: Call[] = [];
  /** Every connection string the script opened, in order. */
  public readonly uris: string[] = [];
  /** Every config a reconfig installed, in order. */
  public readonly history: FakeConfig[] = [];

  public node(host: string): FakeNode {
    let n = this.nodes.get(host);
    if (!n) { n = new FakeNode(host); this.nodes.set(host, n); }
    return n;
  }

  /** Installs a set as if it had been initiated long ago: config on every member, a primary, the root user. */
  public establish(name: string, hosts: string[], primary: string,
    options: { arbiter?: string; password?: string; version?: number } = {}): FakeConfig {
    const members: FakeMember[] = hosts.map((host, i) => ({ _id: i, host }));
    if (options.arbiter) { members.push({ _id: hosts.length, host: options.arbiter, arbiterOnly: true }); }
    const config: FakeConfig = { _id: name, version: options.version ?? 1, members };
    for (const m of members) {
      const n = this.node(m.host);
      n.config = clone(config);
      n.state = m.arbiterOnly ? 'ARBITER' : m.host === primary ? 'PRIMARY' : 'SECONDARY';
      if (options.password !== undefined && !m.arbiterOnly) { n.users.set('root', options.password); }
    }
    return config;
  }

  public commands(name: string): Call[] {
    return this.calls.filter((c) => c.command === name);
  }

  /** What the script's `new Mongo(uri)` returns, for a script running in the pod of `selfHost`. */
  public mongoClass(selfHost: string): new (uri: string) => { getDB(name: string): { runCommand(cmd: any): any } } {
    const cluster = this;
    return class {
      private readonly host: string;
      private readonly local: boolean;
      private readonly credentials?: [string, string];
      constructor(uri: string) {
        const m = /^mongodb:\/\/(?:([^:@/]*):([^@/]*)@)?([^/]+)\/\?(.*)$/.exec(uri);
        if (!m) { throw new Error(`fake: unexpected uri ${uri}`); }
        cluster.uris.push(uri);
        this.local = m[3].startsWith('localhost:');
        this.host = this.local ? selfHost : m[3];
        this.credentials = m[1] !== undefined ? [decodeURIComponent(m[1]), decodeURIComponent(m[2])] : undefined;
      }
      public getDB(db: string) {
        if (db !== 'admin') { throw new Error(`fake: unexpected db ${db}`); }
        return { runCommand: (cmd: any) => cluster.run(this.host, this.local, this.credentials, cmd) };
      }
    };
  }

  public run(host: string, local: boolean, credentials: [string, string] | undefined, cmd: any): any {
    const command = Object.keys(cmd)[0];
    this.calls.push({ host, command, auth: credentials !== undefined, body: clone(cmd) });
    const node = this.nodes.get(host);
    if (!node || !node.up) {
      const e = new Error(`connect ECONNREFUSED ${host}`);
      e.name = 'MongoServerSelectionError';
      throw e;
    }
    if (credentials && node.users.get(credentials[0]) !== credentials[1]) {
      throw new ServerError(18, 'AuthenticationFailed', 'Authentication failed.');
    }
    const authenticated = credentials !== undefined;
    const localhostException = local && node.users.size === 0;
    if (command === 'hello') { return this.hello(node); }
    if (!authenticated && !localhostException) {
      throw new ServerError(13, 'Unauthorized', `command ${command} requires authentication`);
    }
    switch (command) {
      case 'connectionStatus': return { ok: 1 };
      case 'replSetGetStatus': return this.status(node);
      case 'replSetStepDown': return this.stepDown(node);
      case 'replSetInitiate': return this.initiate(node, cmd.replSetInitiate);
      case 'replSetGetConfig':
        if (!node.config) { throw new ServerError(94, 'NotYetInitialized', 'no replset config has been received'); }
        return { ok: 1, config: clone(node.config) };
      case 'replSetReconfig': return this.reconfig(node, cmd.replSetReconfig);
      case 'createUser': return this.createUser(node, cmd.createUser, cmd.pwd);
      default: throw new ServerError(59, 'CommandNotFound', `no such command: '${command}'`);
    }
  }

  private status(node: FakeNode): any {
    if (!node.config) { throw new ServerError(94, 'NotYetInitialized', 'no replset config has been received'); }
    if (node.state === 'REMOVED') { throw new ServerError(93, 'InvalidReplicaSetConfig', 'Our replica set config is invalid or we are not a member of it'); }
    const stateCode = (s: MemberState) => ({ PRIMARY: 1, SECONDARY: 2, ARBITER: 7, STARTUP: 0, REMOVED: 10 })[s];
    // Heartbeats: a member that is down answers none, and is reported with health 0.
    const members = node.config.members.map((m) => {
      const n = this.nodes.get(m.host);
      const self = n === node;
      const up = n !== undefined && n.up && n.config?._id === node.config!._id;
      return { _id: m._id, name: m.host, health: up ? 1 : 0, state: up ? stateCode(n!.state) : 8, ...self ? { self: true } : {} };
    });
    return { ok: 1, set: node.config._id, myState: stateCode(node.state), members };
  }

  /** rs.stepDown(): an electable secondary that is up becomes the primary, or the command fails. */
  private stepDown(node: FakeNode): any {
    if (node.state !== 'PRIMARY' || !node.config) { throw new ServerError(10107, 'NotWritablePrimary', 'not primary'); }
    const next = node.config.members.find((m) => {
      const n = this.nodes.get(m.host);
      return n !== node && n?.up && n.state === 'SECONDARY' && !m.arbiterOnly && (m.votes ?? 1) > 0 && (m.priority ?? 1) > 0;
    });
    if (!next) { throw new ServerError(262, 'ExceededTimeLimit', 'No electable secondaries caught up as of now'); }
    node.state = 'SECONDARY';
    this.nodes.get(next.host)!.state = 'PRIMARY';
    return { ok: 1 };
  }

  private hello(node: FakeNode): any {
    if (!node.config || node.state === 'REMOVED') {
      return { ok: 1, isWritablePrimary: false, secondary: false, isreplicaset: true, info: 'Does not have a valid replica set config' };
    }
    const primary = node.config.members.map((m) => this.nodes.get(m.host)).find((n) => n?.up && n.state === 'PRIMARY' && n.config?._id === node.config!._id);
    return {
      ok: 1,
      setName: node.config._id,
      isWritablePrimary: node.state === 'PRIMARY',
      secondary: node.state === 'SECONDARY',
      arbiterOnly: node.state === 'ARBITER' ? true : undefined,
      primary: primary?.host,
    };
  }

  private initiate(node: FakeNode, config: { _id: string; members: FakeMember[] }): any {
    if (node.config) { throw new ServerError(23, 'AlreadyInitialized', 'already initialized'); }
    if (!config.members.some((m) => m.host === node.host)) {
      throw new ServerError(74, 'InvalidReplicaSetConfig', 'No host described in new configuration with {version: 1} maps to this node');
    }
    // replSetInitiate's quorum check: every member must answer, and none may have a config already.
    for (const m of config.members) {
      const other = this.nodes.get(m.host);
      if (!other || !other.up) {
        throw new ServerError(74, 'NodeNotFound', `replSetInitiate quorum check failed because not all proposed set members responded affirmatively: ${m.host} failed`);
      }
      if (other !== node && other.config) {
        throw new ServerError(74, 'NodeNotFound', `replSetInitiate quorum check failed: ${m.host} is already initialized`);
      }
    }
    const installed: FakeConfig = { _id: config._id, version: 1, members: clone(config.members) };
    for (const m of config.members) {
      const n = this.nodes.get(m.host)!;
      n.config = clone(installed);
      n.state = m.arbiterOnly ? 'ARBITER' : n === node ? 'PRIMARY' : 'SECONDARY';
    }
    return { ok: 1 };
  }

  private reconfig(node: FakeNode, config: FakeConfig): any {
    if (node.state !== 'PRIMARY' || !node.config) { throw new ServerError(10107, 'NotWritablePrimary', 'not primary'); }
    if (config.version !== node.config.version + 1 || config._id !== node.config._id) {
      throw new ServerError(103, 'NewReplicaSetConfigurationIncompatible', 'version or name mismatch');
    }
    // What MongoDB checks of a new config: the primary stays in it, one voter at most is added,
    // removed or changes its vote (without force), and a majority of the new voters installs it.
    if (!config.members.some((m) => m.host === node.host)) {
      throw new ServerError(74, 'InvalidReplicaSetConfig', `No host described in new configuration with {version: ${config.version}} maps to this node`);
    }
    const votes = (c: FakeConfig) => new Map(c.members.map((m) => [m.host, (m.votes ?? 1) > 0 ? 1 : 0]));
    const [was, will] = [votes(node.config), votes(config)];
    const changed = [...new Set([...was.keys(), ...will.keys()])].filter((h) => (was.get(h) ?? 0) !== (will.get(h) ?? 0));
    if (changed.length > 1) {
      throw new ServerError(103, 'NewReplicaSetConfigurationIncompatible', `only one voting member may be added or removed at a time, got ${changed.join(', ')}`);
    }
    const voters = config.members.filter((m) => (m.votes ?? 1) > 0);
    const upVoters = voters.filter((m) => this.nodes.get(m.host)?.up);
    if (upVoters.length * 2 <= voters.length) {
      throw new ServerError(50, 'MaxTimeMSExpired', 'operation exceeded time limit: the new config did not reach a majority of its voters');
    }
    const before = new Set(node.config.members.map((m) => m.host));
    const after = new Set(config.members.map((m) => m.host));
    for (const m of node.config.members) {
      const n = this.nodes.get(m.host);
      if (n && !after.has(m.host)) { n.state = 'REMOVED'; n.config = clone(config); }
    }
    this.history.push(clone(config));
    for (const m of config.members) {
      const n = this.node(m.host);
      n.config = clone(config);
      if ((!before.has(m.host) || n.state === 'REMOVED') && n.up) {
        n.state = m.arbiterOnly ? 'ARBITER' : 'SECONDARY';
        if (!m.arbiterOnly) { n.users = new Map(node.users); }
      }
    }
    return { ok: 1 };
  }

  private createUser(node: FakeNode, user: string, pwd: string): any {
    if (node.state !== 'PRIMARY' || !node.config) { throw new ServerError(10107, 'NotWritablePrimary', 'not primary'); }
    if (node.users.has(user)) { throw new ServerError(51003, 'Location51003', `User "${user}@admin" already exists`); }
    for (const m of node.config.members) {
      const n = this.nodes.get(m.host);
      if (n && !m.arbiterOnly && n.config?._id === node.config._id) { n.users.set(user, pwd); }
    }
    return { ok: 1 };
  }
}

export interface AgentRun {
  /** The script's exit code (quit's argument). */
  code: number;
  /** What it printed. */
  output: string[];
}

/**
 * Runs the agent script text, as mongosh --nodb would, in the pod `podName` whose MEMBER_HOST is `selfHost`.
 */
export function runAgent(script: string, settingsJson: string, cluster: FakeCluster,
  env: { podName: string; selfHost: string; role?: string; password?: string }): AgentRun {
  const output: string[] = [];
  const exit = Symbol('quit');
  let code: number | undefined;
  const context = vm.createContext({
    Mongo: cluster.mongoClass(env.selfHost),
    print: (...args: unknown[]) => output.push(args.join(' ')),
    quit: (c?: number) => { code = c ?? 0; throw exit; },
    require: (module: string) => {
      if (module !== 'fs') { throw new Error(`fake: require('${module}')`); }
      return { readFileSync: (path: string) => { if (path !== '/etc/mongod/replica-set.json') { throw new Error(`fake: read ${path}`); } return settingsJson; } };
    },
    process: {
      env: {
        POD_NAME: env.podName,
        MEMBER_HOST: env.selfHost,
        MEMBER_ROLE: env.role ?? 'data',
        REPLICA_SET_FILE: '/etc/mongod/replica-set.json',
        MONGODB_ROOT_PASSWORD: env.password ?? 's3cret',
      },
    },
  });
  try {
    vm.runInContext(script, context, { filename: 'replica-set.js' });
  } catch (e) {
    if (e !== exit) { throw e; }
  }
  if (code === undefined) { throw new Error('the agent ended without quit()'); }
  return { code, output };
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

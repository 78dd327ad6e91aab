import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { invalid, warnOnce } from '../private/errors';
import { requireOneOf } from '../private/guards';

/**
 * What the placement of every stateful set in an app is made for: a production cluster of several
 * nodes in several zones (the default), or a development cluster of one node without zone labels.
 */
export enum PlacementProfile {
  /**
   * One pod of a set per node (required), an even spread over zones (required), and sets pinned to
   * their zones (Cassandra racks). Losing a node costs one pod; losing a zone, one zone's share.
   */
  HIGH_AVAILABILITY = 'high-availability',
  /**
   * For a single-node cluster without zone labels (kind, minikube, k3d, Docker Desktop): every
   * `SpreadMode.REQUIRED` becomes `SpreadMode.PREFERRED` (pods of a set may share a node and
   * nodes need no zone label; on several nodes they still spread) and zone pins are dropped
   * (Cassandra racks keep their names). Node selectors and priority classes stay. Never for
   * production: losing the node loses every member of every set.
   */
  DEVELOPMENT = 'development',
}

/**
 * The placement profile of an app, one switch for every StatefulWorkload and engine in it.
 *
 * Set it in code for everything under a scope, `Placement.useProfile(app, PlacementProfile.DEVELOPMENT)`
 * (the construct context key `cdk8s-stateful:placement`), or leave the code alone and set it for one
 * synth: `CDK8S_STATEFUL_PLACEMENT=development npx cdk8s synth`. The code's choice wins over the
 * environment's. Without either, the profile is HIGH_AVAILABILITY.
 *
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/
 */
export class Placement {
  /** The construct context key that holds the profile (`'high-availability'` or `'development'`). */
  public static readonly CONTEXT_KEY = 'cdk8s-stateful:placement';

  /** The environment variable read when no scope sets the profile. */
  public static readonly ENVIRONMENT_VARIABLE = 'CDK8S_STATEFUL_PLACEMENT';

  /**
   * Uses `profile` for every stateful set created under `scope` (an App or a Chart). Call it right
   * after creating the scope, before anything is added to it.
   */
  public static useProfile(scope: IConstruct, profile: PlacementProfile): void {
    // The app's path is '': name it.
    const where = scope.node.path === '' ? 'App' : scope;
    requireOneOf(where, 'Placement.useProfile(profile)', profile, Object.values(PlacementProfile));
    const children = scope.node.children.map((c) => c.node.id);
    if (children.length > 0) {
      invalid(where, 'Placement.useProfile', `must be called before anything is added to the scope, which already holds ${children.join(', ')} (they would keep their placement)`);
    }
    scope.node.setContext(Placement.CONTEXT_KEY, profile);
  }

  /**
   * The profile in effect at `scope`: the nearest `useProfile` (or context key) above it, else
   * `CDK8S_STATEFUL_PLACEMENT`, else HIGH_AVAILABILITY.
   */
  public static profileOf(scope: IConstruct): PlacementProfile {
    const fromContext: unknown = scope.node.tryGetContext(Placement.CONTEXT_KEY);
    if (fromContext !== undefined) {
      return profileFrom(scope, Placement.CONTEXT_KEY, fromContext);
    }
    const fromEnvironment = process.env[Placement.ENVIRONMENT_VARIABLE];
    if (fromEnvironment !== undefined && fromEnvironment !== '') {
      return profileFrom(scope, Placement.ENVIRONMENT_VARIABLE, fromEnvironment);
    }
    return PlacementProfile.HIGH_AVAILABILITY;
  }

  private constructor() {}
}

function profileFrom(scope: IConstruct, source: string, value: unknown): PlacementProfile {
  const profile = requireOneOf(scope, source, value, Object.values(PlacementProfile));
  if (profile === PlacementProfile.DEVELOPMENT) {
    // Once per chart: the whole app is built for a development cluster, not each set on its own.
    warnOnce(Chart.of(scope), `placement profile 'development' (${source}): pods of a set may share a node and zones are ignored; for single-node development clusters, never for production`);
  }
  return profile;
}

import { IConstruct } from 'constructs';
import { namespaceOf } from './k8s';

/** The headless Service of a StatefulSet: what gives its pods their DNS names. */
export function headlessServiceName(statefulSetName: string): string {
  return `${statefulSetName}-headless`;
}

/**
 * Cluster DNS names of a namespace, known before any workload exists: engines write peers' names
 * into their configuration, and StatefulWorkload answers with the same helper.
 */
export class ClusterDns {
  /** The DNS names of objects created in `scope`. */
  public static of(scope: IConstruct, clusterDomain = 'cluster.local'): ClusterDns {
    return new ClusterDns(namespaceOf(scope), clusterDomain);
  }

  private constructor(public readonly namespace: string, public readonly domain: string) {}

  /** `<service>.<namespace>.svc.<domain>` */
  public service(name: string): string {
    return `${name}.${this.namespace}.svc.${this.domain}`;
  }

  /** The domain the pods of a StatefulSet live in: `<set>-headless.<namespace>.svc.<domain>`. */
  public podDomain(statefulSetName: string): string {
    return this.service(headlessServiceName(statefulSetName));
  }

  /** Pod `ordinal` of a StatefulSet: `<set>-<ordinal>.<set>-headless.<namespace>.svc.<domain>`. */
  public pod(statefulSetName: string, ordinal: number): string {
    return `${statefulSetName}-${ordinal}.${this.podDomain(statefulSetName)}`;
  }
}

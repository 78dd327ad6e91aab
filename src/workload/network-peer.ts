import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { parseCidr, strictlyContains } from '../private/cidr';
import { invalid } from '../private/errors';
import { keysOf, optional, requireArray, requireInstance, requireKnownKeys, requireRecord, requireString } from '../private/guards';
import { requireDnsLabel, requireLabels } from '../private/names';

/** Options of {@link NetworkPeer.pods}. */
export interface NetworkPeerPodsOptions {
  /** Labels the pods carry; a pod must have all of them. At least one. */
  readonly labels: { [key: string]: string };
  /**
   * Namespace of the pods.
   * @default - the namespace of the policy, unless `namespaceLabels` is given
   */
  readonly namespace?: string;
  /**
   * Labels of the namespaces the pods may be in (with `namespace`, that namespace must also carry them).
   * @default - no namespace labels: the pods are in `namespace`, or in the policy's namespace
   */
  readonly namespaceLabels?: { [key: string]: string };
}

/** What a peer admits; the data NetworkPeer renders from. */
type PeerSpec =
  | { readonly kind: 'pods'; readonly labels: { [key: string]: string }; readonly namespace?: string; readonly namespaceLabels?: { [key: string]: string } }
  | { readonly kind: 'ip'; readonly cidr: string; readonly except?: string[] }
  | { readonly kind: 'object'; readonly obj: ApiObject; readonly labelsPath: string[] };

/** Where the pod template's labels are, by kind: the kinds whose pods a policy can select. */
const POD_LABELS: { [kind: string]: { readonly group: string; readonly path: string[] } } = {
  Deployment: { group: 'apps', path: ['spec', 'template', 'metadata', 'labels'] },
  StatefulSet: { group: 'apps', path: ['spec', 'template', 'metadata', 'labels'] },
  DaemonSet: { group: 'apps', path: ['spec', 'template', 'metadata', 'labels'] },
  ReplicaSet: { group: 'apps', path: ['spec', 'template', 'metadata', 'labels'] },
  Job: { group: 'batch', path: ['spec', 'template', 'metadata', 'labels'] },
  CronJob: { group: 'batch', path: ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'] },
  Pod: { group: '', path: ['metadata', 'labels'] },
};
const POD_KINDS = 'a Deployment, StatefulSet, DaemonSet or ReplicaSet (apps), a Job or CronJob (batch) or a Pod (v1)';

/**
 * Who may connect to a database (or any StatefulWorkload): pods by labels, whole namespaces, IP
 * blocks, or the pods of any Kubernetes object, including apps that are not cdk8s-plus-27 objects
 * (built with a newer cdk8s-plus, plain `ApiObject`s, pods of other namespaces).
 *
 * It implements cdk8s-plus-27's `INetworkPolicyPeer`, so it goes wherever a peer is accepted
 * (`allowFrom`, a cdk8s-plus NetworkPolicy or `connections.allowFrom`).
 *
 * @example
 * NetworkPeer.pods({ labels: { app: 'shop' }, namespace: 'web' })
 */
export class NetworkPeer extends Construct implements kplus.INetworkPolicyPeer, kplus.IPodSelector {
  /**
   * The pods with all of `labels`, in the policy's namespace unless `namespace` or
   * `namespaceLabels` says where.
   */
  public static pods(options: NetworkPeerPodsOptions): NetworkPeer {
    const where = 'NetworkPeer.pods';
    requireKnownKeys(where, '', requireRecord(where, 'options', options), keysOf<NetworkPeerPodsOptions>({ labels: true, namespace: true, namespaceLabels: true }));
    const labels = requireSomeLabels(where, 'labels', options.labels,
      'must have at least one label: an empty selector admits every pod; use NetworkPeer.namespace(name) for a whole namespace');
    const namespace = optional(options.namespace, (v) => requireDnsLabel(where, 'namespace', v as string, 63));
    const namespaceLabels = optional(options.namespaceLabels, (v) => requireSomeLabels(where, 'namespaceLabels', v,
      'must have at least one label: an empty namespace selector admits these pods in every namespace'));
    return new NetworkPeer(where, { kind: 'pods', labels, namespace, namespaceLabels });
  }

  /** Every pod of the namespace `name`, selected by its `kubernetes.io/metadata.name` label. */
  public static namespace(name: string): NetworkPeer {
    const where = 'NetworkPeer.namespace';
    requireDnsLabel(where, 'name', name, 63);
    return new NetworkPeer(where, { kind: 'pods', labels: {}, namespace: name });
  }

  /** Every pod of the namespaces that carry all of `labels`. */
  public static namespaces(labels: { [key: string]: string }): NetworkPeer {
    const where = 'NetworkPeer.namespaces';
    const namespaceLabels = requireSomeLabels(where, 'labels', labels,
      'must have at least one label: an empty namespace selector admits every pod of the cluster');
    return new NetworkPeer(where, { kind: 'pods', labels: {}, namespaceLabels });
  }

  /**
   * The IP addresses of `cidr` (`10.0.0.0/16`, `fd00::/8`) except those of the `exclude` blocks
   * (the ipBlock's `except`), each strictly inside `cidr`. For traffic from outside the cluster:
   * pod IPs change.
   *
   * @param cidr the block admitted
   * @param exclude blocks inside `cidr` that are not admitted (not `except`: a Python keyword)
   */
  public static ipBlock(cidr: string, exclude?: string[]): NetworkPeer {
    const where = 'NetworkPeer.ipBlock';
    const block = parseCidr(requireString(where, 'cidr', cidr));
    if (!block) {
      invalid(where, 'cidr', 'must be an IPv4 CIDR such as 10.0.0.0/16 or an IPv6 CIDR such as fd00::/8', cidr);
    }
    const exceptions = optional(exclude, (v) => requireArray(where, 'exclude', v, 'a list of CIDRs'))?.map((text, i) => {
      const inner = parseCidr(requireString(where, `exclude[${i}]`, text));
      if (!inner || !strictlyContains(block, inner)) {
        invalid(where, `exclude[${i}]`, `must be a CIDR strictly inside ${cidr} (same IP family, longer prefix)`, text);
      }
      return text as string;
    });
    return new NetworkPeer(where, { kind: 'ip', cidr, except: exceptions });
  }

  /**
   * The pods of any Kubernetes object, in the object's namespace: a Deployment, StatefulSet,
   * DaemonSet, ReplicaSet or Job (by `spec.template.metadata.labels`), a CronJob (by
   * `spec.jobTemplate.spec.template.metadata.labels`) or a Pod (by `metadata.labels`). The labels
   * and namespace are read when the policy is synthesized, so containers and labels added after
   * this call count. Use it for apps that are not cdk8s-plus-27 objects (`ApiObject.of(app)` for
   * a construct that wraps one).
   *
   * @param obj the object whose pods are admitted
   */
  public static fromApiObject(obj: ApiObject): NetworkPeer {
    const where = 'NetworkPeer.fromApiObject';
    requireInstance(where, 'obj', obj, ApiObject, 'ApiObject.of(deployment)');
    const known = POD_LABELS[obj.kind];
    const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
    if (!known || known.group !== group) {
      invalid(where, 'obj', `must be ${POD_KINDS}: the objects that run pods with labels a NetworkPolicy can select`, `${obj.apiVersion} ${obj.kind} (${obj.node.path})`);
    }
    return new NetworkPeer(where, { kind: 'object', obj, labelsPath: known.path });
  }

  private readonly spec: PeerSpec;
  private readonly factory: string;
  private ipBlockPeer?: kplus.NetworkPolicyIpBlock;

  private constructor(factory: string, spec: PeerSpec) {
    // A peer is its own root: it belongs to no chart and renders no object, yet cdk8s-plus-27's
    // peer interface is a construct. The id names the factory in cdk8s-plus's messages.
    // cdk8s-plus names the policies of `connections.allowFrom(peer)` after the peer's address, so
    // two different peers need two different ids.
    super(undefined as any, `${factory}(${summary(spec)})`);
    this.factory = factory;
    this.spec = spec;
  }

  /**
   * The peer for a cdk8s-plus-27 NetworkPolicy.
   * @see kplus.INetworkPolicyPeer.toNetworkPolicyPeerConfig
   */
  public toNetworkPolicyPeerConfig(): kplus.NetworkPolicyPeerConfig {
    if (this.spec.kind === 'ip') {
      this.ipBlockPeer ??= kplus.NetworkPolicyIpBlock.ipv4(this, 'IpBlock', this.spec.cidr, this.spec.except);
      return { ipBlock: this.ipBlockPeer };
    }
    return { podSelector: this.toPodSelectorConfig() };
  }

  /**
   * This peer as a pod selector (for cdk8s-plus `connections`), or undefined for an IP block.
   * @see kplus.INetworkPolicyPeer.toPodSelector
   */
  public toPodSelector(): kplus.IPodSelector | undefined {
    return this.spec.kind === 'ip' ? undefined : this;
  }

  /**
   * The pods this peer admits, as cdk8s-plus-27 selects pods.
   * @see kplus.IPodSelector.toPodSelectorConfig
   */
  public toPodSelectorConfig(): kplus.PodSelectorConfig {
    const pods = this.pods();
    if (!pods) {
      return invalid(this.factory, 'cidr', 'is an IP block, not a selection of pods');
    }
    const names = pods.namespace !== undefined ? [pods.namespace] : undefined;
    const labelSelector = pods.namespaceLabels ? kplus.LabelSelector.of({ labels: pods.namespaceLabels }) : undefined;
    return {
      labelSelector: kplus.LabelSelector.of({ labels: pods.labels }),
      namespaces: names || labelSelector ? { names, labelSelector } : undefined,
    };
  }

  /**
   * The NetworkPolicy peers, for a policy in `policyNamespace`. Pods of a named namespace get a
   * namespaceSelector on `kubernetes.io/metadata.name`, unless it is the policy's own namespace
   * and nothing else narrows the namespaces (a peer without one means the policy's namespace).
   * @internal
   */
  public _renderPeers(policyNamespace: string): k8s.NetworkPolicyPeer[] {
    if (this.spec.kind === 'ip') {
      return [{ ipBlock: { cidr: this.spec.cidr, except: this.spec.except } }];
    }
    const pods = this.pods()!;
    const wholeNamespaces = Object.keys(pods.labels).length === 0;
    const named = pods.namespace !== undefined
      && (pods.namespace !== policyNamespace || wholeNamespaces || pods.namespaceLabels !== undefined);
    const namespaceLabels = { ...pods.namespaceLabels, ...(named ? { [kplus.Namespace.NAME_LABEL]: pods.namespace! } : {}) };
    return [{
      namespaceSelector: Object.keys(namespaceLabels).length > 0 ? { matchLabels: namespaceLabels } : undefined,
      podSelector: wholeNamespaces ? undefined : { matchLabels: pods.labels },
    }];
  }

  /** The pods selected, read now (for `fromApiObject`, from the object as it is at this moment). */
  private pods(): { labels: { [key: string]: string }; namespace?: string; namespaceLabels?: { [key: string]: string } } | undefined {
    switch (this.spec.kind) {
      case 'ip': return undefined;
      case 'pods': return this.spec;
      case 'object': {
        const { obj, labelsPath } = this.spec;
        const json = obj.toJson();
        const labels = labelsPath.reduce((node: any, key) => node?.[key], json) as { [key: string]: string } | undefined;
        if (!labels || Object.keys(labels).length === 0) {
          invalid(this.factory, 'obj', `(${obj.kind} ${obj.node.path}) has no pod labels at ${labelsPath.join('.')}: a NetworkPolicy selects pods by label, so give its pods at least one`);
        }
        return { labels, namespace: json.metadata?.namespace };
      }
    }
  }
}

/** What a peer selects, in a few characters, for its construct id. */
function summary(spec: PeerSpec): string {
  switch (spec.kind) {
    case 'ip': return [spec.cidr, ...(spec.except ?? []).map((e) => `!${e}`)].join(',');
    case 'object': return spec.obj.node.path;
    case 'pods': return [
      ...Object.entries(spec.labels).map(([k, v]) => `${k}=${v}`),
      ...(spec.namespace !== undefined ? [`namespace=${spec.namespace}`] : []),
      ...Object.entries(spec.namespaceLabels ?? {}).map(([k, v]) => `namespace:${k}=${v}`),
    ].join(',');
  }
}

/** Labels with at least one entry, each key and value valid. */
function requireSomeLabels(where: string, prop: string, value: unknown, ifEmpty: string): { [key: string]: string } {
  const labels = requireLabels(where, prop, value);
  if (Object.keys(labels).length === 0) { invalid(where, prop, ifEmpty); }
  return labels;
}

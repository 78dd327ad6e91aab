import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { podSecurityContext } from './pod';

/** What the API lets a Job's ServiceAccount do: one Role, namespaced, bound to that account only. */
export interface JobAccountProps {
  readonly name: string;
  readonly labels: { [key: string]: string };
  readonly rules: k8s.PolicyRule[];
}

/**
 * A ServiceAccount whose token is mounted (the Job talks to the API server), a Role of exactly
 * `rules` and its binding. Returns the account's name.
 */
export function jobAccount(scope: Construct, props: JobAccountProps): string {
  const metadata = { name: props.name, labels: props.labels };
  const account = new kplus.ServiceAccount(scope, 'ServiceAccount', { metadata, automountToken: true });
  const role = new k8s.KubeRole(scope, 'Role', { metadata, rules: props.rules });
  new k8s.KubeRoleBinding(scope, 'RoleBinding', {
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
    subjects: [{ kind: 'ServiceAccount', name: account.name }],
  });
  return account.name;
}

/** A NetworkPolicy that admits no connection to the pods with `labels`: Jobs only call out. */
export function denyIngress(scope: Construct, name: string, labels: { [key: string]: string }): void {
  new k8s.KubeNetworkPolicy(scope, 'NetworkPolicy', {
    metadata: { name, labels },
    spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress'], ingress: [] },
  });
}

/** A CronJob that runs one hardened pod at a time. */
export interface ScheduledJobProps {
  readonly name: string;
  readonly labels: { [key: string]: string };
  readonly schedule: string;
  /** @default - the controller's time zone (UTC on managed clusters) */
  readonly timeZone?: string;
  readonly serviceAccountName?: string;
  readonly containers: k8s.Container[];
  readonly volumes?: k8s.Volume[];
  readonly user: number;
  readonly group: number;
  /** Seconds after which a run is stopped and counted as failed. */
  readonly activeDeadlineSeconds: number;
  /** @default 2 */
  readonly backoffLimit?: number;
}

/**
 * `concurrencyPolicy: Forbid`, because two backups of one thing at once help nobody and can fight
 * over locks; a missed run is started if the controller sees it within an hour; a few runs of each
 * outcome are kept so that `kubectl get jobs` shows why the last one failed.
 */
export function scheduledJob(scope: Construct, id: string, props: ScheduledJobProps): k8s.KubeCronJob {
  return new k8s.KubeCronJob(scope, id, {
    metadata: { name: props.name, labels: props.labels },
    spec: {
      schedule: props.schedule,
      timeZone: props.timeZone,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: props.labels },
        spec: {
          backoffLimit: props.backoffLimit ?? 2,
          activeDeadlineSeconds: props.activeDeadlineSeconds,
          template: {
            metadata: { labels: props.labels },
            spec: {
              serviceAccountName: props.serviceAccountName,
              automountServiceAccountToken: props.serviceAccountName !== undefined,
              restartPolicy: 'Never',
              securityContext: podSecurityContext(props.user, props.group),
              containers: props.containers,
              volumes: props.volumes,
            },
          },
        },
      },
    },
  });
}

import * as kplus from 'cdk8s-plus-27';
import { restrictPodTemplate } from '../private/k8s';

/**
 * Brings your own cdk8s-plus workloads (the app Deployment that talks to the database) to the
 * restricted Pod Security Standard that every pod of this library already meets.
 *
 * cdk8s-plus-27 already runs containers as non-root without privilege escalation and with a
 * read-only root filesystem; this adds what it cannot express: the `RuntimeDefault` seccomp
 * profile and dropping every Linux capability.
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
export class RestrictedPodSecurity {
  /** Completes a Deployment, StatefulSet, Job or DaemonSet of cdk8s-plus. Call it after the last container is added. */
  public static applyToWorkload(workload: kplus.Workload): void {
    restrictPodTemplate(workload, '/spec/template/spec', workload.containers.length, workload.initContainers.length);
  }

  /** Completes a bare cdk8s-plus Pod. Call it after the last container is added. */
  public static applyToPod(pod: kplus.Pod): void {
    restrictPodTemplate(pod, '/spec', pod.containers.length, pod.initContainers.length);
  }

  private constructor() {}
}

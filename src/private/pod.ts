import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { kubeContainer } from './k8s';

/** A cdk8s-plus container with the restricted Pod Security defaults; the caller's settings win. */
export function secureContainer(props: kplus.ContainerProps): kplus.Container {
  return new kplus.Container({
    // Images are pinned, so pulling again on every start only adds a dependency on the registry.
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    ...props,
    securityContext: {
      ensureNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      ...props.securityContext,
    },
  });
}

/**
 * The container as Kubernetes sees it, with every Linux capability dropped: the restricted Pod
 * Security Standard asks for `drop: [ALL]`, which cdk8s-plus-27's Capability enum cannot spell.
 */
export function hardened(container: kplus.Container): k8s.Container {
  const kube = kubeContainer(container);
  const add = kube.securityContext?.capabilities?.add;
  return { ...kube, securityContext: { ...kube.securityContext, capabilities: { drop: ['ALL'], add } } };
}

/** Pod-level security for the restricted profile. */
export function podSecurityContext(user?: number, group?: number, fsGroup?: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: user,
    runAsGroup: group,
    fsGroup: fsGroup ?? group,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/*
 * What the engines' Jobs and CronJobs share (the credentials generator, volume snapshots, dumps,
 * backups, the Kafka drain). Not exported.
 */
import { WellKnownLabels } from '../workload/labels';

/** A small image with sh and curl, for Jobs that only talk to the API server. */
export const CURL_IMAGE = 'curlimages/curl:8.11.1';
/** Its user and group. */
export const CURL_UID = 100;
export const CURL_GID = 101;

/**
 * Labels of a Job's objects and pods: a name of their own, never the database's, so that none of the
 * instance's selectors (Services, budget, anti-affinity, NetworkPolicy) counts these pods.
 */
export function jobLabels(appName: string, component: string, instance?: string): { [key: string]: string } {
  return {
    [WellKnownLabels.NAME]: appName,
    ...(instance ? { [WellKnownLabels.INSTANCE]: instance } : {}),
    [WellKnownLabels.COMPONENT]: component,
    [WellKnownLabels.MANAGED_BY]: 'cdk8s-stateful',
  };
}

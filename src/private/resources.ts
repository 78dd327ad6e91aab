import { SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { invalid } from './errors';

/** Millicores of a cdk8s-plus Cpu ("500m", "2", "0.5"). */
export function millicoresOf(cpu: kplus.Cpu): number {
  const amount = cpu.amount;
  return amount.endsWith('m') ? Number(amount.slice(0, -1)) : Number(amount) * 1000;
}

/** Requests above limits are refused: the API server would reject the pod anyway, later and less clearly. */
export function requireRequestsWithinLimits(scope: IConstruct, prop: string, resources: kplus.ContainerResources | undefined): void {
  const cpu = resources?.cpu;
  if (cpu?.request && cpu.limit && millicoresOf(cpu.request) > millicoresOf(cpu.limit)) {
    invalid(scope, `${prop}.cpu`, `request (${cpu.request.amount}) must not exceed the limit (${cpu.limit.amount})`);
  }
  const mem = resources?.memory;
  if (mem?.request && mem.limit) {
    const req = mem.request.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
    const lim = mem.limit.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
    if (req > lim) {
      invalid(scope, `${prop}.memory`, `request (${mem.request.asString()}) must not exceed the limit (${mem.limit.asString()})`);
    }
  }
  for (const [what, size] of [['memory.request', mem?.request], ['memory.limit', mem?.limit]] as const) {
    if (size && !(size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) > 0)) {
      invalid(scope, `${prop}.${what}`, 'must be a positive size', size.asString());
    }
    // cdk8s-plus writes container memory in whole Mi and throws a bare Error otherwise.
    if (size && !Number.isInteger(size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) / 1024)) {
      invalid(scope, `${prop}.${what}`, `must be a whole number of mebibytes, such as Size.mebibytes(${Math.round(size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) / 1024)})`, size.asString());
    }
  }
}

// The reference grammar of the distribution project: an optional registry host, lower-case path
// components, a tag of word characters, dots and dashes, a digest.
const HOST = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?';
const PATH = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_REFERENCE = new RegExp(`^(?:${HOST}/)?${PATH}(?:/${PATH})*(?::\\w[\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`);

/**
 * An image must be pinned to a tag other than `latest`, or to a digest, so that two synths of one
 * app run the same software and a restart never upgrades a database by surprise.
 */
export function requirePinnedImage(scope: IConstruct, prop: string, image: string): void {
  if (!IMAGE_REFERENCE.test(image)) {
    invalid(scope, prop, "must be an image reference: [registry[:port]/]repository[:tag][@sha256:digest], with a lower-case repository and no spaces, e.g. 'registry.example.com/postgres:17.7'", image);
  }
  if (image.includes('@sha256:')) { return; }
  const lastSegment = image.split('/').pop() ?? '';
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
  if (!tag || tag === 'latest') {
    // The example names the user's own image, so the fix reads as theirs.
    const repository = lastSegment.includes(':') ? image.slice(0, image.lastIndexOf(':')) : image;
    invalid(scope, prop, `must pin a version tag (not 'latest') or a digest, e.g. '${repository}:<version>' or '${repository}@sha256:<digest>'`, image);
  }
}

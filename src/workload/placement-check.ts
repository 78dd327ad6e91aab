import { IConstruct } from 'constructs';
import { PlacementProps, SpreadMode } from './placement';
import { keysOf, optional, requireKnownKeys, requireOneOf, requireRecord } from '../private/guards';
import { requireDnsSubdomain, requireLabels, requireLabelValue } from '../private/names';

// Beside PlacementProps, but not exported from the package: a check, not API.

const PLACEMENT = keysOf<PlacementProps>({ nodeSpread: true, zoneSpread: true, nodeSelector: true, zone: true, priorityClassName: true });

/**
 * Placement as the user wrote it, checked in the construct they wrote it on (an engine checks its
 * own `placement` before its StatefulWorkloads see it), so errors name their path and prop.
 */
export function requirePlacement(scope: IConstruct, prop: string, value: unknown): PlacementProps {
  const placement = requireRecord(scope, prop, value) as PlacementProps;
  requireKnownKeys(scope, prop, placement, PLACEMENT);
  const modes = Object.values(SpreadMode);
  optional(placement.nodeSpread, (v) => requireOneOf(scope, `${prop}.nodeSpread`, v, modes));
  optional(placement.zoneSpread, (v) => requireOneOf(scope, `${prop}.zoneSpread`, v, modes));
  optional(placement.nodeSelector, (v) => requireLabels(scope, `${prop}.nodeSelector`, v));
  optional(placement.zone, (v) => requireLabelValue(scope, `${prop}.zone`, v as string));
  optional(placement.priorityClassName, (v) => requireDnsSubdomain(scope, `${prop}.priorityClassName`, v as string));
  return placement;
}

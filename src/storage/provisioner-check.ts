import { ProvisionerCapabilities, VolumeLocality } from './provisioner';
import { requireAccessModeList } from './volume-checks';
import { invalid } from '../private/errors';
import { Where, keysOf, requireBoolean, requireKnownKeys, requireOneOf, requireRecord } from '../private/guards';

// Beside ProvisionerCapabilities, but not exported from the package: a check, not API.

const CAPABILITIES = keysOf<ProvisionerCapabilities>({ accessModes: true, supportsExpansion: true, locality: true });

/**
 * What a storage class's volumes can do, as given by hand (`StorageClass.fromStorageClassName`, an
 * IStorageClass from JavaScript): every field set and of its kind, at least one access mode.
 */
export function requireCapabilities(where: Where, prop: string, value: unknown): ProvisionerCapabilities {
  const caps = requireRecord(where, prop, value);
  requireKnownKeys(where, prop, caps, CAPABILITIES);
  const accessModes = requireAccessModeList(where, `${prop}.accessModes`, caps.accessModes);
  if (accessModes.length === 0) {
    invalid(where, `${prop}.accessModes`, 'must list at least one access mode: a class whose volumes serve none cannot bind a claim');
  }
  requireBoolean(where, `${prop}.supportsExpansion`, caps.supportsExpansion);
  requireOneOf(where, `${prop}.locality`, caps.locality, Object.values(VolumeLocality));
  return caps as unknown as ProvisionerCapabilities;
}

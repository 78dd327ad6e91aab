import { Size } from 'cdk8s';
import { AccessMode, Provisioner, StorageClass, VolumeMode } from '../../src/storage';
import { StatefulWorkload, StatefulWorkloadProps, VolumeClaimTemplateProps } from '../../src/workload';
import { newChart, only, synth } from '../util';

const withClaim = (claim: VolumeClaimTemplateProps): StatefulWorkloadProps => ({
  replicas: 3,
  containers: [{ name: 'web', image: 'nginxinc/nginx-unprivileged:1.27.3', ports: [{ name: 'http', number: 8080 }] }],
  volumeClaims: [claim],
});

describe('volume claim templates', () => {
  test('defaults: data, ReadWriteOnce, Filesystem, the size as a quantity, the workload labels', () => {
    const chart = newChart();
    const w = new StatefulWorkload(chart, 'web', withClaim({ size: Size.mebibytes(1536) }));
    expect(only(synth(chart), 'StatefulSet').spec.volumeClaimTemplates).toEqual([{
      metadata: { name: 'data', labels: w.labels },
      spec: { accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', resources: { requests: { storage: '1536Mi' } } },
    }]);
  });

  test('a storage class by name, with no known capabilities, takes any access mode', () => {
    const chart = newChart();
    new StatefulWorkload(chart, 'web', withClaim({
      size: Size.gibibytes(1), storageClass: StorageClass.fromStorageClassName('nfs'), accessModes: [AccessMode.READ_WRITE_MANY], volumeMode: VolumeMode.BLOCK,
    }));
    expect(only(synth(chart), 'StatefulSet').spec.volumeClaimTemplates[0].spec).toMatchObject({
      storageClassName: 'nfs', accessModes: ['ReadWriteMany'], volumeMode: 'Block',
    });
  });

  describe('bad input', () => {
    const build = (claim: any) => () => new StatefulWorkload(newChart(), 'web', withClaim(claim));

    test.each([
      ['a misspelt key', { size: Size.gibibytes(1), mountpath: '/data' },
        "test/web: 'volumeClaims[0].mountpath' is not a known prop of 'volumeClaims[0]'; did you mean 'mountPath'? valid: accessModes, mountInto, mountPath, name, size, storageClass, volumeMode"],
      ['no size', { name: 'data' }, "test/web: 'volumeClaims[0].size' must be a Size such as Size.gibibytes(10), got nothing"],
      ['a string size', { size: '10Gi' }, "test/web: 'volumeClaims[0].size' must be a Size such as Size.gibibytes(10), got '10Gi' (a string)"],
      ['an access mode spelt by hand', { size: Size.gibibytes(1), accessModes: ['RWO'] },
        "test/web: 'volumeClaims[0].accessModes[0]' must be one of 'ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod', got 'RWO' (a string)"],
      ['one access mode, not a list', { size: Size.gibibytes(1), accessModes: AccessMode.READ_WRITE_ONCE },
        "test/web: 'volumeClaims[0].accessModes' must be a list of AccessMode values, got 'ReadWriteOnce' (a string)"],
      ['no access mode', { size: Size.gibibytes(1), accessModes: [] }, "test/web: 'volumeClaims[0].accessModes' must list at least one access mode"],
      ['a bad volume mode', { size: Size.gibibytes(1), volumeMode: 'block' },
        "test/web: 'volumeClaims[0].volumeMode' must be one of 'Filesystem', 'Block', got 'block' (a string)"],
      ['a storage class name instead of a class', { size: Size.gibibytes(1), storageClass: 'ssd' },
        "test/web: 'volumeClaims[0].storageClass' must be a storage class such as new StorageClass(...) or StorageClass.fromStorageClassName('ssd'), got 'ssd' (a string)"],
      ['a class without a name', { size: Size.gibibytes(1), storageClass: { name: 'ssd' } },
        "test/web: 'volumeClaims[0].storageClass.storageClassName' must be a string, got nothing"],
      ['a container name, not a list', { size: Size.gibibytes(1), mountPath: '/data', mountInto: 'web' },
        "test/web: 'volumeClaims[0].mountInto' must be a list of container names, got 'web' (a string)"],
      ['a claim name that is not a DNS label', { size: Size.gibibytes(1), name: 'Data' }, /^test\/web: 'volumeClaims\[0\].name' must be a DNS label .*, got 'Data'$/],
    ])('%s', (_, claim, message) => {
      expect(build(claim)).toThrow(message);
    });

    test('the access modes a provisioner cannot serve', () => {
      const chart = newChart();
      const ebs = new StorageClass(chart, 'ebs', { provisioner: Provisioner.awsEbs() });
      expect(() => new StatefulWorkload(chart, 'web', withClaim({ size: Size.gibibytes(1), storageClass: ebs, accessModes: [AccessMode.READ_ONLY_MANY] })))
        .toThrow("test/web: 'volumeClaims[0].accessModes' asks for ReadOnlyMany, which storage class 'ebs' cannot serve; valid: ReadWriteOnce, ReadWriteOncePod");
    });
  });
});

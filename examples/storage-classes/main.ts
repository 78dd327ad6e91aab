// A StorageClass for a database on each major cloud and on-premises system. All of them retain
// the disk when its claim is deleted, bind zonal disks where the pod lands, and allow expansion
// where the driver can grow a volume. Apply the one that matches your cluster.
import { App, Chart } from 'cdk8s';
import {
  AzureDiskSku, EbsVolumeType, GcePdType, OpenEbsEngine, Provisioner, StorageClass,
} from 'cdk8s-stateful';

const app = new App();
const chart = new Chart(app, 'storage-classes');

new StorageClass(chart, 'aws-gp3', { provisioner: Provisioner.awsEbs({ type: EbsVolumeType.GP3, iops: 6000, throughputMiBps: 250 }) });
new StorageClass(chart, 'aws-io2', { provisioner: Provisioner.awsEbs({ type: EbsVolumeType.IO2, iops: 16000 }) });
new StorageClass(chart, 'gcp-ssd', { provisioner: Provisioner.gcePd({ type: GcePdType.SSD }) });
new StorageClass(chart, 'gcp-regional', { provisioner: Provisioner.gcePd({ type: GcePdType.BALANCED, regional: true }) });
new StorageClass(chart, 'azure-premium', { provisioner: Provisioner.azureDisk({ skuName: AzureDiskSku.PREMIUM_LRS }) });
new StorageClass(chart, 'azure-premium-zrs', { provisioner: Provisioner.azureDisk({ skuName: AzureDiskSku.PREMIUM_ZRS }) });
new StorageClass(chart, 'azure-files', { provisioner: Provisioner.azureFile() });
new StorageClass(chart, 'ceph-block', { provisioner: Provisioner.cephRbd() });
new StorageClass(chart, 'ceph-fs', { provisioner: Provisioner.cephFs() });
new StorageClass(chart, 'nfs', { provisioner: Provisioner.nfs({ server: 'nfs.internal.example.com', share: '/exports/k8s' }) });
new StorageClass(chart, 'vsphere', { provisioner: Provisioner.vsphere({ storagePolicyName: 'gold' }) });
new StorageClass(chart, 'openstack', { provisioner: Provisioner.cinder() });
new StorageClass(chart, 'portworx-db', { provisioner: Provisioner.portworx({ replicas: 3 }) });
new StorageClass(chart, 'longhorn', { provisioner: Provisioner.longhorn() });
new StorageClass(chart, 'openebs-lvm', { provisioner: Provisioner.openEbs(OpenEbsEngine.LOCAL_LVM) });
new StorageClass(chart, 'local-disks', { provisioner: Provisioner.none() });

app.synth();

"""What a Python user meets beyond the web example: errors, enums, factories, every engine.

Run by scripts/check-python.sh with the virtualenv that has the built wheel installed:
    python -m unittest discover -s test/python -v
"""
import unittest

import cdk8s
import cdk8s_plus_27 as kplus
import cdk8s_stateful as cs

# Engines are picked up as they are exported from src/index.ts; extend the list when one is added.
ENGINES = ["Postgres", "MySql", "MongoDb", "Cassandra", "Kafka"]


def new_chart():
    app = cdk8s.Testing.app()
    return cdk8s.Chart(app, "test", namespace="db")


def kinds(manifest):
    return sorted({(o["kind"], o["metadata"]["name"]) for o in manifest})


class WorkloadBindings(unittest.TestCase):
    def test_keyword_arguments_and_generated_structs(self):
        # GIVEN
        chart = new_chart()
        # WHEN
        wl = cs.StatefulWorkload(chart, "cache",
            replicas=3,
            containers=[kplus.ContainerProps(
                name="redis", image="redis:7.4.1", ports=[kplus.ContainerPort(number=6379, name="redis")],
            )],
            volume_claims=[cs.VolumeClaimTemplateProps(size=cdk8s.Size.gibibytes(5), mount_path="/data")],
        )
        manifest = cdk8s.Testing.synth(chart)
        # THEN
        self.assertEqual(wl.name, "cache")
        self.assertEqual(wl.replicas, 3)
        self.assertIn(("StatefulSet", "cache"), kinds(manifest))
        self.assertIn(("Service", "cache-headless"), kinds(manifest))
        sts = next(o for o in manifest if o["kind"] == "StatefulSet")
        self.assertEqual(sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"], "5Gi")
        self.assertEqual(wl.pod_dns_name(0), "cache-0.cache-headless.db.svc.cluster.local")

    def test_validation_error_is_a_python_exception_naming_path_and_prop(self):
        # GIVEN
        chart = new_chart()
        # WHEN / THEN
        with self.assertRaisesRegex(Exception, r"test/bad.*replicas"):
            cs.StatefulWorkload(chart, "bad", replicas=-1,
                containers=[kplus.ContainerProps(name="c", image="nginx:1.27.3")])

    def test_unpinned_image_is_refused(self):
        chart = new_chart()
        with self.assertRaisesRegex(Exception, r"image"):
            cs.StatefulWorkload(chart, "latest",
                containers=[kplus.ContainerProps(name="c", image="nginx")])

    def test_enums_travel_by_member_name(self):
        # GIVEN
        chart = new_chart()
        # WHEN
        cs.StorageClass(chart, "gp3",
            provisioner=cs.Provisioner.aws_ebs(type=cs.EbsVolumeType.GP3),
            reclaim_policy=cs.ReclaimPolicy.RETAIN,
        )
        sc = cdk8s.Testing.synth(chart)[0]
        # THEN
        self.assertEqual(sc["kind"], "StorageClass")
        self.assertEqual(sc["reclaimPolicy"], "Retain")
        self.assertEqual(sc["parameters"]["type"], "gp3")
        self.assertNotIn("namespace", sc["metadata"])

    def test_credentials_factories(self):
        generated = cs.Credentials.generated()
        self.assertTrue(generated.generates_secret)
        self.assertEqual(generated.secret_name_for("orders"), "orders-credentials")
        mine = cs.Credentials.from_secret("vault-synced", {"password": "pw"})
        self.assertFalse(mine.generates_secret)
        self.assertEqual(mine.key_for("password"), "pw")


class NamespaceAndPlacementBindings(unittest.TestCase):
    def test_restricted_namespace_is_cluster_scoped_and_first(self):
        # GIVEN a namespaced chart with a database created before its Namespace
        chart = new_chart()
        cs.Postgres(chart, "orders", replicas=1)
        # WHEN
        ns = cs.RestrictedNamespace(chart, "namespace")
        manifest = cdk8s.Testing.synth(chart)
        # THEN
        self.assertEqual(ns.name, "db")
        self.assertEqual(ns.enforce_version, cs.RestrictedNamespace.VERIFIED_VERSION)
        first = manifest[0]
        self.assertEqual((first["kind"], first["metadata"]["name"]), ("Namespace", "db"))
        self.assertNotIn("namespace", first["metadata"])
        self.assertEqual(first["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "restricted")

    def test_a_bad_namespace_prop_names_the_construct_and_the_prop(self):
        with self.assertRaisesRegex(Exception, r"test/ns: 'enforceVersion' must be 'latest' or a Kubernetes version"):
            cs.RestrictedNamespace(new_chart(), "ns", enforce_version="1.30")

    def test_placement_profile_for_a_whole_app(self):
        # GIVEN an app for a single-node development cluster
        app = cdk8s.Testing.app()
        cs.Placement.use_profile(app, cs.PlacementProfile.DEVELOPMENT)
        chart = cdk8s.Chart(app, "test", namespace="db")
        # WHEN
        cs.Postgres(chart, "orders", replicas=3)
        sts = next(o for o in cdk8s.Testing.synth(chart) if o["kind"] == "StatefulSet")
        # THEN nothing is required that one node without zone labels cannot give
        affinity = sts["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
        self.assertNotIn("requiredDuringSchedulingIgnoredDuringExecution", affinity)
        self.assertEqual(cs.Placement.profile_of(chart), cs.PlacementProfile.DEVELOPMENT)
        self.assertEqual(cs.Placement.ENVIRONMENT_VARIABLE, "CDK8S_STATEFUL_PLACEMENT")


class EngineBindings(unittest.TestCase):
    def test_every_exported_engine_synthesizes_with_defaults(self):
        available = [name for name in ENGINES if hasattr(cs, name)]
        print(f"\n    engines exported to Python: {', '.join(available) or '(none yet)'}")
        for name in available:
            with self.subTest(engine=name):
                # GIVEN
                chart = new_chart()
                # WHEN
                engine = getattr(cs, name)(chart, "db1")
                manifest = cdk8s.Testing.synth(chart)
                # THEN
                self.assertIn(("StatefulSet", "db1"), kinds(manifest))
                self.assertIsNotNone(engine.connection)
                self.assertIsNotNone(engine.stateful_set)
                for obj in manifest:
                    if obj["kind"] == "Secret":
                        self.assertFalse(obj.get("data") or obj.get("stringData"), f"{name} wrote a Secret with data")

    def test_every_engine_has_the_shared_core(self):
        for name in [n for n in ENGINES if hasattr(cs, n)]:
            with self.subTest(engine=name):
                # GIVEN
                chart = new_chart()
                engine = getattr(cs, name)(chart, "db1", allow_from=[cs.NetworkPeer.pods(labels={"app": "shop"})])
                web = kplus.Deployment(chart, "web", containers=[kplus.ContainerProps(image="shop:1.0")])
                # WHEN
                engine.add_connection_env(web.containers[0])
                env = engine.connection_env(prefix="DB")
                manifest = cdk8s.Testing.synth(chart)
                # THEN: one shape, one call, the password only as a Secret reference
                self.assertEqual(engine.connection.host, "db1.db.svc.cluster.local")
                names = [v.name for v in env]
                self.assertEqual(names[:2], ["DB_HOST", "DB_PORT"])
                deployment = next(o for o in manifest if o["kind"] == "Deployment")
                self.assertEqual([e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]],
                    [v.name for v in engine.connection_env()])
                for variable in env:
                    if variable.name == "DB_PASSWORD":
                        self.assertIsNone(variable.value)
                        self.assertEqual(variable.value_from.secret_key_ref.name, "db1-credentials")
                # THEN: the app reaches the client port only
                policy = next(o for o in manifest if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "db1")
                rule = next(r for r in policy["spec"]["ingress"] if r["from"][0].get("podSelector", {}).get("matchLabels") == {"app": "shop"})
                self.assertEqual([p["port"] for p in rule["ports"]], list(engine.client_ports))

    def test_a_version_outside_the_supported_range_is_refused_with_the_range(self):
        chart = new_chart()
        with self.assertRaisesRegex(Exception, r"test/old: 'version' must be Cassandra 4\.0 to 5\.x"):
            cs.Cassandra(chart, "old", version=cs.CassandraVersion.of("3.11.17", "3.11"))

    def test_a_value_of_the_wrong_type_is_a_clear_error_naming_the_prop(self):
        chart = new_chart()
        # jsii checks the types of Python arguments before they reach the library (our own checks
        # serve JavaScript): either way the message names the prop, never an internal failure.
        with self.assertRaisesRegex(Exception, r"replicas") as raised:
            cs.Postgres(chart, "typed", replicas="3")
        self.assertNotIn("Cannot read properties", str(raised.exception))
        with self.assertRaisesRegex(Exception, r"\bsize\b.*(Size|cdk8s)") as raised:
            cs.Postgres(chart, "storage", storage={"size": "10Gi"})
        self.assertNotIn("Cannot read properties", str(raised.exception))


class MetricsBindings(unittest.TestCase):
    def test_metrics_on_every_engine_with_a_pod_monitor(self):
        # GIVEN every engine with metrics=True (a JVM engine with its agent from another image)
        chart = new_chart()
        agents = {"Cassandra": cs.JmxExporterAgent.from_image("registry.example.com/jmx:1.0.1", "/jmx.jar")}
        for name in ENGINES:
            extra = {"metrics_agent": agents[name]} if name in agents else {}
            db = getattr(cs, name)(chart, name.lower(), metrics=True, **extra)
            # WHEN
            monitor = db.add_pod_monitor(labels={"release": "prom"}, interval=cdk8s.Duration.seconds(30))
            db.allow_metrics_from(cs.NetworkPeer.namespace("monitoring"))
            self.assertEqual(monitor.name, name.lower())
        manifest = cdk8s.Testing.synth(chart)
        # THEN one PodMonitor per engine, scraping the port named metrics every 30 s
        monitors = [o for o in manifest if o["kind"] == "PodMonitor"]
        self.assertEqual(len(monitors), len(ENGINES))
        for m in monitors:
            self.assertEqual(m["spec"]["podMetricsEndpoints"], [{"port": "metrics", "path": "/metrics", "interval": "30s"}])
            self.assertEqual(m["metadata"]["labels"]["release"], "prom")
        cassandra = next(o for o in manifest if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "cassandra")
        self.assertEqual(cassandra["spec"]["template"]["spec"]["initContainers"][0]["image"], "registry.example.com/jmx:1.0.1")
        self.assertEqual(cs.JmxExporterAgent.DEFAULT_IMAGE, "bitnamilegacy/jmx-exporter:1.0.1-debian-12-r9")

    def test_bad_metrics_input_is_a_clear_error(self):
        chart = new_chart()
        with self.assertRaisesRegex(Exception, r"test/k: 'metricsAgent' has no effect without 'metrics: true'"):
            cs.Kafka(chart, "k", metrics_agent=cs.JmxExporterAgent.in_server_image("/opt/jmx.jar"))
        with self.assertRaisesRegex(Exception, r"JmxExporterAgent.fromImage: 'jarPath' must be an absolute path"):
            cs.JmxExporterAgent.from_image("jmx:1.0.1", "jmx.jar")
        with self.assertRaisesRegex(Exception, r"'addPodMonitor' has no metrics port to scrape"):
            cs.MongoDb(chart, "m").add_pod_monitor()



class VolumeSnapshotBindings(unittest.TestCase):
    def test_snapshots_and_restore_on_every_engine(self):
        # GIVEN every engine with a snapshot schedule on a class of its own, and a restore
        chart = new_chart()
        snapshot_class = cs.VolumeSnapshotClass(chart, "snaps", driver="ebs.csi.aws.com")
        for name in ENGINES:
            getattr(cs, name)(chart, name.lower(),
                volume_snapshots=cs.VolumeSnapshotOptions(keep=3, schedule="0 */6 * * *", snapshot_class=snapshot_class),
                restore_from_volume_snapshots=cs.VolumeSnapshotRestore(timestamp="20261201-031700", source_name="old"))
        manifest = cdk8s.Testing.synth(chart)
        # THEN a CronJob per engine, the class Retain, restore claims with a snapshot dataSource
        cron_jobs = [o for o in manifest if o["kind"] == "CronJob"]
        self.assertEqual(sorted(c["metadata"]["name"] for c in cron_jobs), sorted(f"{n.lower()}-snapshots" for n in ENGINES))
        self.assertEqual(next(o for o in manifest if o["kind"] == "VolumeSnapshotClass")["deletionPolicy"], "Retain")
        claims = [o for o in manifest if o["kind"] == "PersistentVolumeClaim"]
        self.assertTrue(all(c["spec"]["dataSource"]["kind"] == "VolumeSnapshot" for c in claims))
        self.assertIn("data-old-0-20261201-031700", [c["spec"]["dataSource"]["name"] for c in claims])

    def test_bad_snapshot_input_is_a_clear_error(self):
        chart = new_chart()
        with self.assertRaisesRegex(Exception, r"test/k: 'volumeSnapshots.keep' must be a positive integer, got 0"):
            cs.Kafka(chart, "k", volume_snapshots=cs.VolumeSnapshotOptions(keep=0))
        with self.assertRaisesRegex(Exception, r"keep"):
            cs.Kafka(chart, "k2", volume_snapshots=cs.VolumeSnapshotOptions(keep="7"))
        with self.assertRaisesRegex(Exception, r"'volumeSnapshots.schedule' must be a cron schedule"):
            cs.Kafka(chart, "k3", volume_snapshots=cs.VolumeSnapshotOptions(schedule="every night"))
        with self.assertRaisesRegex(Exception, r"'restoreFromVolumeSnapshots.timestamp' must be the UTC timestamp"):
            cs.Kafka(chart, "k4", restore_from_volume_snapshots=cs.VolumeSnapshotRestore(timestamp="yesterday"))


class TlsBindings(unittest.TestCase):
    def test_tls_on_every_engine_from_cert_manager_or_a_secret(self):
        # GIVEN every engine with TLS: cert-manager for the first three, a Secret for the others
        chart = new_chart()
        dbs = {}
        for i, name in enumerate(ENGINES):
            certificates = (cs.TlsCertificates.cert_manager(issuer_name="internal-ca", issuer_kind=cs.IssuerKind.CLUSTER_ISSUER)
                            if i < 3 else cs.TlsCertificates.from_secret(f"{name.lower()}-certs"))
            dbs[name] = getattr(cs, name)(chart, name.lower(), tls=cs.TlsOptions(certificates=certificates))
        manifest = cdk8s.Testing.synth(chart)
        # THEN a Certificate for each of the first three, with a PKCS#8 key, and TLS in every connection
        certs = {o["metadata"]["name"]: o for o in manifest if o["kind"] == "Certificate"}
        self.assertEqual(sorted(certs), sorted(n.lower() for n in ENGINES[:3]))
        self.assertTrue(all(c["spec"]["privateKey"]["encoding"] == "PKCS8" for c in certs.values()))
        for i, name in enumerate(ENGINES):
            db = dbs[name]
            self.assertEqual(db.tls_secret_name, f"{name.lower()}-tls" if i < 3 else f"{name.lower()}-certs")
            env = {v.name: v.value for v in db.connection_env()}
            self.assertEqual(env[f"{name.upper()}_TLS"], "required")
            self.assertEqual(env[f"{name.upper()}_CA_FILE"], f"/etc/cdk8s-stateful/{name.lower()}/ca.crt")

    def test_bad_tls_input_is_a_clear_error(self):
        chart = new_chart()
        with self.assertRaisesRegex(Exception, r"test/k: 'tls.certificates.certManager.privateKeyEncoding' must be PrivateKeyEncoding.PKCS8: Kafka reads"):
            cs.Kafka(chart, "k", tls=cs.TlsOptions(certificates=cs.TlsCertificates.cert_manager(
                issuer_name="ca", private_key_encoding=cs.PrivateKeyEncoding.PKCS1)))
        # Wrong types are caught by jsii's own checks before the library: the message names the argument.
        with self.assertRaisesRegex(Exception, r"certificates must be cdk8s_stateful.TlsCertificates"):
            cs.Postgres(chart, "p", tls=cs.TlsOptions(certificates="orders-certs"))
        with self.assertRaisesRegex(Exception, r"allow_plaintext"):
            cs.Postgres(chart, "p2", tls=cs.TlsOptions(certificates=cs.TlsCertificates.from_secret("c"), allow_plaintext="yes"))
        with self.assertRaisesRegex(Exception, r"'tls.certificates.certManager.privateKeySize' must be one of 2048"):
            cs.MySql(chart, "m", tls=cs.TlsOptions(certificates=cs.TlsCertificates.cert_manager(
                issuer_name="ca", private_key_algorithm=cs.PrivateKeyAlgorithm.RSA, private_key_size=1024)))

if __name__ == "__main__":
    unittest.main()

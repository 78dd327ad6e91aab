#!/usr/bin/env python3
"""A web app and its PostgreSQL, from Python.

Three Patroni-managed PostgreSQL members on SSDs and a web Deployment of two pods behind a
Service. One call puts the database's connection into the web container's environment
(`add_connection_env`: host, port, user, the password from the generated Secret, the URI); the
database's NetworkPolicy admits the web pods on 5432 only. Everything lives in a Namespace that
admits only pods of the restricted Pod Security profile (`RestrictedNamespace`).

    cdk8s synth      # or: python3 main.py      -> dist/web.k8s.yaml
"""
from cdk8s import App, Chart, Size
import cdk8s_plus_27 as kplus
from cdk8s_stateful import (
    EngineResources,
    EngineStorage,
    Postgres,
    PostgresVersion,
    Provisioner,
    RestrictedNamespace,
    RestrictedPodSecurity,
    StorageClass,
)

app = App()
chart = Chart(app, "web", namespace="web")
RestrictedNamespace(chart, "namespace")

ssd = StorageClass(chart, "fast-ssd", provisioner=Provisioner.gce_pd())

db = Postgres(chart, "db",
    version=PostgresVersion.V17,
    replicas=3,
    database="web",
    storage=EngineStorage(size=Size.gibibytes(20), storage_class=ssd),
    resources=EngineResources(cpu=kplus.Cpu.millis(500), memory=Size.gibibytes(2)),
)

labels = {"app.kubernetes.io/name": "web"}
web = kplus.Deployment(chart, "web",
    metadata={"name": "web"},
    replicas=2,
    pod_metadata={"labels": labels},
    containers=[kplus.ContainerProps(
        name="web",
        image="ghcr.io/example/web:2.3.1",
        port_number=8080,
        security_context=kplus.ContainerSecurityContextProps(user=1000, group=1000),
        readiness=kplus.Probe.from_http_get("/healthz", port=8080),
        resources=kplus.ContainerResources(
            cpu=kplus.CpuResources(request=kplus.Cpu.millis(100)),
            memory=kplus.MemoryResources(request=Size.mebibytes(256), limit=Size.mebibytes(256)),
        ),
    )],
)
# POSTGRES_HOST, _PORT, _READONLY_HOST, _USERNAME, _PASSWORD (from the Secret), _DATABASE, _URI.
db.add_connection_env(web.containers[0])
db.allow_from(web)
RestrictedPodSecurity.apply_to_workload(web)

web.expose_via_service(name="web", ports=[kplus.ServicePort(port=80, target_port=8080)])
kplus.NetworkPolicy(chart, "web-ingress",
    metadata={"name": "web"},
    selector=web,
    ingress=kplus.NetworkPolicyTraffic(rules=[
        kplus.NetworkPolicyRule(peer=kplus.Pods.all(chart, "anyone"), ports=[kplus.NetworkPolicyPort.tcp(8080)]),
    ]),
)
# Node drains take one web pod at a time.
kplus.k8s.KubePodDisruptionBudget(chart, "web-budget",
    metadata={"name": "web"},
    spec=kplus.k8s.PodDisruptionBudgetSpec(
        selector=kplus.k8s.LabelSelector(match_labels=labels),
        max_unavailable=kplus.k8s.IntOrString.from_number(1),
    ),
)

app.synth()

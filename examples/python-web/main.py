#!/usr/bin/env python3
"""The seed's StatefulSet example, from Python: the twin of examples/web-statefulset/main.ts.

A web server with a claim per pod, spread over nodes and zones, behind a headless and a client
Service. Same construct ids and props as the TypeScript app, so `cdk8s synth` writes the same YAML
byte for byte (scripts/check-python.sh compares them).
"""
from cdk8s import App, Chart, Size
import cdk8s_plus_27 as kplus
from cdk8s_stateful import (
    PodIdentity,
    Provisioner,
    StatefulWorkload,
    StorageClass,
    VolumeClaimTemplateProps,
)

app = App()
chart = Chart(app, "web", namespace="web")

ssd = StorageClass(chart, "fast-ssd",
    provisioner=Provisioner.gce_pd(),
)

cache = kplus.Volume.from_empty_dir(chart, "nginx-cache", "cache")
run = kplus.Volume.from_empty_dir(chart, "nginx-run", "run")

StatefulWorkload(chart, "web",
    replicas=2,
    app_name="nginx",
    identity=PodIdentity(user=101, group=101),
    containers=[kplus.ContainerProps(
        name="nginx",
        image="nginxinc/nginx-unprivileged:1.27.3",
        ports=[kplus.ContainerPort(name="http", number=8080)],
        resources=kplus.ContainerResources(
            cpu=kplus.CpuResources(request=kplus.Cpu.millis(100), limit=kplus.Cpu.millis(500)),
            memory=kplus.MemoryResources(request=Size.mebibytes(64), limit=Size.mebibytes(128)),
        ),
        readiness=kplus.Probe.from_http_get("/", port=8080),
        volume_mounts=[
            kplus.VolumeMount(volume=cache, path="/var/cache/nginx"),
            kplus.VolumeMount(volume=run, path="/tmp"),
        ],
    )],
    volume_claims=[VolumeClaimTemplateProps(
        name="www", size=Size.gibibytes(1), storage_class=ssd, mount_path="/usr/share/nginx/html",
    )],
)

app.synth()

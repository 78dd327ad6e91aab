"""examples/python-web, run as a user runs it (`python3 main.py`), and its YAML read back.

Run by scripts/check-python.sh with the virtualenv that has the built wheel installed:
    python -m unittest discover -s test/python -v
"""
import os
import subprocess
import sys
import tempfile
import unittest

import cdk8s

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python-web")


def synth(**env):
    """Runs main.py with cdk8s writing into a fresh folder; returns the objects of web.k8s.yaml."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "main.py"], cwd=EXAMPLE, check=True,
            env={**os.environ, "CDK8S_OUTDIR": out, "CDK8S_STATEFUL_QUIET": "1", **env})
        return cdk8s.Yaml.load(os.path.join(out, "web.k8s.yaml"))


def find(objects, kind, name):
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


class PythonWeb(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.objects = synth(CDK8S_STATEFUL_PLACEMENT="")

    def test_the_namespace_comes_first_and_admits_restricted_pods_only(self):
        ns = self.objects[0]
        self.assertEqual((ns["kind"], ns["metadata"]["name"]), ("Namespace", "web"))
        self.assertNotIn("namespace", ns["metadata"])
        for mode in ("enforce", "warn", "audit"):
            self.assertEqual(ns["metadata"]["labels"][f"pod-security.kubernetes.io/{mode}"], "restricted")

    def test_a_replicated_postgres_on_the_ssd_class(self):
        sts = find(self.objects, "StatefulSet", "db")
        self.assertEqual(sts["spec"]["replicas"], 3)
        self.assertEqual(sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"], "fast-ssd")
        pod = sts["spec"]["template"]["spec"]
        self.assertEqual(len(pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]), 1)

    def test_the_web_container_gets_the_connection_in_one_call(self):
        container = find(self.objects, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
        env = container["env"]
        names = [e["name"] for e in env]
        self.assertEqual(names[0], "POSTGRES_HOST")
        self.assertEqual(env[0]["value"], "db.web.svc.cluster.local")
        password = next(e for e in env if e["name"] == "POSTGRES_PASSWORD")
        self.assertEqual(password["valueFrom"]["secretKeyRef"], {"name": "db-credentials", "key": "password"})
        self.assertEqual(next(e for e in env if e["name"] == "POSTGRES_DATABASE")["value"], "web")
        self.assertEqual(names[-1], "POSTGRES_URI")
        self.assertIn("$(POSTGRES_PASSWORD)", env[-1]["value"])

    def test_the_database_admits_the_web_pods_on_5432_only(self):
        policy = find(self.objects, "NetworkPolicy", "db")
        web_labels = find(self.objects, "Deployment", "web")["spec"]["template"]["metadata"]["labels"]

        def selects_web(peer):
            labels = peer.get("podSelector", {}).get("matchLabels") or {}
            return labels and all(web_labels.get(k) == v for k, v in labels.items())
        rules = [r for r in policy["spec"]["ingress"] if any(selects_web(p) for p in r["from"])]
        self.assertEqual(len(rules), 1)
        self.assertEqual([p["port"] for p in rules[0]["ports"]], [5432])

    def test_no_secret_value_in_the_yaml(self):
        for obj in self.objects:
            if obj["kind"] == "Secret":
                self.assertFalse(obj.get("data") or obj.get("stringData"))

    def test_the_development_profile_reaches_the_library_from_the_environment(self):
        sts = find(synth(CDK8S_STATEFUL_PLACEMENT="development"), "StatefulSet", "db")
        affinity = sts["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
        self.assertNotIn("requiredDuringSchedulingIgnoredDuringExecution", affinity)
        self.assertEqual(len(affinity["preferredDuringSchedulingIgnoredDuringExecution"]), 1)


if __name__ == "__main__":
    unittest.main()

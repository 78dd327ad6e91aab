#!/usr/bin/env python3
"""Independent checks of synthesized Kubernetes manifests (multi-document YAML).

    checks.py schema FILE...   strict schema validation (kubernetes-validate) against
                               Kubernetes 1.27 and the newest release it knows; custom
                               resources against their CRDs' schemas (CRD_DIRS, ':'-separated)
    checks.py yaml FILE...     every document must read the same in YAML 1.1
                               (PyYAML, the reading Kubernetes does) and YAML 1.2
                               (ruamel.yaml), with no duplicate keys and only JSON values

Exit status: 0 when every object passes, 1 otherwise. Run through check.sh,
which installs the pinned packages from requirements.txt into a venv.
"""
import json
import os
import subprocess
import sys
from collections import defaultdict

import yaml  # PyYAML: YAML 1.1 resolver
from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError

import jsonschema
import kubernetes_validate
from kubernetes_validate.utils import (
    InvalidSchemaError,
    SchemaNotFoundError,
    ValidationError,
    VersionNotSupportedError,
    major_minor,
)

OLDEST = "1.27"  # the oldest Kubernetes release the library supports (cdk8s-plus-27)


class Yaml11Loader(yaml.SafeLoader):
    """PyYAML's safe loader, which resolves scalars by the YAML 1.1 rules."""


def _construct_value(loader, node):
    # A bare `=` is tagged tag:yaml.org,2002:value by PyYAML and has no
    # constructor; Kubernetes reads it as the string "=".
    return loader.construct_scalar(node)


Yaml11Loader.add_constructor("tag:yaml.org,2002:value", _construct_value)


def load_yaml11(path):
    with open(path, encoding="utf-8") as f:
        return list(yaml.load_all(f, Loader=Yaml11Loader))


def load_yaml12(path):
    y = YAML(typ="safe", pure=True)
    y.version = (1, 2)
    y.allow_duplicate_keys = False
    with open(path, encoding="utf-8") as f:
        return list(y.load_all(f))


def describe(obj):
    if not isinstance(obj, dict):
        return "<not a mapping>"
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    ns = meta.get("namespace")
    name = meta.get("name", "<no name>")
    return "%s/%s%s" % (obj.get("kind", "<no kind>"), (ns + "/") if ns else "", name)


def fmt_path(path):
    out = ""
    for p in path:
        out += "[%d]" % p if isinstance(p, int) else ("." + str(p))
    return out or "."


# --------------------------------------------------------------------------- schema

def newest_version():
    return major_minor(kubernetes_validate.latest_version())


def load_crds():
    """(apiVersion, kind) -> the served version's openAPIV3Schema, from the CRDs in CRD_DIRS."""
    schemas = {}
    for d in filter(None, os.environ.get("CRD_DIRS", "").split(":")):
        for name in sorted(os.listdir(d)):
            if not name.endswith((".yaml", ".yml")):
                continue
            with open(os.path.join(d, name)) as f:
                for crd in yaml.safe_load_all(f):
                    if not crd or crd.get("kind") != "CustomResourceDefinition":
                        continue
                    spec = crd["spec"]
                    for v in spec["versions"]:
                        if v.get("served"):
                            schemas[("%s/%s" % (spec["group"], v["name"]), spec["names"]["kind"])] = \
                                strict_structural(v["schema"]["openAPIV3Schema"])
    return schemas


def strict_structural(schema):
    """A CRD's structural schema as `kubectl apply --validate=strict` reads it: unknown fields are
    errors, except where the schema preserves them. Metadata is the API server's to check."""
    if isinstance(schema, dict):
        out = {k: strict_structural(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out \
                and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict_structural(v) for v in schema]
    return schema


def check_schema(files):
    versions = [OLDEST, newest_version()]
    crds = load_crds()
    if crds:
        print("custom resources against their CRDs' schemas: %s" % ", ".join(sorted("%s %s" % k for k in crds)))
    reader = os.environ.get("K8S_YAML_READER")
    print("kubernetes-validate %s: strict schemas, Kubernetes %s (oldest supported) and %s (newest known); "
          "objects as read by %s" % (kubernetes_validate.__version__, versions[0], versions[1],
                                     "Kubernetes (sigs.k8s.io/yaml)" if reader else "PyYAML (YAML 1.1)"))
    failures = 0
    seen = defaultdict(list)  # (dir, apiGroup, kind, ns, name) -> files
    for path in files:
        try:
            docs = read_kubernetes(reader, path) if reader else load_yaml11(path)
            docs = [d for d in docs if d is not None]
        except (yaml.YAMLError, ValueError) as e:
            print("FAIL %s: not YAML: %s" % (path, e))
            failures += 1
            continue
        ok = {v: 0 for v in versions}
        bad = 0
        for i, obj in enumerate(docs, 1):
            where = "%s: document %d (%s)" % (path, i, describe(obj))
            if not isinstance(obj, dict) or not obj.get("apiVersion") or not obj.get("kind"):
                print("FAIL %s: not a Kubernetes object (apiVersion and kind required)" % where)
                bad += 1
                continue
            meta = obj.get("metadata")
            if not isinstance(meta, dict) or not (meta.get("name") or meta.get("generateName")):
                print("FAIL %s: metadata.name is required" % where)
                bad += 1
            else:
                group = obj["apiVersion"].rpartition("/")[0]
                key = (os.path.dirname(os.path.abspath(path)), group, obj["kind"],
                       meta.get("namespace", ""), meta.get("name"))
                seen[key].append("%s#%d" % (path, i))
            crd = crds.get((obj["apiVersion"], obj["kind"]))
            if crd is not None:
                errors = sorted(jsonschema.Draft7Validator(crd).iter_errors(obj), key=lambda e: list(e.absolute_path))
                for e in errors:
                    print("FAIL %s: its CRD's schema: at %s: %s" % (where, fmt_path(list(e.absolute_path)), e.message))
                bad += len(errors)
                for v in versions:
                    ok[v] += 0 if errors else 1
                continue
            for v in versions:
                try:
                    got = kubernetes_validate.validate(obj, v, strict=True)
                    if got != v:
                        print("FAIL %s: validated against %s schemas, not %s" % (where, got, v))
                        bad += 1
                    else:
                        ok[v] += 1
                except ValidationError as e:
                    print("FAIL %s: Kubernetes %s: at %s: %s"
                          % (where, v, fmt_path(list(e.absolute_path)), e.message))
                    bad += 1
                except (SchemaNotFoundError, InvalidSchemaError) as e:
                    print("FAIL %s: Kubernetes %s: %s" % (where, v, e.message))
                    bad += 1
                except VersionNotSupportedError as e:
                    print("FAIL %s" % e.message)
                    return 1
        print("%s: %d object(s); valid against %s" % (
            path, len(docs), ", ".join("%s: %d/%d" % (v, ok[v], len(docs)) for v in versions)))
        failures += bad
    for key, where in seen.items():
        if len(where) > 1:
            print("FAIL duplicate object %s %s/%s%s in %s" % (
                key[1] or "core", key[2], (key[3] + "/") if key[3] else "", key[4], ", ".join(where)))
            failures += 1
    print("schema: %s (%d problem(s))" % ("FAIL" if failures else "ok", failures))
    return 1 if failures else 0


# --------------------------------------------------------------------------- yaml 1.1 vs 1.2

JSON_SCALARS = (str, int, float, bool, type(None))


def show(v):
    return "%r (%s)" % (v, type(v).__name__)


def same_scalar(a, b, loose_numbers):
    if loose_numbers and isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return a == b  # JSON does not tell 1000 from 1000.0
    return type(a) is type(b) and a == b


def compare(a, b, path, out, who, loose_numbers=False):
    """a: the reading of `who`, b: the YAML 1.2 reading. Appends (path, message) to out."""
    if isinstance(a, dict) and isinstance(b, dict):
        ta = {(type(k), k) for k in a}
        tb = {(type(k), k) for k in b}
        only_a, only_b = ta - tb, tb - ta
        if only_a or only_b:
            out.append((path, "keys differ: %s reads %s, YAML 1.2 reads %s"
                        % (who, ", ".join(show(k) for _, k in only_a) or "-",
                           ", ".join(show(k) for _, k in only_b) or "-")))
        for k in a:
            if (type(k), k) in tb:
                compare(a[k], b[k], path + [k], out, who, loose_numbers)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append((path, "%s reads %d items, YAML 1.2 reads %d" % (who, len(a), len(b))))
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, path + [i], out, who, loose_numbers)
        return
    if not same_scalar(a, b, loose_numbers):
        out.append((path, "%s reads %s, YAML 1.2 reads %s" % (who, show(a), show(b))))


def not_json(a, path, out):
    if isinstance(a, dict):
        for k, v in a.items():
            if not isinstance(k, str):
                out.append((path, "key %s is not a string in YAML 1.1" % show(k)))
            not_json(v, path + [k], out)
    elif isinstance(a, list):
        for i, v in enumerate(a):
            not_json(v, path + [i], out)
    elif not isinstance(a, JSON_SCALARS):
        out.append((path, "%s is not a JSON value in YAML 1.1 (quote it)" % show(a)))


def read_kubernetes(reader, path):
    """The documents as the Kubernetes API machinery reads them (sigs.k8s.io/yaml),
    converted to JSON by the Go helper built from psa/."""
    res = subprocess.run([reader, "-yaml-to-json", path], capture_output=True, text=True)
    if res.returncode != 0:
        raise ValueError(res.stderr.strip() or "exit %d" % res.returncode)
    return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]


def check_yaml(files):
    reader = os.environ.get("K8S_YAML_READER")
    print("Readings compared with YAML 1.2 (ruamel.yaml %s, pure, safe): YAML 1.1 (PyYAML %s)%s"
          % (__import__("ruamel.yaml").yaml.__version__, yaml.__version__,
             ", Kubernetes (sigs.k8s.io/yaml, Go)" if reader else
             "; Kubernetes' own reader not available (K8S_YAML_READER unset)"))
    failures = 0
    for path in files:
        try:
            a = [d for d in load_yaml11(path) if d is not None]
        except yaml.YAMLError as e:
            print("FAIL %s: YAML 1.1 reader: %s" % (path, e))
            failures += 1
            continue
        try:
            b = [d for d in load_yaml12(path) if d is not None]
        except DuplicateKeyError as e:
            print("FAIL %s: duplicate key: %s" % (path, " ".join(str(e).split("To suppress")[0].split())))
            failures += 1
            continue
        except Exception as e:  # any ruamel error
            print("FAIL %s: YAML 1.2 reader: %s" % (path, e))
            failures += 1
            continue
        readings = [("YAML 1.1 (PyYAML)", a, False)]
        if reader:
            try:
                k = [d for d in read_kubernetes(reader, path) if d is not None]
                readings.insert(0, ("Kubernetes (sigs.k8s.io/yaml)", k, True))
            except ValueError as e:
                print("FAIL %s: Kubernetes reader: %s" % (path, e))
                failures += 1
                continue
        problems = []
        for who, docs, loose in readings:
            if len(docs) != len(b):
                problems.append(("", "%s reads %d documents, YAML 1.2 reads %d" % (who, len(docs), len(b))))
        for i, y in enumerate(b):
            found = []
            for who, docs, loose in readings:
                if i < len(docs):
                    compare(docs[i], y, [], found, who, loose)
            if i < len(a):
                not_json(a[i], [], found)
            by_path = {}
            for p, msg in found:
                by_path.setdefault(fmt_path(p), []).append(msg)
            for p, msgs in by_path.items():
                problems.append(("document %d (%s) at %s" % (i + 1, describe(y), p), "; ".join(msgs)))
        for where, msg in problems:
            print("FAIL %s: %s: %s" % (path, where, msg))
        print("%s: %d document(s), %d difference(s)" % (path, len(b), len(problems)))
        failures += len(problems)
    print("yaml: %s (%d problem(s))" % ("FAIL" if failures else "ok", failures))
    return 1 if failures else 0


def main(argv):
    if len(argv) < 3 or argv[1] not in ("schema", "yaml", "newest-version"):
        if len(argv) == 2 and argv[1] == "newest-version":
            print(newest_version())
            return 0
        print(__doc__, file=sys.stderr)
        return 2
    return {"schema": check_schema, "yaml": check_yaml}[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))

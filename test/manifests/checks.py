#!/usr/bin/env python3
"""Independent checks of synthesized Kubernetes manifests (multi-document YAML).

    checks.py schema FILE...   strict schema validation (kubernetes-validate) against
                               Kubernetes 1.27 and the newest release it knows
    checks.py yaml FILE...     every document must read the same in YAML 1.1
                               (PyYAML, the reading Kubernetes does) and YAML 1.2
                               (ruamel.yaml), with no duplicate keys and only JSON values

Exit status: 0 when every object passes, 1 otherwise. Run through check.sh,
which installs the pinned packages from requirements.txt into a venv.
"""
import datetime
import os
import sys
from collections import defaultdict

import yaml  # PyYAML: YAML 1.1 resolver
from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError

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


def check_schema(files):
    versions = [OLDEST, newest_version()]
    print("kubernetes-validate %s: strict schemas, Kubernetes %s (oldest supported) and %s (newest known)"
          % (kubernetes_validate.__version__, versions[0], versions[1]))
    failures = 0
    seen = defaultdict(list)  # (dir, apiGroup, kind, ns, name) -> files
    for path in files:
        try:
            docs = [d for d in load_yaml11(path) if d is not None]
        except yaml.YAMLError as e:
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


def compare(a, b, path, out):
    """a: YAML 1.1 reading, b: YAML 1.2 reading. Appends (path, message) to out."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if not isinstance(k, str):
                out.append((path, "key %s is not a string in YAML 1.1" % show(k)))
        ta = {(type(k), k) for k in a}
        tb = {(type(k), k) for k in b}
        only_a, only_b = ta - tb, tb - ta
        if only_a or only_b:
            out.append((path, "keys differ: YAML 1.1 reads %s, YAML 1.2 reads %s"
                        % (", ".join(show(k) for _, k in only_a) or "-",
                           ", ".join(show(k) for _, k in only_b) or "-")))
        for k in a:
            if (type(k), k) in tb:
                compare(a[k], b[k], path + [k], out)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append((path, "YAML 1.1 reads %d items, YAML 1.2 reads %d" % (len(a), len(b))))
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, path + [i], out)
        return
    if type(a) is not type(b) or a != b:
        out.append((path, "YAML 1.1 (Kubernetes) reads %s, YAML 1.2 reads %s" % (show(a), show(b))))
        return
    if not isinstance(a, JSON_SCALARS) or isinstance(a, (datetime.date, datetime.datetime)):
        out.append((path, "%s is not a JSON value (quote it)" % show(a)))


def check_yaml(files):
    print("YAML 1.1 (PyYAML %s, as Kubernetes reads) vs YAML 1.2 (ruamel.yaml %s, pure, safe)"
          % (yaml.__version__, __import__("ruamel.yaml").yaml.__version__))
    failures = 0
    for path in files:
        try:
            a = load_yaml11(path)
        except yaml.YAMLError as e:
            print("FAIL %s: YAML 1.1 reader: %s" % (path, e))
            failures += 1
            continue
        try:
            b = load_yaml12(path)
        except DuplicateKeyError as e:
            print("FAIL %s: duplicate key: %s" % (path, " ".join(str(e).split())))
            failures += 1
            continue
        except Exception as e:  # any ruamel error
            print("FAIL %s: YAML 1.2 reader: %s" % (path, e))
            failures += 1
            continue
        problems = []
        if len(a) != len(b):
            problems.append(("", "YAML 1.1 reads %d documents, YAML 1.2 reads %d" % (len(a), len(b))))
        for i, (x, y) in enumerate(zip(a, b), 1):
            out = []
            compare(x, y, [], out)
            for p, msg in out:
                problems.append(("document %d (%s) at %s" % (i, describe(x), fmt_path(p)), msg))
        for where, msg in problems:
            print("FAIL %s: %s: %s" % (path, where, msg))
        print("%s: %d document(s), %d difference(s)" % (path, len(a), len(problems)))
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

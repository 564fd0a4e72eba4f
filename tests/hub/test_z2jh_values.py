"""hub/z2jh-values.yaml, the course on Kubernetes (Zero to JupyterHub), checked as far as this
machine allows: it validates against the chart's own values schema (merged over the chart's
defaults, as helm does), a misspelt key is caught, and its hub.extraConfig runs: the roster
is the allowed users, the instructor the only admin, each pod its own uid, only the
instructor's pod gets the course volume. Not tested here: pods, volumes, uids on NFS, the
images (they need a cluster).

tests/hub/z2jh/values.schema.yaml and values.yaml are copies of the chart's files
(jupyterhub/zero-to-jupyterhub-k8s, commit 48ea50e34daddde55d76e30df6ecd47e4abd4d8e, BSD-3, see
tests/hub/z2jh/LICENSE).
"""
from __future__ import annotations

import copy
import types

import pytest

yaml = pytest.importorskip("yaml")
jsonschema = pytest.importorskip("jsonschema")

from conftest import ROOT  # noqa: E402

pytestmark = pytest.mark.hub

Z2JH = ROOT / "tests" / "hub" / "z2jh"
VALUES = ROOT / "hub" / "z2jh-values.yaml"


def merged(base, over):
    """helm's merge of a values file over the chart's defaults (maps merge, the rest replaces)."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def validator():
    schema = yaml.safe_load(Z2JH.joinpath("values.schema.yaml").read_text())
    return jsonschema.Draft7Validator(schema)


def test_the_values_validate_against_the_charts_schema():
    values = yaml.safe_load(VALUES.read_text())
    defaults = yaml.safe_load(Z2JH.joinpath("values.yaml").read_text())
    errors = sorted(validator().iter_errors(merged(defaults, values)), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@pytest.mark.parametrize("path", [("singleuser", "storge"), ("hub", "extraFiles", "bpkit-roster",
                                                              "mountpath")])
def test_a_misspelt_key_is_caught(path):
    values = yaml.safe_load(VALUES.read_text())
    node = values
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = {"type": "dynamic"}
    defaults = yaml.safe_load(Z2JH.joinpath("values.yaml").read_text())
    assert list(validator().iter_errors(merged(defaults, values)))


def test_extra_config_makes_the_roster_the_class(tmp_path):
    from traitlets.config import Config
    values = yaml.safe_load(VALUES.read_text())
    roster_file = values["hub"]["extraFiles"]["bpkit-roster"]
    roster = roster_file["data"]
    (tmp_path / "roster.yaml").write_text(yaml.safe_dump(roster))
    code = values["hub"]["extraConfig"]["bpkit"].replace(roster_file["mountPath"],
                                                         str(tmp_path / "roster.yaml"))
    c = Config()
    exec(compile(code, "hub.extraConfig.bpkit", "exec"), {"c": c})
    instructor = next(iter(roster["instructor"]))
    assert c.Authenticator.allowed_users == {*roster["students"], instructor}
    assert c.Authenticator.admin_users == {instructor}
    uids = list(roster["students"].values()) + list(roster["instructor"].values())
    assert len(set(uids)) == len(uids) and min(uids) > 1000      # one uid each, none a system one
    hook = c.KubeSpawner.pre_spawn_hook

    def spawn(name):
        s = types.SimpleNamespace(user=types.SimpleNamespace(name=name), volumes=[],
                                  volume_mounts=[], environment={}, image="student",
                                  default_url="/lab")
        hook(s)
        return s
    student = spawn("bpkit-s02")
    assert student.uid == roster["students"]["bpkit-s02"] and student.image == "student"
    assert student.environment["USER"] == "bpkit-s02" and not student.volumes
    teacher = spawn(instructor)
    assert teacher.uid == roster["instructor"][instructor] and teacher.image != "student"
    assert [v["name"] for v in teacher.volumes] == ["bpkit-course"]
    assert teacher.environment["BPKIT_COURSE"] == "/home/jovyan/bpkit-course"
    exchange = values["singleuser"]["storage"]["extraVolumeMounts"][0]["mountPath"]
    nbgrader_config = values["singleuser"]["extraFiles"]["nbgrader-config"]["stringData"]
    assert f'c.Exchange.root = "{exchange}"' in nbgrader_config
    # submissions closed to the other students: the instructor's group is not theirs
    assert 'c.ExchangeFactory.submit = "bpkit.exchange.PrivateSubmit"' in nbgrader_config
    assert teacher.gid not in {student.gid, values["singleuser"]["fsGid"]}

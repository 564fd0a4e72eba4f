"""JupyterHub for the bpkit course (started by `make hub`, i.e. `python hub/setup.py start`).

Everything machine-specific comes from STATE/hub.json, which hub/setup.py writes (STATE is the
environment variable BPKIT_HUB_STATE, `.hub/` by default): ports, users, the two Python
environments and the course folder.

- Logins, the instructor's one choice (README "Running a real class"): by default the system's
  PAM: every student of the roster is a local user with their own generated password
  (`bpkit hub init`, STATE/passwords.csv, root only). A campus login instead is a config-only
  switch: put its settings in STATE/auth_config.py (examples: hub/auth/*.py), loaded last.
  Either way only the roster's students and the instructor get in, and the instructor alone
  is an admin.
- TLS: with a certificate (`bpkit hub start --ssl-cert --ssl-key`) the proxy serves HTTPS.
- Proxy: configurable-http-proxy from npm (installed by the Makefile into .hub/node_modules).
- Spawner: LocalProcessSpawner, each user's JupyterLab running as that system user.
  The instructor runs the course venv (bpkit with its instructor part, nbgrader's Formgrader,
  Create Assignment and course list, BPKIT_COURSE = the course folder); the students run the
  student venv, which holds only the student part of bpkit and in which nbgrader's instructor
  extensions are disabled: they see the Assignments tab and Validate.
"""
import json
import os
from pathlib import Path

from jupyterhub.utils import random_port

c = get_config()  # noqa: F821  (injected by traitlets)

STATE = Path(os.environ.get("BPKIT_HUB_STATE", Path(__file__).resolve().parents[1] / ".hub"))
cfg = json.loads((STATE / "hub.json").read_text())

c.JupyterHub.bind_url = f"{'https' if cfg.get('ssl_cert') else 'http'}://{cfg['ip']}:{cfg['port']}"
if cfg.get("ssl_cert"):
    c.JupyterHub.ssl_cert = cfg["ssl_cert"]
    c.JupyterHub.ssl_key = cfg["ssl_key"]
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{cfg['port'] + 1}"
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")

c.ConfigurableHTTPProxy.command = [cfg["proxy"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{cfg['port'] + 2}"
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")

# ---- authentication: local accounts, one password per student (PAM) ----
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set([cfg["instructor"], *cfg["students"]])
c.Authenticator.admin_users = {cfg["instructor"]}
# ---- or the campus login: STATE/auth_config.py overrides the lines above (hub/auth/*.py) ----
if (STATE / "auth_config.py").exists():
    load_subconfig(str(STATE / "auth_config.py"))  # noqa: F821 - traitlets gives it to config files

# `bpkit hub add-student / remove-student` tell the running hub through its REST API
if cfg.get("service_token_file"):
    c.JupyterHub.services = [{"name": "bpkit-roster",
                              "api_token": Path(cfg["service_token_file"]).read_text().strip()}]
    c.JupyterHub.load_roles = [{"name": "bpkit-roster", "services": ["bpkit-roster"],
                                "scopes": ["admin:users", "admin:servers"]}]

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180           # 2 shared cores: a cold JupyterLab can take a while
c.Spawner.http_timeout = 180
c.Spawner.environment = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                         "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


_ports = {}     # user -> the port of their JupyterLab, in this hub process


def _port(name):
    """A free port no other user's server of this hub was given: a class starting at once can
    otherwise draw one port twice (random_port() frees it before the server binds it), and one
    student's URL then leads to another's server."""
    taken = {p for n, p in _ports.items() if n != name}
    port = random_port()
    while port in taken:
        port = random_port()
    _ports[name] = port
    return port


def per_user(spawner):
    """The instructor's environment or the students' one, chosen by login name."""
    name = spawner.user.name
    spawner.port = _port(name)
    if name == cfg["instructor"]:
        venv, extra = cfg["instructor_venv"], {"BPKIT_COURSE": cfg["course"]}
        spawner.notebook_dir = cfg["course"]
    else:
        venv, extra = cfg["student_venv"], {}
        spawner.notebook_dir = "~"
    spawner.cmd = [f"{venv}/bin/jupyterhub-singleuser"]
    spawner.environment = dict(spawner.environment, **extra,
                               PATH=f"{venv}/bin:/usr/local/bin:/usr/bin:/bin",
                               # this user's nbgrader_config.py (exchange, course id)
                               JUPYTER_CONFIG_PATH=f"{cfg['users_config']}/{name}")


c.Spawner.pre_spawn_hook = per_user

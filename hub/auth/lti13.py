"""Launch from the learning platform (LTI 1.3: Canvas, Moodle, Blackboard, Open edX) instead of
the local passwords. A config-only switch:

    cp hub/auth/lti13.py .hub/auth_config.py     # fill in the platform's values below
    export BPKIT_LTI_CLIENT_ID=...               # the client id the platform gave the tool
    bpkit hub stop; bpkit hub start --ssl-cert ... --ssl-key ...

Register the hub as an LTI 1.3 tool on the platform: its configuration is served at
https://HUB.example.edu/hub/lti13/config (login initiation /hub/lti13/oauth_login, redirect
/hub/lti13/oauth_callback). `username_key` must give the roster's student id (often a custom
claim, e.g. custom_login = $User.username): the hub runs each student's JupyterLab as the
system user of that name. hub/jupyterhub_config.py keeps the roster as the allowed users and the
instructor as the only admin.
"""
import os

c = get_config()  # noqa: F821

c.JupyterHub.authenticator_class = "ltiauthenticator.lti13.auth.LTI13Authenticator"
c.LTI13Authenticator.issuer = "https://canvas.example.edu"
c.LTI13Authenticator.client_id = {os.environ["BPKIT_LTI_CLIENT_ID"]}
c.LTI13Authenticator.authorize_url = "https://canvas.example.edu/api/lti/authorize_redirect"
c.LTI13Authenticator.jwks_endpoint = "https://canvas.example.edu/api/lti/security/jwks"
c.LTI13Authenticator.username_key = "custom_login"      # = the roster's student id

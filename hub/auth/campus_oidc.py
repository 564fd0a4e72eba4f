"""The campus login (OpenID Connect: Keycloak, Azure AD/Entra ID, Shibboleth's OIDC, Google
Workspace, ...) instead of the local passwords. A config-only switch:

    cp hub/auth/campus_oidc.py .hub/auth_config.py     # fill in the URLs below
    export BPKIT_OAUTH_CLIENT_ID=... BPKIT_OAUTH_CLIENT_SECRET=...   # from the campus IdP
    bpkit hub stop; bpkit hub start --ssl-cert ... --ssl-key ...

Register the hub with the identity provider with the callback URL
https://HUB.example.edu/hub/oauth_callback. The claim named by `username_claim` must be the
roster's student id: the hub runs each student's JupyterLab as the system user of that name
(made by `bpkit hub init --roster`). hub/jupyterhub_config.py keeps the roster as the allowed
users and the instructor as the only admin; this file does not change that.
"""
import os

c = get_config()  # noqa: F821

c.JupyterHub.authenticator_class = "generic-oauth"
c.GenericOAuthenticator.client_id = os.environ["BPKIT_OAUTH_CLIENT_ID"]
c.GenericOAuthenticator.client_secret = os.environ["BPKIT_OAUTH_CLIENT_SECRET"]
c.GenericOAuthenticator.oauth_callback_url = "https://hub.example.edu/hub/oauth_callback"
c.GenericOAuthenticator.authorize_url = "https://login.example.edu/realms/campus/protocol/openid-connect/auth"
c.GenericOAuthenticator.token_url = "https://login.example.edu/realms/campus/protocol/openid-connect/token"
c.GenericOAuthenticator.userdata_url = "https://login.example.edu/realms/campus/protocol/openid-connect/userinfo"
c.GenericOAuthenticator.scope = ["openid", "profile", "email"]
c.GenericOAuthenticator.username_claim = "preferred_username"   # = the roster's student id
c.GenericOAuthenticator.login_service = "campus login"

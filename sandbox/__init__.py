"""The ImmigraFlow sandbox: a stateful, spec-driven devapi served with Connexion.

Public surface:

- :func:`sandbox.app.create_app` builds the ASGI app from :class:`sandbox.settings.SandboxSettings`.
- :func:`sandbox.signatures.verify_signature` checks an ``ImmigraFlow-Signature`` webhook header.
"""

from __future__ import annotations

__version__ = "0.1.0"

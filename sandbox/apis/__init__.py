"""API plug-ins served by the engine: one package per API (``immigraflow`` today)."""

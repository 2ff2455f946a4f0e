"""Sandbox controls (``/_sandbox``, described by ``openapi/sandbox.yaml``).

Generic controls live here (clock, faults, request log); an API plug-in adds its own
(reset, outbox, forcing statuses, webhook deliveries, scenarios) through ``DomainControls``.
"""

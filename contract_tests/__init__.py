"""Contract tests for the ImmigraFlow partner API: verify any implementation of the spec."""

from __future__ import annotations

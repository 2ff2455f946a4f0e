"""pytest plugin of the contract suite (loaded through the ``pytest11`` entry point)."""

from __future__ import annotations

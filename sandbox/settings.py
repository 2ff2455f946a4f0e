"""How a sandbox runs: where its data lives, what it seeds, how it is reached."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sandbox.apis.immigraflow.runtime import DomainSettings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = ROOT / ".sandbox" / "immigraflow.sqlite3"
DEFAULT_WORLD = ROOT / "fixtures" / "world.json"


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    """Everything ``create_app`` needs; the CLI maps its options onto these fields."""

    #: SQLite file (created if missing), or ``":memory:"`` for a throw-away sandbox.
    db: str = str(DEFAULT_DB)
    #: Fixtures world loaded into an empty database (and on reset).
    world: Path = DEFAULT_WORLD
    #: Generate the world from this seed instead of reading ``world`` (None: read the file).
    seed: int | None = None
    #: Largest request body accepted, in bytes.
    max_body: int = 1024 * 1024
    #: Run background work (webhook deliveries, periodic re-checks). Off only in unit tests.
    background: bool = True
    #: Seconds between two passes of the periodic re-check and delivery loops.
    tick_seconds: float = 0.2
    #: Serve conforming requests through operations compiled at start-up (off: Connexion alone).
    fast_path: bool = True
    domain: DomainSettings = field(default_factory=DomainSettings)

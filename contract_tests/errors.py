"""Usage errors of the contract suite (never check failures; those live in ``contract_tests.checks``).

::

    ContractError              anything that stops the suite from running at all
      ConfigError              an option or environment variable has a bad value
      TargetError              the target cannot be started or reached
"""

from __future__ import annotations


class ContractError(Exception):
    """The suite cannot run as configured."""


class ConfigError(ContractError):
    """An option has a bad value; the message names it, the valid forms and an example."""


class TargetError(ContractError):
    """The target API cannot be started or reached."""

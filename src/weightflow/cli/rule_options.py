"""Flags of the gradient-free training rules (--eta, --temperature, ...), kept apart from train_cmd.

``rule_options`` adds the flags to a command; ``rule_option_values`` turns the ones the user gave
into optimizer options for the chosen rule. No rule flags exist yet.
"""

from __future__ import annotations


def rule_options(f):
    """Decorate a click command with the rule flags."""
    return f


def rule_option_values(optimizer: str, flags: dict) -> dict:
    """The optimizer options given on the command line for ``optimizer`` (unset flags left out)."""
    return {}

"""What an idempotent command did. Commands that a redelivered message may repeat return one."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Outcome"]


class Outcome(StrEnum):
    APPLIED = "applied"
    """The command changed state and recorded events: save the aggregates."""
    DUPLICATE = "duplicate"
    """The same command was already applied (redelivery): nothing recorded, nothing to do."""
    IGNORED = "ignored"
    """Nothing to do in the current state (e.g. release of a reservation that never held stock)."""
    REJECTED_LATE = "rejected_late"
    """The command arrived after a conflicting outcome (commit of an already released
    reservation): nothing recorded; the caller decides how to compensate or alert."""

"""Status workflows: the statuses of one kind of object and the moves allowed between them.

A domain declares its statuses as a `StrEnum` (the wire values; its model stores the string) and
one `Workflow` of the moves; its service calls `check` before it changes a status, and the
dashboard offers `allowed(status)`:

    class PayoutStatus(StrEnum):
        PROCESSING = "processing"
        PAID = "paid"
        FAILED = "failed"

    WORKFLOW = Workflow("payout", {
        PayoutStatus.PROCESSING: {PayoutStatus.PAID, PayoutStatus.FAILED},
        PayoutStatus.PAID: set(),
        PayoutStatus.FAILED: set(),
    })

    WORKFLOW.check(payout.status, requested)   # raises InvalidStatusTransition (400)
"""

from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from vantio.errors import BadRequest

S = TypeVar("S", bound=StrEnum)


class InvalidStatusTransition(BadRequest):
    code = "invalid_status_transition"

    def __init__(self, kind: str, current: str, requested: str, allowed: Collection[str]):
        article = "an" if kind[:1] in "aeiou" else "a"
        super().__init__(
            f"status: {article} {kind} cannot go from '{current}' to '{requested}'",
            details={
                "field": "status",
                "current": current,
                "requested": requested,
                "allowed": sorted(allowed),
            },
        )


class Workflow(Generic[S]):
    """The moves between the statuses of `kind` objects (every status is a key, even a final one)."""

    def __init__(self, kind: str, moves: Mapping[S, Collection[S]]) -> None:
        self.kind = kind
        self._moves: dict[str, frozenset[S]] = {
            status.value: frozenset(targets) for status, targets in moves.items()
        }
        unknown = {t for targets in self._moves.values() for t in targets} - set(self._moves)
        if unknown:
            raise ValueError(f"{kind} workflow moves to undeclared statuses {sorted(unknown)}")
        self.statuses: tuple[S, ...] = tuple(moves)

    def allowed(self, current: str) -> list[S]:
        """The statuses an object in `current` may move to, sorted."""
        return sorted(self._moves[current])

    def check(self, current: str, requested: str) -> None:
        """Raise `InvalidStatusTransition` unless `current` may move to `requested`."""
        allowed = self._moves[current]
        if requested not in allowed:
            raise InvalidStatusTransition(self.kind, current, requested, allowed)

"""How much work one reconciliation request may ask for, and the deadline it runs under.

Every cap is checked while the request is parsed, before any matching starts, and answered with a
413 that names the cap, where it was exceeded and how to fit under it; the deadline is checked while
matching (before each entity is scored) and answered with a 503 and ``Retry-After``. The matching is
linear in the length of a query (:mod:`blackjanuary.reconcile.index`), so the caps can be generous:
a full batch at every cap takes well under a second (``docs/reliability.md``).

>>> limits = ReconcileLimits()
>>> limits.check_text("Baku", "query 'q0'")
>>> limits.check_text("x " * 5000, "query 'q0'")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
blackjanuary.errors.PayloadTooLarge: query 'q0': the text is 10000 characters long; at most 2000 are ...
"""

from __future__ import annotations

import reprlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from blackjanuary.errors import PayloadTooLarge, ServiceUnavailable

if TYPE_CHECKING:
    from blackjanuary.config import Settings

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = _short.maxdict = 4


def shown(value: Any) -> str:
    """``repr`` of a client's value, cut short: error messages never echo a megabyte back."""
    return _short.repr(value)


class ReconcileTimeout(ServiceUnavailable):
    """A reconciliation request ran past its deadline."""

    retry_after: ClassVar[int] = 5


@dataclass
class Deadline:
    """A monotonic deadline ``seconds`` from its creation; :meth:`check` raises once it has passed."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise ReconcileTimeout(
                f"the reconciliation request took longer than {self.seconds:g} s and was stopped.",
                hint="send fewer or shorter queries per request, or retry later",
            )


@dataclass(frozen=True)
class ReconcileLimits:
    max_batch: int = 50
    """Queries (or ids) per request."""
    max_query_chars: int = 2_000
    """Characters of one query text or one property value."""
    max_query_words: int = 400
    """Words of one query text."""
    max_properties: int = 50
    """Property conditions per query, properties per extension request."""
    max_values: int = 50
    """Values per property condition."""
    max_batch_chars: int = 50_000
    """Characters of every query text and property value in one request together."""
    max_json_depth: int = 32
    """Nesting of ``[`` and ``{`` in a JSON document (a reconciliation request needs five)."""
    timeout: float = 10.0
    """Seconds one request may spend matching."""

    @classmethod
    def from_settings(cls, settings: Settings) -> ReconcileLimits:
        return cls(
            max_query_chars=settings.reconcile_max_query_chars,
            max_batch_chars=settings.reconcile_max_batch_chars,
            timeout=settings.reconcile_timeout,
        )

    def deadline(self) -> Deadline:
        return Deadline(self.timeout)

    def check_count(self, count: int, what: str, cap: int, where: str = "one request") -> None:
        if count > cap:
            raise PayloadTooLarge(
                f"{count} {what} in {where}; at most {cap} are accepted.",
                hint=f"split it into parts of {cap} or fewer",
            )

    def check_text(self, text: str, where: str) -> None:
        if len(text) > self.max_query_chars:
            raise PayloadTooLarge(
                f"{where}: the text is {len(text)} characters long; "
                f"at most {self.max_query_chars} are accepted.",
                hint="send the name to match, not a whole text",
            )
        words = len(text.split())
        if words > self.max_query_words:
            raise PayloadTooLarge(
                f"{where}: the text has {words} words; at most {self.max_query_words} are accepted.",
                hint="send the name to match, not a whole text",
            )


class BatchBudget:
    """Counts the characters of every text and value of one request against ``max_batch_chars``."""

    def __init__(self, limits: ReconcileLimits) -> None:
        self.limits = limits
        self.used = 0

    def spend(self, texts: tuple[str, ...] | list[str], where: str) -> None:
        for text in texts:
            self.limits.check_text(text, where)
            self.used += len(text)
        if self.used > self.limits.max_batch_chars:
            raise PayloadTooLarge(
                f"the queries of this request hold more than {self.limits.max_batch_chars} characters "
                f"together ({where} went over).",
                hint="split the batch into smaller requests",
            )

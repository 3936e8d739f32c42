"""JSON from clients, parsed with its nesting bounded first (the parser itself recurses).

:func:`nesting_error` scans the text once, without recursion and in C-level iterators, for the first
``[`` or ``{`` (outside strings) that goes deeper than allowed; :func:`loads` refuses such a text with
a 400 that says where, and parses the rest with :func:`json.loads`.

>>> loads('{"q0": {"query": "Baku"}}', "queries", max_depth=4)
{'q0': {'query': 'Baku'}}
>>> loads("[" * 100_000, "queries", max_depth=32, hint="send a flat batch")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
blackjanuary.errors.BadRequest: 'queries' nests deeper than 32 levels of [ and {: level 33 opens at ...
>>> loads('{"a": "[[[[[[[[["}', "body", max_depth=2)
{'a': '[[[[[[[[['}
"""

from __future__ import annotations

import json
import operator
import re
from itertools import accumulate, compress, count, repeat
from typing import Any

from blackjanuary.errors import BadRequest

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]")
_STEPS = str.maketrans({"[": "\x02", "{": "\x02", "]": "\x00", "}": "\x00"})


def _blank_string(match: re.Match[str]) -> str:
    return '"' + " " * (len(match.group()) - 2) + '"'


def nesting_error(text: str, max_depth: int) -> tuple[int, int] | None:
    """``(offset, depth)`` of the first bracket that opens level ``max_depth + 1``, or ``None``.

    Strings are blanked first (same length, so offsets stay true). Each character then becomes a
    step of +1 (open), -1 (close) or 0, written as 2/0/1; the running sum minus the position is the
    depth, computed by ``accumulate``, ``map`` and ``compress`` without a Python-level loop.
    """
    if "[" not in text and "{" not in text:
        return None
    blanked = _STRING.sub(_blank_string, text) if '"' in text else text
    steps = _NOT_BRACKET.sub("\x01", blanked).translate(_STEPS).encode("latin-1")
    depths = map(operator.sub, accumulate(steps), count(1))
    too_deep = map(operator.gt, depths, repeat(max_depth))
    offset = next(compress(count(), too_deep), None)
    return None if offset is None else (offset, max_depth + 1)


def loads(text: str, name: str, *, max_depth: int, hint: str | None = None) -> Any:
    """``json.loads`` for a client's document: a 400 that says what and where for anything it refuses."""
    error = nesting_error(text, max_depth)
    if error is not None:
        offset, depth = error
        line = text.count("\n", 0, offset) + 1
        column = offset - text.rfind("\n", 0, offset)
        raise BadRequest(
            f"'{name}' nests deeper than {max_depth} levels of [ and {{: level {depth} opens at line "
            f"{line}, column {column}.",
            hint=hint or "a reconciliation request needs only a few levels of nesting",
        )
    try:
        return json.loads(text)
    except RecursionError:  # cannot happen below the bound; never a 500 if it did
        raise BadRequest(f"'{name}' nests too deeply to be parsed.") from None
    except ValueError as exc:  # JSONDecodeError (with line and column), or an over-long integer
        raise BadRequest(f"'{name}' is not valid JSON: {exc}.", hint=hint) from None

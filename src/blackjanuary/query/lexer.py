"""A SPARQL 1.1 (and RDF 1.2) lexer for the guards in front of the engine, right by construction.

It follows the grammar's terminals (SPARQL 1.1 §19.8, as pyoxigraph 0.5 reads them): ``IRIREF`` with
``UCHAR`` escapes, ``PNAME_NS``/``PNAME_LN`` with ``PLX`` (``%HH`` and the ``PN_LOCAL_ESC`` escapes
``ex:a\\#``, ``ex:a\\'`` …), the four string forms with ``ECHAR``/``UCHAR``, comments, ``BLANK_NODE_LABEL``,
``VAR1``/``VAR2``, numbers, ``LANGTAG`` (with an RDF 1.2 direction) and every punctuation and operator
token. Whatever it cannot read is a :class:`LexError` (400, naming the line and column): the guard
fails closed instead of guessing, so no stretch of code can hide inside something the guard took for a
string, a comment or an IRI.

``<`` is both an IRI's opening and the less-than operator. Oxigraph's parser decides by position: in an
expression, right after an operand, it is the operator; everywhere else it opens an IRI (or a ``<<``
triple term). The lexer keeps the same small piece of context — a stack of the open brackets and what
each one opened (a group, an expression, a path or collection) — so it reads ``FILTER(?a<?b&&?c>?d)``
as two comparisons and ``?s <http://e/p#x> ?o`` as an IRI, exactly like the engine.

>>> [t.text for t in tokenize(r"PREFIX ex: <http://e/#> SELECT * { ex:a\\# ?p 'x' } # c")]
['PREFIX', 'ex:', '<http://e/#>', 'SELECT', '*', '{', 'ex:a\\\\#', '?p', "'x'", '}']
>>> [t.kind for t in tokenize("FILTER(?a<?b)")]
['NAME', 'PUNCT', 'VAR', 'PUNCT', 'VAR', 'PUNCT']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from blackjanuary.errors import BadRequest

# Character classes of the grammar (PN_CHARS_BASE, PN_CHARS_U, PN_CHARS, VARNAME) ----------------------
_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_PLX = rf"%{_HEX}{{2}}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = rf"(?:[{_CHARS_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_VARNAME = rf"[{_CHARS_U}0-9][{_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_ECHAR = rf"""\\[tbnrf\\"']|{_UCHAR}"""

_SKIP = re.compile(r"(?:[ \t\r\n]|#[^\r\n]*)+")
# Possessive runs (``++``, ``*+``): linear in the text even when the closing quote or '>' never comes.
_IRIREF = re.compile(rf"""<(?:[^<>"{{}}|^`\\\x00-\x20]++|{_UCHAR})*+>""")
_STRINGS = re.compile(
    rf"""'''(?:'{{0,2}}(?:[^'\\]++|{_ECHAR}))*+'''"""
    rf'''|"""(?:"{{0,2}}(?:[^"\\]++|{_ECHAR}))*+"""'''
    rf"""|'(?:[^'\\\r\n]++|{_ECHAR})*+'"""
    rf'''|"(?:[^"\\\r\n]++|{_ECHAR})*+"'''
)
_PREFIX_RUN = re.compile(rf"[{_BASE}][{_CHARS}.]*+")
_PN_LOCAL_RE = re.compile(_PN_LOCAL)
_BNODE = re.compile(rf"_:[{_CHARS_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?")
_VAR = re.compile(rf"[?$]{_VARNAME}")
_LANGTAG = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?")
_NUMBER = re.compile(
    r"[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+\.[0-9]*[eE][+-]?[0-9]+|[0-9]+(?:[eE][+-]?[0-9]+)?"
)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_PUNCT = re.compile(r"<<\(|\)>>|\|\||&&|\^\^|<=|>=|!=|<<|>>|\{\||\|\}|[{}\[\]();,.+\-*/<>=!^|~?]")

OPENERS = frozenset({"(", "{", "[", "{|", "<<", "<<("})
CLOSERS = frozenset({")", "}", "]", "|}", ">>", ")>>"})
_OPERAND_END = frozenset({"VAR", "IRI", "PNAME", "STRING", "LANGTAG", "NUMBER"})
_PATTERN_NAMES = frozenset({"a", "VALUES", "UNDEF"})
"""Names after which ``(`` opens a collection or a variable list, not an expression (``?s a (1 2)``)."""

# What a bracket opened: a group (or blank-node list, triple term), an expression, a path/collection.
GROUP, EXPR, PATHS, TOP = "group", "expr", "paths", "top"


class LexError(BadRequest):
    """The query holds something the SPARQL grammar has no token for (400, with the position)."""


class Token(NamedTuple):
    kind: str
    """IRI, PNAME, BNODE, VAR, STRING, LANGTAG, NUMBER, NAME (a keyword or function) or PUNCT."""
    text: str
    start: int
    """Offset in the query text (characters)."""


@dataclass
class _Scope:
    kind: str
    opener: str
    subselect: bool = False


@dataclass
class _State:
    scopes: list[_Scope] = field(default_factory=lambda: [_Scope(TOP, "")])
    previous: Token | None = None
    before_previous: Token | None = None
    no_prefix_before: int = 0
    """No prefixed name starts before this offset (a run of name characters with no ':' after it)."""


def position(query: str, offset: int) -> str:
    """``line L, column C`` (both from 1) of ``offset`` in ``query``."""
    line = query.count("\n", 0, offset) + 1
    column = offset - (query.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _error(query: str, offset: int, what: str, hint: str | None = None) -> LexError:
    return LexError(
        f"the query cannot be read at {position(query, offset)} (character {offset + 1}): {what}.",
        hint=hint or "Check the SPARQL syntax there (strings, IRIs in <…>, escapes).",
    )


def _char_name(ch: str) -> str:
    return repr(ch) if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def _is_name(token: Token | None, *names: str) -> bool:
    """``token`` is a NAME among ``names`` (case-insensitive for upper-case names, exact for ``a``)."""
    if token is None or token.kind != "NAME":
        return False
    return any(token.text == n if n.islower() else token.text.upper() == n for n in names)


def _paren_kind(state: _State) -> str:
    """What a ``(`` opens here (see the module docstring)."""
    scope = state.scopes[-1]
    prev, before = state.previous, state.before_previous
    if scope.kind == EXPR:
        return EXPR
    if scope.kind == PATHS:
        return PATHS
    if _is_name(prev, *_PATTERN_NAMES) or _is_name(prev, "VALUES"):
        return PATHS
    if scope.kind == TOP or scope.subselect:
        return EXPR
    if prev is not None and prev.kind == "NAME":
        return EXPR  # FILTER(, BIND(, FILTER regex(, FILTER NOT EXISTS is a group
    if prev is not None and prev.kind in ("IRI", "PNAME") and _is_name(before, "FILTER"):
        return EXPR  # FILTER <function>(…) / FILTER ex:function(…)
    if prev is not None and prev.kind == "PNAME" and prev.text.upper().startswith("FILTER"):
        return EXPR  # FILTERex:function(…): Oxigraph reads keywords without a word boundary
    return PATHS


def _operand_ended(state: _State) -> bool:
    prev = state.previous
    if prev is None:
        return False
    if prev.kind in _OPERAND_END:
        return True
    if prev.kind == "NAME":
        return prev.text in ("true", "false")
    return prev.text in (")", ">>", ")>>", "]")


def _less_than(query: str, pos: int, state: _State) -> tuple[str, str]:
    """The token that starts with ``<`` at ``pos``: (kind, text)."""
    if state.scopes[-1].kind == EXPR and _operand_ended(state):
        return "PUNCT", "<=" if query.startswith("<=", pos) else "<"
    if query.startswith("<<(", pos):
        return "PUNCT", "<<("
    if query.startswith("<<", pos):
        return "PUNCT", "<<"
    iri = _IRIREF.match(query, pos)
    if iri is None:
        end = query.find(">", pos)
        raise _error(
            query,
            pos,
            "'<' opens an IRI here, but no valid IRI follows"
            + ("" if end < 0 else f" (up to the '>' at character {end + 1})"),
            'Write IRIs as <scheme:…> without spaces or any of <>"{}|^`\\ (escape them with %HH or \\uXXXX).',
        )
    return "IRI", iri.group(0)


def _prefixed_name(query: str, pos: int, state: _State) -> str | None:
    """The PNAME_NS or PNAME_LN at ``pos``, if one starts there.

    The prefix is read as one possessive run (linear time), and a failed run is remembered, so a long
    word without a colon is scanned once, not once per character.
    """
    if query.startswith(":", pos):
        end = pos
    elif pos < state.no_prefix_before:
        return None
    else:
        run = _PREFIX_RUN.match(query, pos)
        if run is None:
            return None
        end = run.end()
        if not query.startswith(":", end) or query[end - 1] == ".":
            state.no_prefix_before = end
            return None
    local = _PN_LOCAL_RE.match(query, end + 1)
    return query[pos : local.end() if local else end + 1]


def _punct(query: str, pos: int, state: _State) -> str:
    scope = state.scopes[-1]
    if query.startswith(")>>", pos) and scope.opener != "<<(":
        return ")"
    if query.startswith(">>", pos) and scope.opener != "<<":
        return ">=" if query.startswith(">=", pos) else ">"
    match = _PUNCT.match(query, pos)
    if match is None:
        raise _error(query, pos, f"unexpected character {_char_name(query[pos])}")
    return match.group(0)


def _track(state: _State, token: Token) -> None:
    """Update the bracket stack for ``token``."""
    scopes = state.scopes
    if token.kind == "NAME" and token.text.upper().startswith("SELECT") and scopes[-1].kind == GROUP:
        scopes[-1].subselect = True
    elif token.kind == "PUNCT":
        text = token.text
        if text in OPENERS:
            if text == "(":
                kind = _paren_kind(state)
            elif text == "<<(":
                kind = PATHS
            else:
                kind = GROUP
            scopes.append(_Scope(kind, text))
        elif text in CLOSERS and len(scopes) > 1:
            scopes.pop()
    state.before_previous, state.previous = state.previous, token


def tokenize(query: str) -> Iterator[Token]:
    """The tokens of ``query`` (whitespace and comments skipped); :class:`LexError` on anything else."""
    state = _State()
    pos = 0
    length = len(query)
    while True:
        skip = _SKIP.match(query, pos)
        if skip is not None:
            pos = skip.end()
        if pos >= length:
            return
        ch = query[pos]
        kind: str
        text: str
        if ch in "'\"":
            string = _STRINGS.match(query, pos)
            if string is None:
                raise _error(
                    query,
                    pos,
                    "a string starts here but never ends properly",
                    "Close it with the same quote; inside, escape quotes and backslashes "
                    '(\\" \\\' \\\\) and use """…""" for line breaks.',
                )
            kind, text = "STRING", string.group(0)
        elif ch == "<":
            kind, text = _less_than(query, pos, state)
        elif ch in "?$" and (var := _VAR.match(query, pos)) is not None:
            kind, text = "VAR", var.group(0)
        elif ch == "@":
            tag = _LANGTAG.match(query, pos)
            if tag is None:
                raise _error(query, pos, "'@' must start a language tag such as @en or @de-AT")
            kind, text = "LANGTAG", tag.group(0)
        elif ch == "_" and query.startswith("_:", pos):
            bnode = _BNODE.match(query, pos)
            if bnode is None:
                raise _error(query, pos, "'_:' must start a blank node label such as _:b1")
            kind, text = "BNODE", bnode.group(0)
        elif ch.isdigit() or (ch == "." and pos + 1 < length and query[pos + 1].isdigit()):
            number = _NUMBER.match(query, pos)
            assert number is not None  # a digit, or a dot before one, always starts a number
            kind, text = "NUMBER", number.group(0)
        elif (pname := _prefixed_name(query, pos, state)) is not None:
            kind, text = "PNAME", pname
        elif (name := _NAME.match(query, pos)) is not None:
            kind, text = "NAME", name.group(0)
        else:
            kind, text = "PUNCT", _punct(query, pos, state)
        token = Token(kind, text, pos)
        _track(state, token)
        yield token
        pos += len(text)

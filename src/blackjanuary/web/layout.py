"""Geometry shared by the server-rendered pictures: text boxes, overlap tests, greedy placement.

The server has no font metrics, so a label's width is estimated generously from its length
(:data:`CHAR_EM` per character); the browser tests measure the real boxes and check the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

CHAR_EM = 0.6
"""Estimated advance of an ordinary character in ems; :func:`char_em` refines it by kind."""
_NARROW = set("iljftrI.,:;'|!()[]{}·")
_WIDE = set("mwMW—@%")


def char_em(char: str) -> float:
    """A generous advance for ``char`` in ems (DejaVu Sans and system-ui fonts stay under it)."""
    if char == " " or char in _NARROW:
        return 0.36
    if char in _WIDE:
        return 0.95
    if char.isdigit():
        return 0.64
    if char.isupper():
        return 0.76
    if "Ѐ" <= char <= "ӿ":  # Cyrillic lowercase is wider than Latin
        return 0.66
    return CHAR_EM


def text_width(text: str, size: float) -> float:
    """The estimated width of ``text`` set at ``size`` px.

    >>> text_width("Baku", 10)
    25.6
    """
    return round(sum(char_em(c) for c in text) * size, 1)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        """True when the boxes (each grown by ``gap`` / 2 on every side) share any area.

        >>> Box(0, 0, 10, 10).overlaps(Box(10, 0, 5, 5)), Box(0, 0, 10, 10).overlaps(Box(9, 9, 5, 5))
        (False, True)
        """
        return (
            self.x < other.right + gap
            and other.x < self.right + gap
            and self.y < other.bottom + gap
            and other.y < self.bottom + gap
        )

    def inside(self, width: float, height: float) -> bool:
        return self.x >= 0 and self.y >= 0 and self.right <= width and self.bottom <= height


def any_overlap(boxes: list[Box], gap: float = 0.0) -> bool:
    """True when two of ``boxes`` overlap (quadratic: the pictures hold a few dozen labels)."""
    return any(a.overlaps(b, gap) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def truncate(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters with an ellipsis.

    >>> truncate("Alley of Martyrs", 8)
    'Alley o…'
    """
    return value if len(value) <= limit else value[: limit - 1] + "…"

"""Cut the vendored basemap (``src/blackjanuary/web/mapdata/caucasus-caspian.json``) from Natural Earth.

Input: ``countries-10m.json`` of the npm package ``world-atlas`` (Natural Earth 1:10m admin-0
countries, TopoJSON). Output: the countries around the South Caucasus and the Caspian Sea, clipped to
:data:`BBOX`, simplified (Douglas–Peucker, :data:`TOLERANCE` degrees) and rounded to 3 decimals::

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/vendor_basemap.py package/countries-10m.json

Only the standard library: the tool runs once, when the vendored file is renewed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BBOX = (38.0, 36.0, 55.5, 47.5)
"""west, south, east, north (degrees): Georgia, Armenia, Azerbaijan, the whole Caspian Sea."""
TOLERANCE = 0.004
OUT = Path(__file__).resolve().parent.parent / "src/blackjanuary/web/mapdata/caucasus-caspian.json"
Point = tuple[float, float]


def decode_arcs(topology: dict) -> list[list[Point]]:
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[Point]]) -> list[Point]:
    points: list[Point] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)
    return points


def clip(points: list[Point], bbox: tuple[float, float, float, float]) -> list[Point]:
    """Sutherland–Hodgman against the rectangle (edges on the border are harmless when filled)."""
    west, south, east, north = bbox
    edges = [
        (lambda p: p[0] >= west, lambda a, b: (west, a[1] + (b[1] - a[1]) * (west - a[0]) / (b[0] - a[0]))),
        (lambda p: p[0] <= east, lambda a, b: (east, a[1] + (b[1] - a[1]) * (east - a[0]) / (b[0] - a[0]))),
        (
            lambda p: p[1] >= south,
            lambda a, b: (a[0] + (b[0] - a[0]) * (south - a[1]) / (b[1] - a[1]), south),
        ),
        (
            lambda p: p[1] <= north,
            lambda a, b: (a[0] + (b[0] - a[0]) * (north - a[1]) / (b[1] - a[1]), north),
        ),
    ]
    for inside, cross in edges:
        if not points:
            return []
        result: list[Point] = []
        previous = points[-1]
        for current in points:
            if inside(current):
                if not inside(previous):
                    result.append(cross(previous, current))
                result.append(current)
            elif inside(previous):
                result.append(cross(previous, current))
            previous = current
        points = result
    return points


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker (iterative)."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        norm = (dx * dx + dy * dy) ** 0.5
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            d = (
                abs(dy * (px - ax) - dx * (py - ay)) / norm
                if norm
                else ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
            )
            if d > worst:
                worst, index = d, i
        if worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def main(source: Path) -> None:
    topology = json.loads(source.read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        rings = []
        for polygon in polygons:
            for indices in polygon:
                clipped = simplify(clip(ring(indices, arcs), BBOX), TOLERANCE)
                if len(clipped) >= 4:
                    rings.append([[round(x, 3), round(y, 3)] for x, y in clipped])
        if rings:
            countries.append(
                {"id": geometry.get("id"), "name": geometry["properties"]["name"], "rings": rings}
            )
    countries.sort(key=lambda c: c["id"] or "")
    data = {
        "source": "Natural Earth 1:10m admin-0 countries (public domain), via npm world-atlas 2.0.2",
        "bbox": list(BBOX),
        "tolerance": TOLERANCE,
        "countries": countries,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(countries)} countries, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

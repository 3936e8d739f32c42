"""The pictures' geometry: no label over another, nothing outside the picture, places where they are.

Pure functions on made-up and real inputs (the real events and places come from the built data);
the browser tests measure the same in chromium with real fonts.
"""

from __future__ import annotations

import doctest
import random
import re

import pytest
from flask.testing import FlaskClient

from blackjanuary.web import (
    dates,
    graph_picture,
    layout,
    map,
    pictures,
    property_names,
    svg,
    timeline,
    version_cache,
)
from blackjanuary.web.graph_picture import Neighbour
from blackjanuary.web.layout import Box, any_overlap
from blackjanuary.web.map import Frame, Place, panel, place_map
from blackjanuary.web.timeline import AXIS_Y, WIDTH, TimelineEvent, timeline_picture

REAL_EVENTS = [
    TimelineEvent("Mass demonstrations in Azerbaijan (1989–1990)", "/page/a", "1989", begun_by=True),
    TimelineEvent("Entry of Soviet army units into Baku", "/page/b", "1990-01-19"),
    TimelineEvent("Destruction in Baku (January 1990)", "/page/c", "1990-01-19"),
    TimelineEvent("Black January", "/page/d", "1990-01-19"),
    TimelineEvent("Baku massacre (January 1990)", "/page/e", "1990-01-19"),
    TimelineEvent(
        "Constitutional Act on State Independence of the Republic of Azerbaijan", "/page/f", "1991"
    ),
    TimelineEvent("Ambassadors' visit to the Alley of Martyrs (2024)", "/page/g", "2024-01-20"),
]


@pytest.mark.parametrize(
    "module", [dates, graph_picture, layout, map, pictures, property_names, svg, timeline, version_cache]
)
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0


def leaders(items: list[timeline.Cluster]) -> list[Box]:
    return [Box(c.x - 1.5, AXIS_Y + 6, 3, c.box.y - AXIS_Y - 6) for c in items]


@pytest.mark.parametrize("lang", ["en", "de", "az", "ru"])
def test_timeline_gives_january_1990_room_and_labels_never_collide(lang: str) -> None:
    items, height, picture = timeline_picture(REAL_EVENTS, lang=lang, first=1989, last=2024)
    boxes = [c.box for c in items]
    assert not any_overlap(boxes, gap=4)
    assert all(box.inside(WIDTH, height) for box in boxes)
    for item, leader in zip(items, leaders(items), strict=True):  # no leader line cuts another label
        assert not any(leader.overlaps(c.box) for c in items if c is not item)
        assert item.box.x <= item.x <= item.box.right
    by_date = {c.when.isoformat(): c.x for c in items}
    # January 1990 is wide: 19 January lies far from 1 January 1989, and 1991 far from 2024
    assert by_date["1990-01-19"] - by_date["1989-01-01"] > WIDTH * 0.3
    assert by_date["2024-01-20"] - by_date["1991-01-01"] < WIDTH * 0.5
    assert len(items) == 4  # four events on 19 January 1990 share one marker
    assert picture.count("<circle") == 4
    assert f'viewBox="0 0 {WIDTH} {height:.0f}"' in picture
    expected = {
        "en": "19 January 1990",
        "de": "19. Januar 1990",
        "az": "19 yanvar 1990",
        "ru": "19 января 1990",
    }
    assert expected[lang] in picture


def test_timeline_layout_holds_for_crowded_random_inputs() -> None:
    rng = random.Random(14)
    words = [
        "Baku",
        "Black",
        "January",
        "Soviet",
        "troops",
        "demonstration",
        "independence",
        "commemoration",
        "Alley",
        "of",
        "Martyrs",
    ]
    for _ in range(60):
        events = []
        for i in range(rng.randint(1, 14)):
            year = rng.choice([1989, 1990, 1990, 1990, 1991, 2000, 2024])
            month = 1 if year == 1990 else rng.randint(1, 12)
            when = f"{year}-{month:02d}-{rng.randint(1, 28):02d}" if rng.random() < 0.8 else str(year)
            label = " ".join(rng.choice(words) for _ in range(rng.randint(1, 9)))
            events.append(TimelineEvent(label, f"/page/e{i}", when))
        items, height, _ = timeline_picture(events, first=1989, last=2024)
        boxes = [c.box for c in items]
        assert not any_overlap(boxes, gap=4), events
        assert all(box.inside(WIDTH, height) for box in boxes), events


def test_timeline_list_form_has_every_event_with_its_date() -> None:
    markup = svg.timeline(REAL_EVENTS, lang="de")
    listed = markup[markup.index('<ol class="timeline-list">') :]
    for event in REAL_EVENTS:
        assert f'href="{event.href}"' in listed
    assert '<time datetime="1990-01-19">19. Januar 1990</time>' in listed
    assert "spätestens 1989" in listed


def test_neighbourhood_labels_never_collide_and_fit() -> None:
    rng = random.Random(3)
    for count in (1, 2, 5, 12, 30):
        neighbours = [
            Neighbour(
                "Entry of Soviet army units into Baku " * rng.randint(0, 2) + f"n{i}",
                f"/page/n{i}",
                rng.choice(["location", "contained in place", "expressed sympathy at", "has actor"]),
                rng.random() < 0.5,
            )
            for i in range(count)
        ]
        plan = graph_picture.layout("Baku massacre (January 1990)", neighbours, limit=16)
        assert not any_overlap(plan.label_boxes, gap=1)
        assert all(box.inside(plan.width, plan.height) for box in plan.label_boxes)
        assert len(plan.rows) == min(count, 16) and plan.hidden == max(0, count - 16)
        markup = graph_picture.neighbourhood("centre", neighbours)
        assert markup.count("marker-end=") == len(plan.rows)  # every edge has its arrow
        assert f'viewBox="0 0 {plan.width} {plan.height}"' in graph_picture.neighbourhood(
            "Baku massacre (January 1990)", neighbours
        )


def test_neighbourhood_joins_the_properties_of_one_neighbour() -> None:
    picture = graph_picture.neighbourhood(
        "Baku",
        [
            Neighbour("Black January", "/page/b", "location", False),
            Neighbour("Black January", "/page/b", "commemorates", False),
        ],
    )
    assert picture.count('class="node"') == 1
    assert "location, commemorates" in picture
    assert '<a href="/page/b">Black January</a> — location, commemorates → <strong>Baku</strong>' in picture


BAKU = Place(40.39528, 49.88222, "Baku", here=True)
ALLEY = Place(40.35667, 49.82833, "Alley of Martyrs", "/page/alley-of-martyrs")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_map_places_points_at_their_coordinates_and_labels_apart(lang: str) -> None:
    close = map.close_frame([BAKU, ALLEY], BAKU)
    markup, boxes = panel(close, [BAKU, ALLEY], lang=lang, title="t", step=0.25, extent=None, names=False)
    assert not any_overlap(boxes, gap=0)
    assert all(box.inside(close.width, close.height) for box in boxes)
    for place in (BAKU, ALLEY):
        x, y = close.xy(place.long, place.lat)
        assert f'cx="{x}" cy="{y}"' in markup
    # west is left, north is up; the Alley lies south-west of the city centre
    bx, by = close.xy(BAKU.long, BAKU.lat)
    ax, ay = close.xy(ALLEY.long, ALLEY.lat)
    assert ax < bx and ay > by
    assert 'class="land' in markup and "km</text>" in markup and "° E" in markup
    region = Frame(*map.REGION, map.PANEL_WIDTH)
    markup, boxes = panel(region, [BAKU], lang=lang, title="t", step=5, extent=close, names=True)
    assert not any_overlap(boxes, gap=0)
    assert all(box.inside(region.width, region.height) for box in boxes)
    assert {"en": "Caspian Sea", "ru": "Каспийское море"}[lang] in markup


def test_map_is_drawn_on_the_vendored_basemap_only() -> None:
    both = place_map(BAKU, [ALLEY], lang="en", region_title="Region", close_title="Close-up")
    assert both.count("<svg") == 2
    assert "http" not in re.sub(r'xmlns="[^"]+"', "", str(both))  # nothing fetched from elsewhere
    data = map.basemap()
    assert "Natural Earth" in str(data["source"])
    assert {c["name"] for c in data["countries"]} >= {"Azerbaijan", "Armenia", "Georgia", "Iran", "Russia"}


def test_entity_pages_show_the_pictures(client: FlaskClient) -> None:
    page = client.get("/page/baku?lang=de", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert page.count('class="map"') == 2
    assert "https://www.openstreetmap.org/?mlat=40.39528&amp;mlon=49.88222" in page
    maps = page[page.index('class="maps"') : page.index('class="map-links"')]
    assert "Kaspisches Meer" in maps and "Märtyrerallee" in maps and "Aserbaidschan" in maps
    graph = page[page.index('class="graph"') : page.index("</svg>", page.index('class="graph"'))]
    assert "bjid:" not in graph and "schema:" not in graph
    massacre = client.get("/page/black-january-massacre?lang=en", headers={"Accept": "text/html"})
    graph_html = massacre.get_data(as_text=True)
    assert 'class="graph"' in graph_html and "marker-end" in graph_html


def test_graph_edges_are_named_in_words_in_the_page_language(client: FlaskClient) -> None:
    def graph_of(lang: str) -> str:
        page = client.get(f"/page/black-january-massacre?lang={lang}", headers={"Accept": "text/html"})
        text = page.get_data(as_text=True)
        start = text.index('class="graph"')
        return text[start : text.index("</svg>", start)]

    assert ">führte zu<" in graph_of("de") and ">led to<" in graph_of("en")
    assert "bj:" not in graph_of("de") and "sem:" not in graph_of("en")
    assert ">actor<" in graph_of("en") and ">Beteiligte<" in graph_of("de")  # terms.json, as the facts


def test_graph_edges_are_named_in_the_page_language(client: FlaskClient) -> None:
    """Edge labels use the project's term names in the reader's language, as the facts do."""
    for lang, word in (("az", ">yer<"), ("ru", ">место<"), ("de", ">Ort<"), ("en", ">location<")):
        page = client.get(f"/page/baku?lang={lang}", headers={"Accept": "text/html"}).get_data(as_text=True)
        graph = page[page.index('<svg xmlns="http://www.w3.org/2000/svg" class="graph"') :]
        graph = graph[: graph.index("</svg>")]
        assert word in graph.replace("</title>", ">"), (lang, graph[:600])

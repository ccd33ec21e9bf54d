"""The demo's map of orders (opensearch_setup.order_map) from the real local node: the tiles of a
geotile_grid aggregation hold exactly the orders shipped there and their net paid, the HTML page,
opened in headless Chromium, draws one circle per tile, and the PNG has a point at each tile."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from opensearch_setup.bootstrap import Parameters, bootstrap
from opensearch_setup.order_map import project, write_map
from tests.support.opensearch_node import admin, bulk_index, reset

SAMPLE = json.loads((Path(__file__).resolve().parent.parent / "events" / "streams" / "order.json").read_text())
PLACES = {  # a coarse location (docs/contract.md §3) each: the map draws those
    "Seattle": (47.61, -122.33),
    "Denver": (39.74, -104.99),
    "Chicago": (41.88, -87.63),
    "Atlanta": (33.75, -84.39),
    "Boston": (42.36, -71.06),
}


def orders() -> list[dict]:
    """Three to seven orders shipped to each place, with net paid amounts of their own."""
    result = []
    for number, (place, (lat, lon)) in enumerate(PLACES.items()):
        for copy_number in range(3 + number):
            document = copy.deepcopy(SAMPLE)
            document["line_id"] = f"{number}-{copy_number}"
            document["net_paid"] = round(10.5 * (copy_number + 1) + number, 2)
            precise = {"lat": lat + 0.004, "lon": lon - 0.003}
            document["ship_customer"]["address"] |= {
                "city": place,
                "location": precise,
                "coarse_location": {"lat": lat, "lon": lon},
            }
            result.append(document)
    return result


@pytest.fixture(scope="module")
def drawn(opensearch, tmp_path_factory):
    reset(opensearch)
    http = admin(opensearch)
    bootstrap(http, None, Parameters(replicas=0))
    assert not bulk_index(http, orders())["errors"]
    folder = tmp_path_factory.mktemp("map")
    return write_map(http, folder), folder


def test_each_tile_holds_the_orders_shipped_there_and_their_net_paid(drawn):
    tiles, _ = drawn
    expected = defaultdict(lambda: [0, 0.0])
    for order in orders():
        expected[order["ship_customer"]["address"]["city"]][0] += 1
        expected[order["ship_customer"]["address"]["city"]][1] += order["net_paid"]
    by_place = {}
    for tile in tiles:
        [place] = [p for p, (lat, lon) in PLACES.items() if abs(tile.lat - lat) < 1e-4 and abs(tile.lon - lon) < 1e-4]
        by_place[place] = [tile.orders, tile.net_paid]
    assert by_place == {place: [count, pytest.approx(paid)] for place, (count, paid) in expected.items()}


def test_headless_chromium_draws_one_circle_per_tile(drawn):
    tiles, folder = drawn
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: scripts/setup.sh installs it"
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", (folder / "orders-map.html").as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    circles = re.findall(r'<circle class="order-tile" data-key="([^"]+)" cx="([^"]+)" cy="([^"]+)" r="([^"]+)"', dom)
    assert sorted(key for key, *_ in circles) == sorted(tile.key for tile in tiles)
    largest = max(tiles, key=lambda t: t.net_paid)
    radii = {key: float(r) for key, _, _, r in circles}
    assert radii[largest.key] == max(radii.values()) > min(radii.values()) > 0  # sized by net paid
    for key, cx, cy, _ in circles:
        tile = next(t for t in tiles if t.key == key)
        assert (float(cx), float(cy)) == pytest.approx(project(tile.lon, tile.lat))


def test_the_png_has_a_point_at_each_tile(drawn):
    from PIL import Image

    tiles, folder = drawn
    image = Image.open(folder / "orders-map.png").convert("RGB")
    for tile in tiles:
        x, y = project(tile.lon, tile.lat)
        red, green, blue = image.getpixel((round(x), round(y)))
        assert red > green + 40 and red > blue + 40, (tile, (red, green, blue))
    assert image.getpixel((5, 5)) == (255, 255, 255)  # and nothing where there is no order

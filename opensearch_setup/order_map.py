"""Orders on a map, as the Dashboards map of the stack shows them in AWS: a `geotile_grid`
aggregation of the ship locations, each tile drawn at the centroid of its orders and sized by their
net paid. Written as an HTML page (the browser draws the points from the data it embeds) and a PNG,
over the US ZIP codes of the offline `zipcodes` package as a faint background."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from opensearch_setup.bootstrap import READ_ALIAS
from opensearch_setup.http import JsonHttp

LOCATION = "ship_customer.address.coarse_location"  # what the analyst may see
WIDTH, HEIGHT = 960, 540
BOUNDS = (-125.0, 24.0, -66.0, 50.0)  # the contiguous US: west, south, east, north


@dataclass(frozen=True)
class Tile:
    key: str  # zoom/x/y
    lat: float  # the centroid of the tile's orders
    lon: float
    orders: int
    net_paid: float


def ship_location_tiles(cluster: JsonHttp, precision: int = 7) -> list[Tile]:
    """Every tile holding orders, with their count and net paid."""
    answer = cluster.send(
        "POST",
        f"/{READ_ALIAS}/_search",
        {
            "size": 0,
            "aggs": {
                "tiles": {
                    "geotile_grid": {"field": LOCATION, "precision": precision, "size": 65535},
                    "aggs": {
                        "net_paid": {"sum": {"field": "net_paid"}},
                        "centre": {"geo_centroid": {"field": LOCATION}},
                    },
                }
            },
        },
    )
    return [
        Tile(
            bucket["key"],
            bucket["centre"]["location"]["lat"],
            bucket["centre"]["location"]["lon"],
            bucket["doc_count"],
            round(bucket["net_paid"]["value"], 2),
        )
        for bucket in answer["aggregations"]["tiles"]["buckets"]
    ]


def project(lon: float, lat: float) -> tuple[float, float]:
    west, south, east, north = BOUNDS
    return (lon - west) / (east - west) * WIDTH, (north - lat) / (north - south) * HEIGHT


def radius(net_paid: float, largest: float) -> float:
    return 2 + 18 * math.sqrt(max(net_paid, 0) / largest) if largest > 0 else 2


def background() -> list[tuple[float, float]]:
    """Every fifth US ZIP code's location: the outline of the country, drawn faintly."""
    import zipcodes

    return [(float(z["long"]), float(z["lat"])) for z in zipcodes.list_all()[::5] if z["lat"] and z["long"]]


def write_png(tiles: list[Tile], path: Path) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image, "RGBA")
    for lon, lat in background():
        x, y = project(lon, lat)
        draw.point((x, y), fill=(180, 180, 180, 255))
    largest = max((t.net_paid for t in tiles), default=0)
    for tile in sorted(tiles, key=lambda t: -t.net_paid):
        x, y = project(tile.lon, tile.lat)
        r = radius(tile.net_paid, largest)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(214, 39, 40, 120), outline=(150, 20, 20, 255))
    image.save(path)


PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Orders by ship location</title>
<style>body {{ font-family: sans-serif; }} circle.order-tile {{ fill: rgba(214,39,40,.45); stroke: #961414; }}</style>
</head><body>
<h1>Orders by ship location</h1>
<p>{orders} orders in {count} tiles (geotile_grid, precision {precision}); circles sized by net paid.</p>
<svg id="map" width="{width}" height="{height}" viewBox="0 0 {width} {height}"></svg>
<script>
const bounds = {bounds}, width = {width}, height = {height};
const tiles = {tiles};
const background = {background};
const svg = document.getElementById("map"), ns = "http://www.w3.org/2000/svg";
const project = (lon, lat) => [(lon - bounds[0]) / (bounds[2] - bounds[0]) * width,
                               (bounds[3] - lat) / (bounds[3] - bounds[1]) * height];
for (const [lon, lat] of background) {{
  const [x, y] = project(lon, lat), dot = document.createElementNS(ns, "rect");
  dot.setAttribute("x", x); dot.setAttribute("y", y); dot.setAttribute("width", 1); dot.setAttribute("height", 1);
  dot.setAttribute("fill", "#ccc"); svg.appendChild(dot);
}}
const largest = Math.max(0, ...tiles.map(t => t.net_paid));
for (const tile of [...tiles].sort((a, b) => b.net_paid - a.net_paid)) {{
  const [x, y] = project(tile.lon, tile.lat), circle = document.createElementNS(ns, "circle");
  circle.setAttribute("class", "order-tile"); circle.setAttribute("data-key", tile.key);
  circle.setAttribute("cx", x); circle.setAttribute("cy", y);
  circle.setAttribute("r", largest > 0 ? 2 + 18 * Math.sqrt(Math.max(tile.net_paid, 0) / largest) : 2);
  const title = document.createElementNS(ns, "title");
  title.textContent = `${{tile.key}}: ${{tile.orders}} orders, net paid ${{tile.net_paid.toFixed(2)}}`;
  circle.appendChild(title); svg.appendChild(circle);
}}
</script></body></html>
"""


def write_html(tiles: list[Tile], path: Path, precision: int) -> None:
    points = [[round(lon, 3), round(lat, 3)] for lon, lat in background()]
    path.write_text(
        PAGE.format(
            orders=sum(t.orders for t in tiles),
            count=len(tiles),
            precision=precision,
            width=WIDTH,
            height=HEIGHT,
            bounds=json.dumps(BOUNDS),
            tiles=json.dumps([asdict(t) for t in tiles]),
            background=json.dumps(points),
        ),
        encoding="utf-8",
    )


def write_map(cluster: JsonHttp, folder: Path, precision: int = 7) -> list[Tile]:
    """orders-map.html and orders-map.png in `folder`; the tiles drawn."""
    tiles = ship_location_tiles(cluster, precision)
    write_html(tiles, folder / "orders-map.html", precision)
    write_png(tiles, folder / "orders-map.png")
    return tiles

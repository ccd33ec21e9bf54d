"""The OpenSearch artefacts in index_templates/ against the order document's JSON Schema: the
template maps exactly the schema's fields with fitting types, and the ISM policy, the security roles
and the Dashboards saved objects name only what the template has."""

from __future__ import annotations

import json
from fnmatch import fnmatch
from pathlib import Path

import pytest

from tests.support.contract import schema, schema_leaves

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "index_templates"
DATE_PATTERNS = {"^\\d{4}-\\d{2}-\\d{2}$"}
NUMERIC = {"long", "integer", "short", "byte", "scaled_float", "double", "float", "half_float"}


def load(name: str) -> dict:
    return json.loads((TEMPLATES / name).read_text(encoding="utf-8"))


def mapped_leaves(properties: dict, path: str = "") -> dict[str, dict]:
    leaves = {}
    for name, field in properties.items():
        full = f"{path}.{name}" if path else name
        leaves |= mapped_leaves(field["properties"], full) if "properties" in field else {full: field}
    return leaves


@pytest.fixture(scope="module")
def mapping() -> dict:
    return load("orders.template.json")["template"]["mappings"]


@pytest.fixture(scope="module")
def fields(mapping) -> dict[str, dict]:
    return mapped_leaves(mapping["properties"])


def field_names(fields: dict[str, dict]) -> set[str]:
    """Every searchable name, multi-fields (name.keyword) included."""
    return set(fields) | {f"{name}.{sub}" for name, field in fields.items() for sub in field.get("fields", {})}


def test_the_template_maps_exactly_the_fields_of_the_order_document(mapping, fields):
    order = schema("order")
    expected = schema_leaves(order, order["$defs"])
    assert set(fields) == set(expected), {
        "not mapped": sorted(set(expected) - set(fields)),
        "not in the schema": sorted(set(fields) - set(expected)),
    }
    assert mapping["dynamic"] == "strict"  # a field outside the contract is refused, never guessed


def test_each_field_has_the_type_its_values_need(fields):
    order = schema("order")
    for path, node in schema_leaves(order, order["$defs"]).items():
        kind = fields[path]["type"]
        types = set(node["type"]) - {"null"} if isinstance(node.get("type"), list) else {node.get("type")}
        if path.endswith("location"):  # location and coarse_location
            assert kind == "geo_point", path
        elif "pattern" in node and ("datetime" in path or node["pattern"] in DATE_PATTERNS):
            assert kind == "date", path
        elif types == {"integer"}:
            assert kind in {"long", "integer", "short", "byte"}, path
        elif types == {"number"}:
            assert kind == "scaled_float" and fields[path]["scaling_factor"] >= 100, path  # cents kept
        else:  # strings, enums, the `missing` list
            assert kind in {"keyword", "text"}, path
            if kind == "text":
                assert path.split(".")[-1] in {"first_name", "last_name", "street", "product_name", "item_desc"}, path


def test_both_locations_of_both_parties_are_geo_points(fields):
    for party in ("bill_customer", "ship_customer"):
        for name in ("location", "coarse_location"):
            assert fields[f"{party}.address.{name}"]["type"] == "geo_point"


def test_the_sample_order_document_fits_the_mapping(fields):
    """Every leaf of events/streams/order.json lands in a mapped field (strict mapping accepts it)."""
    document = json.loads((ROOT / "events" / "streams" / "order.json").read_text())

    def leaves(value, path=""):
        if value is None:
            return set()  # null is accepted for any field, objects included
        if isinstance(value, dict) and not path.endswith("location"):
            return {p for k, v in value.items() for p in leaves(v, f"{path}.{k}" if path else k)}
        return {path}

    assert leaves(document) <= set(fields)


def test_rollover_alias_ism_policy_and_template_agree():
    template = load("orders.template.json")
    policy = load("orders.ism.json")["policy"]
    write_alias = template["template"]["settings"]["plugins.index_state_management.rollover_alias"]
    assert write_alias == "orders-write" and "orders" in template["template"]["aliases"]
    [ism_template] = policy["ism_template"]
    assert ism_template["index_patterns"] == template["index_patterns"]
    assert {s["name"] for s in policy["states"]} >= {policy["default_state"], "delete"}
    hot = next(s for s in policy["states"] if s["name"] == policy["default_state"])
    assert "rollover" in hot["actions"][0] and hot["transitions"][0]["state_name"] == "delete"


def test_roles_name_only_mapped_fields_and_the_writer_only_the_write_alias(fields):
    roles = load("security/roles.json")
    assert set(roles) == {"orders_analyst", "orders_writer", "orders_admin"}
    names = field_names(fields)
    names |= {name.rsplit(".", 1)[0] for name in names if "." in name}  # the objects too
    [analyst] = roles["orders_analyst"]["index_permissions"]
    for pattern in analyst["fls"] + analyst["masked_fields"]:
        assert any(fnmatch(name, pattern) for name in names), pattern
    [writer] = roles["orders_writer"]["index_permissions"]
    assert writer["index_patterns"] == ["orders-write"]
    assert all(action.startswith("indices:data/write/") for action in writer["allowed_actions"])


def test_the_analyst_sees_an_allow_list_without_what_points_at_a_person(fields):
    """Field-level security names what the analyst may see (a field nobody allowed stays hidden); a
    customer's names, e-mail, birth date, demographics, street, ZIP and precise location are not in
    it, keyword sub-fields included; the ids it shows are masked."""
    [analyst] = load("security/roles.json")["orders_analyst"]["index_permissions"]
    assert not [p for p in analyst["fls"] if p.startswith("~")]  # no exclusions: an allow-list
    # A pattern naming an object exposes its whole _source subtree (the security plugin filters
    # _source by prefix): only the reference data may be named so.
    objects = {name.rsplit(".", 1)[0] for name in field_names(fields) if "." in name}
    assert {p for p in analyst["fls"] if p in objects} == {"item", "promo"}
    visible = {name for name in field_names(fields) if any(fnmatch(name, p) for p in analyst["fls"])}
    personal = set(schema("customers")["properties"]) - {"customer_id", "address_id"}
    for party in ("bill_customer", "ship_customer"):
        shown = {name.removeprefix(f"{party}.") for name in visible if name.startswith(f"{party}.")}
        assert not shown & personal and not {f"{f}.keyword" for f in personal} & shown, shown
        assert not shown & {"address.street", "address.street.keyword", "address.zip", "address.location"}
        assert "address.coarse_location" in shown
        ids = {f"{party}.customer_id", f"{party}.address_id", f"{party}.address.address_id"}
        assert ids <= visible and ids <= set(analyst["masked_fields"])
    assert {"bill_customer_id", "ship_customer_id"} <= set(analyst["masked_fields"])
    assert {"net_paid", "item.category", "sale_datetime"} <= visible


@pytest.fixture(scope="module")
def saved_objects() -> list[dict]:
    return [json.loads(line) for line in (TEMPLATES / "dashboards" / "orders.ndjson").read_text().splitlines()]


def test_saved_objects_are_dashboards_ndjson_whose_references_resolve(saved_objects):
    by_key = {(o["type"], o["id"]) for o in saved_objects}
    assert len(by_key) == len(saved_objects)
    for saved in saved_objects:
        assert {"id", "type", "attributes", "references"} <= saved.keys()
        for reference in saved["references"]:
            assert (reference["type"], reference["id"]) in by_key, reference
    [dashboard] = [o for o in saved_objects if o["type"] == "dashboard"]
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    assert {p["panelRefName"] for p in panels} == {r["name"] for r in dashboard["references"]}
    visualizations = {o["id"] for o in saved_objects if o["type"] == "visualization"}
    assert {r["id"] for r in dashboard["references"]} == visualizations  # every chart on the dashboard


def test_saved_objects_use_only_mapped_fields_of_a_fitting_type(saved_objects, fields):
    template = load("orders.template.json")
    [pattern] = [o for o in saved_objects if o["type"] == "index-pattern"]
    assert pattern["attributes"]["title"] in template["template"]["aliases"]  # the read alias
    assert fields[pattern["attributes"]["timeFieldName"]]["type"] == "date"
    needs = {"geohash_grid": {"geo_point"}, "date_histogram": {"date"}, "terms": {"keyword"}, "sum": NUMERIC}
    maps = set()
    for saved in (o for o in saved_objects if o["type"] == "visualization"):
        state = json.loads(saved["attributes"]["visState"])
        for aggregation in state["aggs"]:
            field = aggregation["params"]["field"]
            assert fields[field]["type"] in needs[aggregation["type"]], (saved["id"], field)
            if aggregation["type"] == "geohash_grid":
                maps.add(field)
    assert maps == {"bill_customer.address.coarse_location", "ship_customer.address.coarse_location"}


def test_each_visualization_field_is_in_the_real_index_mapping_with_a_fitting_type(saved_objects, opensearch):
    """The node's own answer for the fields each Dashboards chart aggregates, once the template made
    the first index: the field exists there, has a type that aggregation takes, and the node runs
    the aggregation on it."""
    from opensearch_setup.bootstrap import FIRST_INDEX, Parameters, bootstrap
    from tests.support.opensearch_node import admin, reset

    reset(opensearch)
    http = admin(opensearch)
    bootstrap(http, None, Parameters(replicas=0))
    needs = {"geohash_grid": {"geo_point"}, "date_histogram": {"date"}, "terms": {"keyword"}, "sum": NUMERIC}
    checked = 0
    for saved in (o for o in saved_objects if o["type"] == "visualization"):
        for aggregation in json.loads(saved["attributes"]["visState"])["aggs"]:
            field = aggregation["params"]["field"]
            mapped = http.get(f"/{FIRST_INDEX}/_mapping/field/{field}")[FIRST_INDEX]["mappings"]
            assert field in mapped, (saved["id"], field)
            [definition] = mapped[field]["mapping"].values()
            assert definition["type"] in needs[aggregation["type"]], (saved["id"], field, definition)
            http.send(
                "POST",
                f"/{FIRST_INDEX}/_search",
                {
                    "size": 0,
                    "aggs": {
                        "chart": {
                            aggregation["type"]: {
                                "field": field,
                                **({"calendar_interval": "day"} if aggregation["type"] == "date_histogram" else {}),
                            }
                        }
                    },
                },
            )
            checked += 1
    assert checked >= len([o for o in saved_objects if o["type"] == "visualization"])

"""Applies the artefacts of index_templates/ to a cluster, idempotently: each one is read back first
and written only when it is missing or differs, so a second run changes nothing. The order matters:
the ISM policy exists before the first index, whose creation attaches it (the policy's
`ism_template`), and the template before the first index, which takes its mapping and read alias.

A cluster without the index-management plugin (the local node: ISM is not on Maven Central) gets
everything but the policy and the template's rollover setting, which only ISM knows; a warning says
so at each run."""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from opensearch_setup.http import JsonHttp

ARTEFACTS = Path(__file__).resolve().parent.parent / "index_templates"
TEMPLATE_NAME = "orders"
POLICY_ID = "orders-rollover"
WRITE_ALIAS = "orders-write"  # where the job writes; ISM rolls it over
READ_ALIAS = "orders"  # every orders index; what Dashboards and analysts read
FIRST_INDEX = "orders-000001"
ROLES = ("orders_analyst", "orders_writer", "orders_admin")
MASTER_ROLES = ("all_access", "security_manager")  # what the domain's master user is mapped to
ISM_SETTING = "plugins.index_state_management.rollover_alias"
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class InternalUser:
    """A user of the security plugin's own database: how people sign in to Dashboards with a
    password (the domain's IAM principals cannot use a browser)."""

    name: str
    password: str
    role: str  # one of ROLES
    # What the password is a version of (its secret's VersionId): a user whose recorded version
    # differs is given the password again, so that the user follows its secret when it rotates.
    password_version: str = ""


@dataclass(frozen=True)
class Parameters:
    shards: int = 1
    replicas: int = 1
    retention_days: int = 30
    backend_roles: dict[str, tuple[str, ...]] | None = None  # role -> IAM role ARNs (or other backend roles)
    users: tuple[InternalUser, ...] = ()
    break_glass_roles: tuple[str, ...] = ()  # mapped as the master user is (MASTER_ROLES)
    former_break_glass_roles: tuple[str, ...] = ()  # named by the run before: unmapped unless named again
    security: bool = True  # the cluster has the security plugin (fine-grained access control)


def _artefact(name: str) -> dict:
    return json.loads((ARTEFACTS / name).read_text(encoding="utf-8"))


def index_template(parameters: Parameters, with_ism: bool = True) -> dict:
    template = _artefact("orders.template.json")
    settings = template["template"]["settings"]
    settings.update(number_of_shards=parameters.shards, number_of_replicas=parameters.replicas)
    if not with_ism:
        del settings[ISM_SETTING]
    return template


def ism_policy(parameters: Parameters) -> dict:
    policy = _artefact("orders.ism.json")
    for state in policy["policy"]["states"]:
        for transition in state["transitions"]:
            if transition["state_name"] == "delete":
                transition["conditions"]["min_index_age"] = f"{parameters.retention_days}d"
    return policy


def saved_objects() -> list[dict]:
    lines = (ARTEFACTS / "dashboards" / "orders.ndjson").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def bootstrap(cluster: JsonHttp, dashboards: JsonHttp | None, parameters: Parameters) -> list[str]:
    """Brings the cluster (and Dashboards, if given) to the artefacts; returns what it changed."""
    with_ism = has_index_management(cluster)
    changes = _policy(cluster, ism_policy(parameters)) if with_ism else []
    if not with_ism:
        LOG.warning(
            "the cluster has no index-management plugin: no ISM policy %s and no rollover setting in "
            "the template (indices are not rolled over nor deleted)",
            POLICY_ID,
        )
    template = index_template(parameters, with_ism)
    changes += _template(cluster, template)
    changes += _first_index(cluster)
    changes += _new_fields_in_the_write_alias(cluster, template["template"]["mappings"])
    if parameters.security:
        changes += _roles(cluster, parameters)
        changes += _break_glass(cluster, parameters)
        changes += _audit(cluster, _artefact("security/audit.json"))
    if dashboards is not None:
        changes += _saved_objects(dashboards, saved_objects())
    return changes


def has_index_management(cluster: JsonHttp) -> bool:
    """Whether the cluster runs ISM: its plugin's name (in a distribution or Amazon OpenSearch
    Service) or class (a node with classpath plugins) is in `_cat/plugins`."""
    components = {plugin["component"] for plugin in cluster.get("/_cat/plugins?format=json") or []}
    return any("index-management" in name or name.endswith("IndexManagementPlugin") for name in components)


def _policy(cluster: JsonHttp, desired: dict) -> list[str]:
    path = f"/_plugins/_ism/policies/{POLICY_ID}"
    current = cluster.get(path)
    if current is not None and covers(current["policy"], desired["policy"]):
        return []
    if current is None:
        cluster.send("PUT", path, desired)
        return [f"created ISM policy {POLICY_ID}"]
    cluster.send("PUT", f"{path}?if_seq_no={current['_seq_no']}&if_primary_term={current['_primary_term']}", desired)
    return [f"updated ISM policy {POLICY_ID} (indices already managed keep the version they started with)"]


def _template(cluster: JsonHttp, desired: dict) -> list[str]:
    current = cluster.get(f"/_index_template/{TEMPLATE_NAME}")
    if current is not None:
        [found] = current["index_templates"]
        existing = copy.deepcopy(found["index_template"])
        settings = existing.get("template", {}).pop("settings", {})
        wanted = copy.deepcopy(desired)
        wanted_settings = wanted["template"].pop("settings")
        if covers(existing, wanted) and covers(flat_settings(settings), flat_settings(wanted_settings)):
            return []
    cluster.send("PUT", f"/_index_template/{TEMPLATE_NAME}", desired)
    return [f"{'updated' if current else 'created'} index template {TEMPLATE_NAME} (new indices take it)"]


def _first_index(cluster: JsonHttp) -> list[str]:
    if cluster.get(f"/_alias/{WRITE_ALIAS}") is not None:
        return []
    cluster.send("PUT", f"/{FIRST_INDEX}", {"aliases": {WRITE_ALIAS: {"is_write_index": True}}})
    return [f"created index {FIRST_INDEX} with write alias {WRITE_ALIAS}"]


def _new_fields_in_the_write_alias(cluster: JsonHttp, mappings: dict) -> list[str]:
    """Adds to the indices of the write alias the fields the template gained since they were made:
    their mapping is strict, so until the next rollover they would refuse the documents that carry
    them. A field whose type changed is refused by OpenSearch, and the bootstrap fails saying so."""
    changes = []
    for index, current in sorted((cluster.get(f"/{WRITE_ALIAS}/_mapping") or {}).items()):
        if not covers(current["mappings"].get("properties", {}), mappings["properties"]):
            cluster.send("PUT", f"/{index}/_mapping", {"properties": mappings["properties"]})
            changes.append(f"added the template's new fields to index {index}")
    return changes


def _roles(cluster: JsonHttp, parameters: Parameters) -> list[str]:
    changes = []
    for name, body in _artefact("security/roles.json").items():
        changes += _put_if_different(cluster, f"/_plugins/_security/api/roles/{name}", name, body, "role")
    for user in parameters.users:
        if user.role not in ROLES:
            raise ValueError(f"internal user {user.name}: unknown role {user.role!r} (one of {', '.join(ROLES)})")
        changes += _internal_user(cluster, user)
    for name in ROLES:
        backend_roles = (parameters.backend_roles or {}).get(name, ())
        users = [user.name for user in parameters.users if user.role == name]
        if backend_roles or users:  # a role given no principals keeps whatever mapping it has
            body = {"backend_roles": list(backend_roles), "users": users}
            changes += _put_if_different(
                cluster, f"/_plugins/_security/api/rolesmapping/{name}", name, body, "role mapping"
            )
    return changes


def _break_glass(cluster: JsonHttp, parameters: Parameters) -> list[str]:
    """The named break-glass admins, mapped where the master user is, so that someone can mend the
    security configuration when the bootstrap's role (the master user) is locked or lost. Those the
    run before named and this one does not are unmapped; every other principal of those mappings
    (the master user itself) is kept. A role the cluster lacks (security_manager is Amazon
    OpenSearch Service's) is left out with a warning."""
    changes = []
    for name in MASTER_ROLES:
        if cluster.get(f"/_plugins/_security/api/roles/{name}") is None:
            LOG.warning("the cluster has no role %s: the break-glass admins are not mapped to it", name)
            continue
        path = f"/_plugins/_security/api/rolesmapping/{name}"
        current = (cluster.get(path) or {}).get(name)
        had = (current or {}).get("backend_roles", [])
        kept = [r for r in had if r in parameters.break_glass_roles or r not in parameters.former_break_glass_roles]
        wanted = kept + [r for r in parameters.break_glass_roles if r not in kept]
        if wanted == had:
            continue
        body = {
            key: current[key]
            for key in ("users", "hosts", "and_backend_roles", "description")
            if current and key in current
        }
        cluster.send("PUT", path, {**body, "backend_roles": wanted})
        changes.append(f"mapped the break-glass admins {', '.join(parameters.break_glass_roles) or 'none'} to {name}")
    return changes


def _internal_user(cluster: JsonHttp, user: InternalUser) -> list[str]:
    """Creates the user, or sets its password again when its secret has a new version; between
    versions the user keeps the password it has (its owner may have changed it)."""
    path = f"/_plugins/_security/api/internalusers/{quote(user.name)}"
    current = cluster.get(path)
    recorded = None if current is None else current[user.name].get("attributes", {}).get("password_version")
    if recorded == user.password_version:
        return []
    body = {
        "password": user.password,
        "description": f"signs in as {user.role}",
        "attributes": {"password_version": user.password_version},
    }
    cluster.send("PUT", path, body)
    if current is None:
        return [f"created internal user {user.name}"]
    return [f"set the password of internal user {user.name} from a new version of its secret"]


def _audit(cluster: JsonHttp, desired: dict) -> list[str]:
    """Audit logging of who reads which orders document (its id and fields, not their values), with
    no request bodies (a bulk's documents, a search's words), over what the cluster already logs."""
    current = cluster.get("/_plugins/_security/api/audit")["config"]
    if covers(current, desired):
        return []
    cluster.send("PUT", "/_plugins/_security/api/audit/config", _merged(current, desired))
    return ["updated the audit configuration"]


def _merged(base: dict, changes: dict) -> dict:
    """`base` with `changes` written over it, object by object."""
    merged = dict(base)
    for key, value in changes.items():
        merged[key] = _merged(base.get(key, {}), value) if isinstance(value, dict) else value
    return merged


def _put_if_different(cluster: JsonHttp, path: str, name: str, body: dict, kind: str) -> list[str]:
    current = cluster.get(path)
    if current is not None and covers(current.get(name, {}), body):
        return []
    cluster.send("PUT", path, body)
    return [f"{'updated' if current else 'created'} {kind} {name}"]


def _saved_objects(dashboards: JsonHttp, objects: list[dict]) -> list[str]:
    changed = []
    for saved in objects:
        current = dashboards.get(f"/api/saved_objects/{saved['type']}/{quote(saved['id'])}")
        if current is None or not (
            covers(current.get("attributes", {}), saved["attributes"])
            and _same_references(current.get("references", []), saved["references"])
        ):
            changed.append(saved)
    if not changed:
        return []
    ndjson = "".join(json.dumps(saved) + "\n" for saved in changed).encode()
    answer = dashboards.send(
        "POST",
        "/api/saved_objects/_import?overwrite=true",
        None,
        files={"file": ("orders.ndjson", ndjson, "application/ndjson")},
        headers={"osd-xsrf": "true"},
    )
    if not answer.get("success"):
        raise ValueError(f"Dashboards refused the saved objects: {json.dumps(answer.get('errors'))[:500]}")
    return [f"imported {saved['type']} {saved['id']}" for saved in changed]


def covers(actual: object, desired: object) -> bool:
    """Whether `actual` holds everything `desired` says: the server may add defaults of its own."""
    if isinstance(desired, dict):
        return isinstance(actual, dict) and all(k in actual and covers(actual[k], v) for k, v in desired.items())
    if isinstance(desired, list):
        return isinstance(actual, list) and len(actual) == len(desired) and all(map(covers, actual, desired))
    return actual == desired


def flat_settings(settings: dict, prefix: str = "") -> dict[str, str]:
    """Index settings as `index.a.b: "value"`, the form OpenSearch answers with either way it was given."""
    flat: dict[str, str] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= flat_settings(value, f"{name}.")
        else:
            flat[name if name.startswith("index.") else f"index.{name}"] = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
    return flat


def _same_references(actual: list[dict], desired: list[dict]) -> bool:
    key = lambda r: (r["name"], r["type"], r["id"])  # noqa: E731
    return sorted(map(key, actual)) == sorted(map(key, desired))

"""Helpers for the tests against the real local OpenSearch node (opensearch_setup.local): the
admin's client, a reset to an empty cluster between tests, and users signed in with one role."""

from __future__ import annotations

import json
import secrets

from opensearch_setup.bootstrap import ROLES, TEMPLATE_NAME, WRITE_ALIAS
from opensearch_setup.http import Auth, JsonHttp
from opensearch_setup.local import LocalCluster


def admin(cluster: LocalCluster) -> JsonHttp:
    return JsonHttp(cluster.url, Auth("basic", cluster.username, cluster.password))


def reset(cluster: LocalCluster) -> None:
    """Removes what the bootstrap and the tests create: the orders indices, their template, the
    project's roles, their mappings and the internal users other than the admin."""
    http = admin(cluster)
    if http.get("/orders-*"):
        http.send("DELETE", "/orders-*")
    if http.get(f"/_index_template/{TEMPLATE_NAME}") is not None:
        http.send("DELETE", f"/_index_template/{TEMPLATE_NAME}")
    for name in ROLES:
        for kind in ("rolesmapping", "roles"):
            if http.get(f"/_plugins/_security/api/{kind}/{name}") is not None:
                http.send("DELETE", f"/_plugins/_security/api/{kind}/{name}")
    for name, user in (http.get("/_plugins/_security/api/internalusers") or {}).items():
        if name != cluster.username and not user.get("reserved"):
            http.send("DELETE", f"/_plugins/_security/api/internalusers/{name}")


def bulk_index(http: JsonHttp, documents: list[dict], index: str = WRITE_ALIAS) -> dict:
    """The `_bulk` answer for indexing `documents` (by their line_id) into `index`, refreshed."""
    body = "".join(
        json.dumps({"index": {"_index": index, "_id": d["line_id"]}}) + "\n" + json.dumps(d) + "\n" for d in documents
    )
    return http.send("POST", "/_bulk?refresh=true", None, data=body, headers={"Content-Type": "application/x-ndjson"})


def user_with_role(cluster: LocalCluster, role: str) -> JsonHttp:
    """A new internal user mapped (directly) to `role`, signed in."""
    name, password = f"{role}-{secrets.token_hex(3)}", f"Pw-{secrets.token_urlsafe(16)}"
    http = admin(cluster)
    http.send("PUT", f"/_plugins/_security/api/internalusers/{name}", {"password": password})
    mapping = http.get(f"/_plugins/_security/api/rolesmapping/{role}") or {role: {}}
    users = sorted({*mapping[role].get("users", []), name})
    http.send(
        "PUT",
        f"/_plugins/_security/api/rolesmapping/{role}",
        {"users": users, "backend_roles": mapping[role].get("backend_roles", [])},
    )
    return JsonHttp(cluster.url, Auth("basic", name, password))


def indexed_documents(cluster: LocalCluster, index: str) -> dict[str, dict]:
    """Every document of `index` (refreshed first), by _id, read with a scroll."""
    from opensearchpy import OpenSearch
    from opensearchpy.helpers import scan

    client = OpenSearch(cluster.url, http_auth=(cluster.username, cluster.password))
    client.indices.refresh(index=index)
    return {hit["_id"]: hit["_source"] for hit in scan(client, index=index, size=2000)}


def document_count(cluster: LocalCluster, index: str) -> int:
    http = admin(cluster)
    http.send("POST", f"/{index}/_refresh")
    return http.send("POST", f"/{index}/_count")["count"]


def write_rejections(cluster: LocalCluster) -> int:
    """Requests the node's write thread pool rejected (each answered 429) since it started."""
    nodes = admin(cluster).get("/_nodes/stats/thread_pool")["nodes"]
    return sum(node["thread_pool"]["write"]["rejected"] for node in nodes.values())


def bootstrapped_with_writer(cluster: LocalCluster) -> dict[str, str]:
    """An empty cluster bootstrapped with its security roles (no replicas: one node) and the
    `opensearch` property group for the job, signed in as a new user of the writer role."""
    from opensearch_setup.bootstrap import Parameters, bootstrap

    reset(cluster)
    bootstrap(admin(cluster), None, Parameters(replicas=0))
    writer = user_with_role(cluster, "orders_writer")
    username, password = writer.session.auth
    return {"url": cluster.url, "auth": "basic", "username": username, "password": password}

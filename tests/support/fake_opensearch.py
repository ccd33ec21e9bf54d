"""An HTTP server on 127.0.0.1 that answers the parts of the OpenSearch and Dashboards REST APIs the
bootstrap uses, as their documentation describes them (no OpenSearch installs on these machines:
docs/design.md). It keeps what is written, answers reads the way the cluster does (index settings nested
under `index` with string values, ISM policies with their sequence numbers and server-added fields,
security resources with their flags), and records every request that changes something."""

from __future__ import annotations

import copy
import json
import re
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.http_stub import LocalServer


def nested_settings(settings: dict) -> dict:
    """{"number_of_shards": 1, "a.b": "x"} -> {"index": {"number_of_shards": "1", "a": {"b": "x"}}}."""
    result: dict = {}
    for key, value in settings.items():
        parts = key.removeprefix("index.").split(".")
        node = result.setdefault("index", {})
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = json.dumps(value) if isinstance(value, bool) else str(value)
    return result


class FakeOpenSearch(LocalServer):
    def __init__(self):
        self.templates: dict[str, dict] = {}
        self.policies: dict[str, dict] = {}
        self.indices: dict[str, dict] = {}  # index -> {"aliases": {...}}
        self.roles: dict[str, dict] = {"all_access": {}, "security_manager": {}}  # Amazon OpenSearch Service's own
        self.role_mappings: dict[str, dict] = {}
        self.internal_users: dict[str, dict] = {}  # name -> what was PUT (the password included)
        self.audit: dict = {"enabled": True, "audit": {"enable_rest": True}, "compliance": {"enabled": True}}
        self.saved_objects: dict[tuple[str, str], dict] = {}
        self.writes: list[tuple[str, str]] = []  # (method, path) of every request that changed something
        self.documents: dict[str, dict[str, dict]] = {}  # index -> _id -> document
        self.bulk_requests = 0
        self.bulk_faults: list[int] = []  # statuses to answer the next bulk requests with, in turn
        self.item_faults: dict[str, list[int]] = {}  # _id -> statuses to answer its next index actions with
        self.sigv4: tuple[str, str, str] | None = None  # (access key, secret key, region): requests must be signed
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urlsplit(self.path)
                headers = dict(self.headers.items())
                problem = fake._signature_problem(self.command, self.path, raw, headers) if fake.sigv4 else None
                with fake._lock:
                    status, answer = (
                        (403, {"message": problem})
                        if problem
                        else fake.route(self.command, unquote(url.path), parse_qs(url.query), raw, headers)
                    )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = _serve  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    def route(self, method: str, path: str, query: dict, raw: bytes, headers: dict) -> tuple[int, object]:
        routes = [
            (r"/_cat/plugins", self._plugins),
            (r"/_index_template/([^/]+)", self._index_template),
            (r"/_plugins/_ism/policies/([^/]+)", self._policy),
            (r"/_alias/([^/]+)", self._alias),
            (r"/_plugins/_security/api/roles/([^/]+)", lambda *a: self._security(self.roles, *a)),
            (r"/_plugins/_security/api/rolesmapping/([^/]+)", lambda *a: self._security(self.role_mappings, *a)),
            (r"/_plugins/_security/api/internalusers/([^/]+)", self._internal_user),
            (r"/_plugins/_security/api/audit(/config)?", self._audit),
            (r"/api/saved_objects/_import", self._import),
            (r"/api/saved_objects/([^/]+)/([^/]+)", self._saved_object),
            (r"/([^/_][^/]*)/_bulk", self._bulk),
            (r"/([^/_][^/]*)/_mapping", self._mapping),
            (r"/([^/_][^/]*)", self._index),
        ]
        for pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match:
                status, answer = handler(method, query, raw, headers, *match.groups())
                if method != "GET" and status < 300:
                    self.writes.append((method, path))
                return status, answer
        return 400, error(400, "unknown_endpoint", f"no handler for {method} {path}")

    def _plugins(self, method, query, raw, headers):
        return 200, [
            {"name": "node-1", "component": name, "version": "2.19.4.0"}
            for name in ("opensearch-index-management", "opensearch-job-scheduler", "opensearch-security")
        ]

    def _index_template(self, method, query, raw, headers, name):
        if method == "PUT":
            self.templates[name] = json.loads(raw)
            return 200, {"acknowledged": True}
        if name not in self.templates:
            return 404, error(404, "resource_not_found_exception", f"index template matching [{name}] not found")
        stored = copy.deepcopy(self.templates[name])
        stored["template"]["settings"] = nested_settings(stored["template"].get("settings", {}))
        stored.setdefault("composed_of", [])
        return 200, {"index_templates": [{"name": name, "index_template": stored}]}

    def _policy(self, method, query, raw, headers, policy_id):
        current = self.policies.get(policy_id)
        if method == "PUT":
            if current and (
                query.get("if_seq_no", [None])[0] != str(current["_seq_no"])
                or query.get("if_primary_term", [None])[0] != str(current["_primary_term"])
            ):
                return 409, error(409, "version_conflict_engine_exception", f"[{policy_id}]: version conflict")
            policy = json.loads(raw)["policy"]
            policy.update(policy_id=policy_id, schema_version=17, error_notification=None, last_updated_time=1)
            for template in policy.get("ism_template", []):
                template["last_updated_time"] = 1
            version = (current["_version"] + 1) if current else 1
            self.policies[policy_id] = {
                "_id": policy_id,
                "_version": version,
                "_seq_no": version - 1,
                "_primary_term": 1,
                "policy": policy,
            }
            return (200 if current else 201), {k: v for k, v in self.policies[policy_id].items()}
        if current is None:
            return 404, error(404, "status_exception", "Policy not found")
        return 200, current

    def _alias(self, method, query, raw, headers, alias):
        holders = {
            index: {"aliases": {alias: found["aliases"][alias]}}
            for index, found in self.indices.items()
            if alias in found["aliases"]
        }
        if not holders:
            return 404, {"error": f"alias [{alias}] missing", "status": 404}
        return 200, holders

    def _index(self, method, query, raw, headers, index):
        if method != "PUT":
            return 405, error(405, "method_not_allowed", f"{method} /{index}")
        if index in self.indices:
            return 400, error(400, "resource_already_exists_exception", f"index [{index}] already exists")
        aliases = json.loads(raw or b"{}").get("aliases", {})
        for template in self.templates.values():
            if any(re.fullmatch(p.replace("*", ".*"), index) for p in template["index_patterns"]):
                aliases = {**template["template"].get("aliases", {}), **aliases}
        self.indices[index] = {"aliases": aliases}
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": index}

    def _mapping(self, method, query, raw, headers, target):
        """An index's mapping is its template's (indices here are made from the current one)."""
        indices = [i for i, found in self.indices.items() if i == target or target in found["aliases"]]
        if not indices:
            return 404, error(404, "index_not_found_exception", f"no such index [{target}]")
        if method == "PUT":
            return 200, {"acknowledged": True}
        return 200, {index: {"mappings": self._template_of(index)["template"]["mappings"]} for index in indices}

    def _bulk(self, method, query, raw, headers, target):
        """The bulk API's `index` actions: each item answered on its own, `errors` true if any failed."""
        self.bulk_requests += 1
        if self.bulk_faults:
            status = self.bulk_faults.pop(0)
            return status, error(status, "rejected_execution_exception" if status == 429 else "internal_error", "fault")
        index = self._write_index(target)
        lines = raw.decode().splitlines()
        items = []
        for action_line, source in zip(lines[0::2], lines[1::2]):
            document_id = json.loads(action_line)["index"]["_id"]
            document = json.loads(source)
            faults = self.item_faults.get(document_id)
            unmapped = self._unmapped(index, document)
            if faults:
                status = faults.pop(0)
                result = {"status": status, "error": {"type": "es_rejected_execution_exception", "reason": "fault"}}
            elif unmapped:
                result = {
                    "status": 400,
                    "error": {
                        "type": "strict_dynamic_mapping_exception",
                        "reason": f"mapping set to strict, dynamic introduction of [{unmapped}] is not allowed",
                    },
                }
            else:
                created = document_id not in self.documents.setdefault(index, {})
                self.documents[index][document_id] = document
                result = {"status": 201 if created else 200, "result": "created" if created else "updated"}
            items.append({"index": {"_index": index, "_id": document_id, **result}})
        return 200, {"took": 1, "errors": any(i["index"]["status"] >= 300 for i in items), "items": items}

    def _signature_problem(self, method: str, target: str, raw: bytes, headers: dict) -> str | None:
        """Why the request's SigV4 signature is not the one botocore computes from the same signed
        headers, the request target as it came (path and query still encoded, as a domain reads
        them) and the expected credentials; None when it is."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        lower = {k.lower(): v for k, v in headers.items()}
        found = re.fullmatch(
            r"AWS4-HMAC-SHA256 Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request, "
            r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})",
            lower.get("authorization", ""),
        )
        if not found:
            return "no SigV4 Authorization header"
        access_key, region, service, signed, signature = found.groups()
        expected_key, secret_key, expected_region = self.sigv4
        if (access_key, region, service) != (expected_key, expected_region, "es"):
            return f"credential scope {access_key}/{region}/{service} is not {expected_key}/{expected_region}/es"
        request = AWSRequest(
            method=method,
            url=self.url + target,
            data=raw,
            headers={name: lower[name] for name in signed.split(";") if name != "host"},
        )
        request.context["timestamp"] = lower["x-amz-date"]
        signer = SigV4Auth(Credentials(access_key, secret_key, lower.get("x-amz-security-token")), service, region)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        return (
            None
            if signature == expected
            else "The request signature we calculated does not match the signature you provided."
        )

    def _write_index(self, target: str) -> str:
        for index, found in self.indices.items():
            if found["aliases"].get(target, {}).get("is_write_index"):
                return index
        self.indices.setdefault(target, {"aliases": {}})
        return target

    def _template_of(self, index: str) -> dict:
        for template in self.templates.values():
            if any(re.fullmatch(p.replace("*", ".*"), index) for p in template["index_patterns"]):
                return template
        return {"template": {"mappings": {}}}

    def _unmapped(self, index: str, document: dict) -> str | None:
        """The first field of `document` the strict mapping of `index`'s template lacks, if any."""
        properties = self._template_of(index)["template"]["mappings"].get("properties")
        return None if properties is None else _first_unmapped(document, properties)

    def _security(self, store, method, query, raw, headers, name):
        if method == "PUT":
            existed = name in store
            store[name] = {**json.loads(raw), "reserved": False, "hidden": False, "static": False}
            return (200 if existed else 201), {
                "status": "OK" if existed else "CREATED",
                "message": f"'{name}' updated.",
            }
        if name not in store:
            return 404, {"status": "NOT_FOUND", "message": f"Resource '{name}' not found."}
        return 200, {name: store[name]}

    def _audit(self, method, query, raw, headers, config):
        if method == "PUT" and config:
            self.audit = json.loads(raw)
            return 200, self.audit
        return 200, {"_readonly": [], "config": self.audit}

    def _internal_user(self, method, query, raw, headers, name):
        """As the security API answers: a GET shows no password, only an empty hash."""
        if method == "PUT":
            body = json.loads(raw)
            if len(body.get("password", "")) < 8:
                return 400, {"status": "error", "reason": "Password is too short"}
            return self._security(self.internal_users, method, query, raw, headers, name)
        status, answer = self._security(self.internal_users, method, query, raw, headers, name)
        if status == 200:
            answer = {
                name: {
                    "hash": "",
                    "backend_roles": [],
                    "attributes": answer[name].get("attributes", {}),
                    "description": answer[name]["description"],
                }
            }
        return status, answer

    def _saved_object(self, method, query, raw, headers, kind, object_id):
        found = self.saved_objects.get((kind, object_id))
        if found is None:
            return 404, {
                "statusCode": 404,
                "error": "Not Found",
                "message": f"Saved object [{kind}/{object_id}] not found",
            }
        return 200, found

    def _import(self, method, query, raw, headers, *groups):
        content_type = {k.lower(): v for k, v in headers.items()}["content-type"]
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
        [part] = [p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "file"]
        objects = [json.loads(line) for line in part.get_payload(decode=True).decode().splitlines() if line.strip()]
        errors = []
        for saved in objects:
            key = (saved["type"], saved["id"])
            if key in self.saved_objects and query.get("overwrite") != ["true"]:
                errors.append({"id": saved["id"], "type": saved["type"], "error": {"type": "conflict"}})
                continue
            self.saved_objects[key] = {**saved, "version": "WzEsMV0=", "updated_at": "2026-11-26T00:00:00.000Z"}
        return 200, {
            "success": not errors,
            "successCount": len(objects) - len(errors),
            **({"errors": errors} if errors else {}),
        }


def _first_unmapped(document: dict, properties: dict, prefix: str = "") -> str | None:
    for name, value in document.items():
        if name not in properties:
            return prefix + name
        if isinstance(value, dict) and "properties" in properties[name]:
            found = _first_unmapped(value, properties[name]["properties"], f"{prefix}{name}.")
            if found:
                return found
    return None


def error(status: int, kind: str, reason: str) -> dict:
    return {
        "error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
        "status": status,
    }

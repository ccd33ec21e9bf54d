"""A small JSON client over `requests` for an OpenSearch cluster and its Dashboards: no auth, basic
auth, or SigV4 (opensearch-py's signer) for Amazon OpenSearch Service."""

from __future__ import annotations

from dataclasses import dataclass

import requests


class OpenSearchError(Exception):
    """A request the cluster refused; the message has the method, path, status and answer."""


@dataclass(frozen=True)
class Auth:
    kind: str = "none"  # none | basic | sigv4
    username: str | None = None
    password: str | None = None
    region: str | None = None  # sigv4


def requests_auth(auth: Auth):
    if auth.kind == "basic":
        return (auth.username, auth.password)
    if auth.kind == "sigv4":
        import boto3
        from opensearchpy import RequestsAWSV4SignerAuth

        credentials = boto3.Session().get_credentials()
        if credentials is None:
            raise OpenSearchError("SigV4 auth needs AWS credentials and none were found")
        return RequestsAWSV4SignerAuth(credentials, auth.region, "es")
    return None


class JsonHttp:
    def __init__(self, url: str, auth: Auth, timeout_seconds: float = 30):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = requests_auth(auth)
        self.timeout = timeout_seconds

    def get(self, path: str) -> dict | None:
        """The JSON answer, or None for 404."""
        response = self.session.get(self.url + path, timeout=self.timeout)
        if response.status_code == 404:
            return None
        return self._json(response, "GET", path)

    def send(self, method: str, path: str, body: dict | None = None, **kwargs) -> dict:
        response = self.session.request(method, self.url + path, json=body, timeout=self.timeout, **kwargs)
        return self._json(response, method, path)

    @staticmethod
    def _json(response: requests.Response, method: str, path: str) -> dict:
        if response.status_code >= 300:
            raise OpenSearchError(f"{method} {path}: HTTP {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else {}

"""A small JSON client over `requests` for an OpenSearch cluster and its Dashboards: no auth, basic
auth, or SigV4 (botocore's signer) for Amazon OpenSearch Service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
import requests.auth


class OpenSearchError(Exception):
    """A request the cluster refused; the message has the method, path, status and answer."""


@dataclass(frozen=True)
class Auth:
    kind: str = "none"  # none | basic | sigv4
    username: str | None = None
    password: str | None = None
    region: str | None = None  # sigv4


class SigV4(requests.auth.AuthBase):
    """Signs each request (service `es`) with botocore, which Lambda's runtime has, using the
    credentials of the environment (refreshed as they expire)."""

    def __init__(self, region: str):
        import botocore.session

        self.region = region
        credentials = botocore.session.get_session().get_credentials()
        if credentials is None:
            raise OpenSearchError("SigV4 auth needs AWS credentials and none were found")
        self.credentials = credentials

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        signed = AWSRequest(
            method=request.method,
            url=request.url,
            data=request.body or b"",
            headers={k: v for k, v in request.headers.items() if k.lower() != "connection"},
        )
        SigV4Auth(self.credentials.get_frozen_credentials(), "es", self.region).add_auth(signed)
        request.headers.update(dict(signed.headers.items()))
        return request


def requests_auth(auth: Auth):
    if auth.kind == "basic":
        return (auth.username, auth.password)
    if auth.kind == "sigv4":
        if auth.region is None:
            raise OpenSearchError("SigV4 auth needs the domain's region")
        return SigV4(auth.region)
    return None


class JsonHttp:
    def __init__(self, url: str, auth: Auth, timeout_seconds: float = 30):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = requests_auth(auth)
        self.timeout = timeout_seconds

    def get(self, path: str) -> Any:
        """The JSON answer (an object or an array, as the path gives), or None for 404."""
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

"""The connector jars of jars.lock.json, fetched from a Maven repository and checked twice: against
the SHA-1 the repository publishes beside each jar, and against the SHA-256 pinned in the lock.

A jar the lock does not pin yet is accepted on the repository's SHA-1 alone, with a warning;
`python -m msf_package pin` records the SHA-256 of what was checked, so that later builds take
exactly those bytes (commit the lock after reviewing it)."""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.request
from dataclasses import dataclass
from pathlib import Path

LOCK = Path(__file__).resolve().parent / "jars.lock.json"
LOG = logging.getLogger(__name__)


class ChecksumError(Exception):
    pass


@dataclass(frozen=True)
class LockedJar:
    coordinates: str  # group:artifact:version
    sha256: str | None  # None: not pinned yet

    @property
    def file_name(self) -> str:
        _, artifact, version = self.coordinates.split(":")
        return f"{artifact}-{version}.jar"

    def url(self, repository: str) -> str:
        group, artifact, version = self.coordinates.split(":")
        return f"{repository.rstrip('/')}/{group.replace('.', '/')}/{artifact}/{version}/{self.file_name}"


def read_lock(lock: Path = LOCK) -> tuple[str, list[LockedJar]]:
    """The lock's repository and jars."""
    content = json.loads(lock.read_text(encoding="utf-8"))
    return content["repository"], [LockedJar(j["coordinates"], j.get("sha256")) for j in content["jars"]]


def fetch(jar: LockedJar, repository: str, cache: Path) -> Path:
    """The jar, from the cache or the repository, after both checks; `ChecksumError` if one fails.
    The cache keeps each repository's jars apart (a mirror's or a test's never stand in for Central's)."""
    path = cache / hashlib.sha256(repository.encode()).hexdigest()[:16] / jar.file_name
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _download(jar.url(repository))
        published = _download(jar.url(repository) + ".sha1").decode().split()[0].strip().lower()
        actual = hashlib.sha1(data).hexdigest()  # noqa: S324 (the checksum Maven repositories publish)
        if actual != published:
            raise ChecksumError(f"{jar.coordinates}: SHA-1 {actual} differs from the repository's {published}")
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.rename(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if jar.sha256 is None:
        LOG.warning("%s is not pinned in %s: accepted on the repository's SHA-1; run `python -m msf_package pin` "
                    "and commit the lock", jar.coordinates, LOCK.name)
    elif digest != jar.sha256:
        raise ChecksumError(f"{jar.coordinates}: SHA-256 {digest} differs from the pinned {jar.sha256} "
                            f"(cached at {path}: delete it to download again)")
    return path


def pin(cache: Path, repository: str | None = None, lock: Path = LOCK) -> list[str]:
    """Records the SHA-256 of every jar not pinned yet (fetched and checked as for a build); the
    coordinates pinned."""
    lock_repository, jars = read_lock(lock)
    repository = repository or lock_repository
    content = json.loads(lock.read_text(encoding="utf-8"))
    pinned = []
    for entry, jar in zip(content["jars"], jars):
        if jar.sha256 is None:
            entry["sha256"] = hashlib.sha256(fetch(jar, repository, cache).read_bytes()).hexdigest()
            pinned.append(jar.coordinates)
    lock.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    return pinned


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (an https repository, or a test's)
        return response.read()

"""A fake Maven repository on 127.0.0.1 (Maven Central cannot be reached from here): for each jar
of msf_package/jars.lock.json it serves a small jar laid out like the real shaded connector (its
service registration, a notice, a signature, the shaded AWS SDK credentials provider the
OpenSearch sink looks for, as an empty class file) and the `.sha1` beside it."""

from __future__ import annotations

import hashlib
import io
import zipfile

from msf_package.maven import LockedJar, read_lock
from tests.http_stub import HttpStub

SHADED_PROVIDER = ("org/apache/flink/connector/kinesis/sink/shaded/software/amazon/awssdk/auth/credentials/"
                   "DefaultCredentialsProvider.class")
FACTORY_SERVICE = "META-INF/services/org.apache.flink.table.factories.Factory"
CONNECTOR_FACTORY = "org.apache.flink.connector.kinesis.table.KinesisDynamicTableFactory"


def connector_jar(provider: str = SHADED_PROVIDER) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
        jar.writestr("META-INF/APACHE.SF", "Signature-Version: 1.0\r\n")
        jar.writestr("META-INF/NOTICE", "Flink : Connectors : AWS : SQL : Amazon Kinesis Data Streams\n")
        jar.writestr(FACTORY_SERVICE, f"{CONNECTOR_FACTORY}\n")
        jar.writestr("org/apache/flink/connector/kinesis/table/KinesisDynamicTableFactory.class", b"\xca\xfe\xba\xbe")
        jar.writestr(provider, b"\xca\xfe\xba\xbe")
    return buffer.getvalue()


class FakeMaven(HttpStub):
    def __init__(self, jar: bytes | None = None, published_sha1: str | None = None):
        self.jar = jar or connector_jar()
        self.sha1 = published_sha1 or hashlib.sha1(self.jar).hexdigest()  # noqa: S324 (what Maven publishes)
        _, self.locked = read_lock()
        super().__init__(self._answer)

    def _answer(self, method: str, path: str, query: dict, body: object) -> tuple[int, bytes]:
        for jar in self.locked:
            if path == self._path(jar):
                return 200, self.jar
            if path == self._path(jar) + ".sha1":
                return 200, f"{self.sha1}  {jar.file_name}\n".encode()
        return 404, b""

    def _path(self, jar: LockedJar) -> str:
        return jar.url("")

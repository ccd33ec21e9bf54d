"""Several jars merged into one, as MSF wants for a Python application (a single `jarfile`): what
Maven's shade plugin would do for jars that are already shaded themselves."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from msf_package.zips import write_entries

MANIFEST = "META-INF/MANIFEST.MF"
SIGNATURE = re.compile(r"META-INF/[^/]+\.(SF|RSA|DSA|EC)$", re.IGNORECASE)  # signatures of the original jars
SERVICES = "META-INF/services/"
LEGAL = re.compile(r"META-INF/(LICENSE|NOTICE|DEPENDENCIES)(\.txt|\.md)?$", re.IGNORECASE)


class ConflictingClass(Exception):
    pass


def merge(jars: list[Path], out: Path) -> None:
    """Writes `out` with every entry of `jars`: service registrations and legal notices of all of
    them concatenated, the rest from the first jar that has it. Two different classes under one
    name are an error (the job would get whichever the class loader met first)."""
    contents: dict[str, bytes] = {}
    owner: dict[str, Path] = {}
    for jar in jars:
        with zipfile.ZipFile(jar) as archive:
            for info in archive.infolist():
                name = info.filename
                if info.is_dir() or name == MANIFEST or SIGNATURE.match(name):
                    continue
                data = archive.read(info)
                if name not in contents:
                    contents[name], owner[name] = data, jar
                elif name.startswith(SERVICES):
                    contents[name] = _service_lines(contents[name], data)
                elif LEGAL.match(name) and data not in contents[name]:
                    contents[name] += b"\n\n" + data
                elif name.endswith(".class") and data != contents[name]:
                    raise ConflictingClass(f"{name} differs between {owner[name].name} and {jar.name}")
    contents[MANIFEST] = b"Manifest-Version: 1.0\r\nCreated-By: msf_package\r\n\r\n"
    write_entries(out, contents)


def _service_lines(first: bytes, second: bytes) -> bytes:
    lines = [line for line in (first + b"\n" + second).splitlines() if line.strip()]
    return b"\n".join(dict.fromkeys(lines)) + b"\n"

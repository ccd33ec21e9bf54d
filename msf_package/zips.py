"""Zip files written the same way every time: the same content gives the same bytes, so an
unchanged application gets the same package key and MSF does not restart it for nothing."""

from __future__ import annotations

import zipfile
from pathlib import Path

FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def write_entries(path: Path, entries: dict[str, bytes]) -> None:
    """`path` holding `entries` (name -> bytes) in name order, a jar's manifest first (where
    JarInputStream looks for it), with fixed times and modes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries, key=lambda name: (name != "META-INF/MANIFEST.MF", name)):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name])

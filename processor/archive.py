"""The archive: every original, byte for byte, stored under its sha256 before anything else
happens to it. Files are readable by the service only."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from processor.store.models import Document, Original


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_bytes(root: Path, data: bytes) -> tuple[str, str]:
    """(sha256, path relative to root); writing the same content twice keeps one file."""
    digest = sha256_of(data)
    relative = Path(digest[:2]) / digest[2:4] / digest
    target = root / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Write then rename: a crash never leaves a half-written original under its hash.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return digest, str(relative)


def read_original(root: Path, session: Session, document: Document) -> bytes:
    """A document's original: from this host's archive, or — on another host of a shared
    deployment, whose disk it is not on — from the store, and kept in this archive too."""
    path = root / document.archive_path
    if path.is_file():
        return path.read_bytes()
    kept = session.get(Original, document.sha256)
    if kept is None:
        raise FileNotFoundError(
            f"the original of {document.filename} ({document.sha256[:12]}…) is neither "
            f"in the archive {root} nor in the store"
        )
    archive_bytes(root, kept.data)
    return kept.data

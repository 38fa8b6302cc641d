"""Run directories: created whole or not at all, never overwritten silently.

A run writes into a hidden staging folder next to its destination and renames it into
place only when everything was written, so an interrupted or failed run never leaves a
half-written (corrupt) run directory behind, and an existing one is never touched.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import RunDirectoryError


def default_run_dir(kind: str, name: str, seed: int, root: str | Path = "runs") -> Path:
    """``runs/<kind>-<scenario>-s<seed>-<timestamp>``: unique per second, sorts by time."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{kind}-{name}-s{seed}-{stamp}"


def check_free(path: Path) -> None:
    """Raise :class:`RunDirectoryError` if ``path`` exists and is not an empty folder."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise RunDirectoryError(
            f"run directory {path} already exists and is not empty; pass another --out "
            "(runs are never overwritten)"
        )


@contextmanager
def staged_run_dir(path: str | Path) -> Iterator[Path]:
    """Yield a staging folder that becomes ``path`` only if the block finishes.

    Raises:
        RunDirectoryError: ``path`` already exists with content (checked before and again
            just before the final rename).
    """
    final = Path(path)
    check_free(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    stage = final.parent / f".{final.name}.partial-{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    try:
        yield stage
        check_free(final)
        if final.exists():
            final.rmdir()
        stage.rename(final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename (never half-written)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


def open_spec_dir(out: Path, spec_json: str, kind: str) -> None:
    """Create a resumable directory keyed by its ``spec.json``, or check that it holds this spec.

    Sweeps and tunes resume by rerunning the same command: the same spec reuses what is
    there; another spec, or a directory that is not one of ours, is refused untouched.
    """
    from twin.errors import RunDirectoryError

    spec_file = out / "spec.json"
    if spec_file.is_file():
        if spec_file.read_text() != spec_json:
            raise RunDirectoryError(
                f"{kind} directory {out} holds another {kind} (its spec.json differs); pass "
                "another --out, or rerun that one with --resume"
            )
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RunDirectoryError(
            f"{out} exists and is not a {kind} directory; pass another --out (nothing is "
            "overwritten)"
        )
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(spec_file, spec_json)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_json(path: Path, data: Any) -> None:
    """Write JSON deterministically (sorted keys, fixed indent) so reruns are byte-identical."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=_jsonable) + "\n")


def write_table(path: Path, columns: dict[str, Any]) -> None:
    """Write equal-length columns as a Parquet file (zstd-compressed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({k: np.asarray(v) for k, v in columns.items()})
    pq.write_table(table, path, compression="zstd")


def write_records(out: Path, stem: str, records: list[dict[str, Any]]) -> None:
    """One row per record as ``<stem>.parquet`` and ``<stem>.csv`` (nothing when empty)."""
    if not records:
        return
    cols = list(records[0])
    write_table(out / f"{stem}.parquet", {c: [r[c] for r in records] for c in cols})
    with (out / f"{stem}.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        writer.writerows(records)


def read_table(path: str | Path) -> dict[str, np.ndarray]:
    """Read a Parquet file written by :func:`write_table` into NumPy columns."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return {name: table.column(name).to_numpy() for name in table.column_names}

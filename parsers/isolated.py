"""Reading documents in worker processes with hard limits, whatever thread asks: distributed
workers parse in threads, where the SIGALRM of `limits.time_limit` cannot be set.

A small pool of long-lived processes (started by a forkserver, so no thread of the worker is
copied into them) parses one document at a time each. In each:
- the address space is capped (RLIMIT_AS, `[limits] max_memory_mb`): a document that needs
  more fails with MemoryError and is refused, the worker is untouched;
- the parse runs on the process's main thread, so `time_limit` stops it after `max_seconds`
  as it does in `inspect`; and should C code not come back to Python to be stopped, the pool
  is killed after a grace period and made anew.
The processes live on, so a document costs a round trip of its bytes, not a process start,
and the OCR models stay loaded.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from parsers import _failed, parse_document
from parsers.limits import MiB, ParseLimits
from parsers.model import ParsedDocument, ParseError, reason_text

log = logging.getLogger(__name__)

GRACE_SECONDS = 5.0  # beyond max_seconds, before the process is killed from outside
PROCESSES = max(1, min(4, os.cpu_count() or 1))

_lock = threading.Lock()
_pools: dict[int, ProcessPoolExecutor] = {}  # by memory limit (MB)


def parse(data: bytes, filename: str, limits: ParseLimits) -> ParsedDocument:
    """`parsers.parse_document` in a process of the pool, within the limits."""
    for attempt in (1, 2):
        pool = _pool(limits.max_memory_mb)
        try:
            return pool.submit(parse_document, data, filename, limits).result(
                timeout=limits.max_seconds + GRACE_SECONDS
            )
        except FutureTimeout:
            log.error(
                "reading %s did not stop after %.0f s: its process is killed",
                filename,
                limits.max_seconds,
            )
            _discard(pool, kill=True)
            return _failed(
                filename,
                "unknown",
                ParseError("too_slow", file=filename, seconds=f"{limits.max_seconds:g}"),
            )
        except (
            BrokenProcessPool
        ):  # its process died (killed by the kernel, or with another's timeout)
            _discard(pool, kill=False)
            if attempt == 2:
                return _failed(
                    filename,
                    "unknown",
                    ParseError("reader_died", file=filename, limit=limits.max_memory_mb),
                )
    raise AssertionError("unreachable")


def _pool(memory_mb: int) -> ProcessPoolExecutor:
    with _lock:
        pool = _pools.get(memory_mb)
        if pool is None:
            context = multiprocessing.get_context("forkserver")
            # the mail parser, which nearly every item needs, imported once in the forkserver and
            # shared by the pool's processes; the others (OpenCV, the OCR stack, openpyxl: seconds
            # of CPU) in a process when it first reads such a file
            context.set_forkserver_preload(["parsers", "parsers.mail"])
            pool = ProcessPoolExecutor(
                PROCESSES, mp_context=context, initializer=_limit_memory, initargs=(memory_mb,)
            )
            _pools[memory_mb] = pool
        return pool


def _discard(pool: ProcessPoolExecutor, *, kill: bool) -> None:
    with _lock:
        for key, found in list(_pools.items()):
            if found is pool:
                del _pools[key]
    if kill:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _limit_memory(memory_mb: int) -> None:
    # the catalog that words a refusal, loaded before the cap: a document that ran out of memory
    # must still be refused in words, not with a second MemoryError from importing them
    reason_text({"code": "out_of_memory", "file": "", "limit": str(memory_mb)})
    limit = memory_mb * MiB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

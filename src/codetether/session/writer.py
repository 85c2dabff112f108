"""One thread writes the session database: callers hand it statements and go on; what arrives together is one
transaction. The event loop never waits on SQLite (a busy database could hold it for seconds)."""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

Statements = list[tuple[str, tuple[Any, ...]]]
Reader = Callable[[sqlite3.Connection], Any]


class WriteError(Exception):
    """A write the database refused (a full disk, a read-only file): the message says which and why."""


class SessionWriter:
    """The write connection and the thread that owns it. `submit` queues; waiting for an empty submission waits
    until everything before it is committed."""

    def __init__(self, path: Path, connect: Callable[[Path], sqlite3.Connection]):
        self.path, self._connect = path, connect
        self._queue: queue.SimpleQueue[tuple[Statements | Reader, Future[Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None  # the first refused write, raised by the next raise_refused
        self._lock = threading.Lock()

    def submit(self, statements: Statements, waited: bool = False) -> Future[Any]:
        """Queue one atomic group of statements; the future says when (and whether) it was committed. A write
        nobody waits for (`waited` False) that fails is raised by the next raise_refused instead."""
        future = self._put(statements)
        if not waited:
            future.add_done_callback(self._remember)
        return future

    def _remember(self, future: Future[Any]) -> None:
        error = future.exception()
        if error is not None and self._failed is None:
            self._failed = error

    def run(self, work: Reader) -> Future[Any]:
        """A read-modify-write that must see the writes queued before it (the next turn number): on the writer."""
        return self._put(work)

    def raise_refused(self) -> None:
        """Raise (once) the first write nobody waited for that the database refused."""
        failed, self._failed = self._failed, None
        if failed is not None:
            raise failed

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _put(self, item: Statements | Reader) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="session-writer", daemon=True)
                self._thread.start()
            self._queue.put((item, future))
        return future

    def _loop(self) -> None:
        db = self._connect(self.path)
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                while not self._queue.empty():  # everything waiting goes in one transaction
                    more = self._queue.get_nowait()
                    if more is None:
                        self._commit(db, batch)
                        return
                    batch.append(more)
                self._commit(db, batch)
        finally:
            db.close()

    def _commit(self, db: sqlite3.Connection, batch: list[tuple[Statements | Reader, Future[Any]]]) -> None:
        """Plain statement groups share one transaction; a read-modify-write gets its own."""
        groups = [item for item in batch if not callable(item[0])]
        if groups:
            self._transaction(db, groups)
        for work, future in batch:
            if callable(work):
                self._transaction(db, [(work, future)])

    def _transaction(self, db: sqlite3.Connection, items: list[tuple[Statements | Reader, Future[Any]]]) -> None:
        results: list[Any] = []
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                for work, _ in items:
                    if callable(work):
                        results.append(work(db))
                    else:
                        for sql, params in work:
                            db.execute(sql, params)
                        results.append(None)
        except sqlite3.Error as exc:
            error = WriteError(str(exc))
            for _, future in items:
                future.set_exception(error)
            return
        for (_, future), result in zip(items, results):
            future.set_result(result)

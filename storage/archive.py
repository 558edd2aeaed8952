"""The archive: one SQLite file, one object with a room per table group. The only package
that speaks SQL; it stores what it is given and never decides what is news.

    archive.state     small facts kept between polls          (state.py), per watch
    archive.shared    the process's: robots.txt per host, the integrity check
    archive.polls     polls and the fetch log                  (polls.py)
    archive.walk      reports listed, not stored yet           (walk.py)
    archive.list_pages  list pages read, for conditional walks  (listpages.py)
    archive.reports   reports and their versions               (reports.py)
    archive.outbox    events, alerts, watchers, deliveries     (outbox.py)
    archive.queries   read models for the command line         (queries.py)
    archive.browse    read models for `serve` and `search`     (browse.py, search.py)
    archive.evidence  raw responses and the chain, per watch   (evidence.py)
    archive.files     each report's attachment files            (attachments.py)
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from storage.attachments import AttachmentFiles
from storage.browse import Browse
from storage.db import transaction
from storage.evidence import Evidence
from storage.listpages import ListPages
from storage.outbox import Outbox
from storage.polls import Polls
from storage.queries import Queries
from storage.reports import Reports
from storage.state import State
from storage.walk import WalkItems

if TYPE_CHECKING:  # sqlite-utils is the writer's: a reader starts without it
    from sqlite_utils import Database


class Archive:
    """The archive, or (``watch`` given) one watch's part of it: state, polls, walk items and
    reports are then that watch's; the outbox and the read models are the archive's."""

    def __init__(self, db: Database, watch: str = "") -> None:
        self.db = db
        self.watch = watch
        self.state = State(db, watch)
        self.shared = State(db, "")  # the process's: robots.txt per host, the integrity check
        self.polls = Polls(db, watch)
        self.walk = WalkItems(db, watch)
        self.list_pages = ListPages(db, watch)
        self.reports = Reports(db, watch)
        self.evidence = Evidence(db, watch)
        self.files = AttachmentFiles(db, watch)
        self.outbox = Outbox(db)
        self.queries = Queries(db)
        self.browse = Browse(db)

    def scoped(self, watch: str) -> Archive:
        """One watch's part of the archive, on the same connection (its outbox and read models
        are this archive's own)."""
        part = Archive(self.db, watch)
        part.outbox, part.queries, part.shared, part.browse = self.outbox, self.queries, self.shared, self.browse
        return part

    def transaction(self) -> contextlib.AbstractContextManager[Database]:
        """Several writes that stand or fall together (see storage.db.transaction)."""
        return transaction(self.db)

    def close(self) -> None:
        self.db.conn.close()

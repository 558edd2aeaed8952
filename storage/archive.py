"""The archive: one SQLite file, one object with a room per table group. The only package
that speaks SQL; it stores what it is given and never decides what is news.

    archive.state     small facts kept between polls          (state.py)
    archive.polls     polls and the fetch log                  (polls.py)
    archive.walk      reports listed, not stored yet           (walk.py)
    archive.reports   reports and their versions               (reports.py)
    archive.outbox    events, alerts, watchers, deliveries     (outbox.py)
    archive.queries   read models for the command line         (queries.py)
"""

from __future__ import annotations

import contextlib

from sqlite_utils import Database

from storage.db import transaction
from storage.outbox import Outbox
from storage.polls import Polls
from storage.queries import Queries
from storage.reports import Reports
from storage.state import State
from storage.walk import WalkItems


class Archive:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.state = State(db)
        self.polls = Polls(db)
        self.walk = WalkItems(db)
        self.reports = Reports(db)
        self.outbox = Outbox(db)
        self.queries = Queries(db)

    def transaction(self) -> contextlib.AbstractContextManager[Database]:
        """Several writes that stand or fall together (see storage.db.transaction)."""
        return transaction(self.db)

    def close(self) -> None:
        self.db.conn.close()

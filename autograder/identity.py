"""Who a submission is: the users a grading records in its results (``extra_data.dl3.users``).

- On Gradescope, ``/autograder/submission_metadata.json`` lists them (its ``users``: ``name``,
  ``email``, ``id`` — several for a group submission;
  https://gradescope-autograders.readthedocs.io/en/latest/submission_metadata/); the bundle's
  ``run_autograder`` passes it to ``grade --submission-metadata``.
- Elsewhere ``grade --student ID`` names the one student; ``grade-batch`` passes the folder's
  or zip's name.

The gradebook (``autograder.gradebook``) matches these against the LMS's roster; the class
report keeps their names and emails out of its example messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

USERS = "users"   # the key in a results file's extra_data.dl3


class IdentityError(ValueError):
    """A submission metadata file that cannot be read: one line for the user."""


@dataclass(frozen=True)
class Person:
    """One user of a submission; empty strings where the source did not say."""

    id: str
    name: str = ""
    email: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("id", self.id), ("name", self.name), ("email", self.email)) if v}


def users_for(student: str | None = None, metadata: Path | None = None) -> list[dict[str, str]]:
    """The users to record: Gradescope's metadata file's, else the one student named, else none."""
    if metadata is not None:
        return from_metadata(metadata)
    return [Person(student).as_dict()] if student else []


def from_metadata(path: Path) -> list[dict[str, str]]:
    """The users listed in Gradescope's ``submission_metadata.json``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IdentityError(f"cannot read the submission metadata {path}: {exc}") from None
    users = data.get(USERS) if isinstance(data, dict) else None
    if not isinstance(users, list) or not all(isinstance(u, dict) for u in users):
        raise IdentityError(f"the submission metadata {path} has no list of {USERS!r}")
    return [_person(u).as_dict() for u in users]


def people_of(results: dict | None) -> tuple[Person, ...]:
    """The users a results file records (none in results written before the kit recorded them)."""
    dl3 = ((results or {}).get("extra_data") or {}).get("dl3") or {}
    users = dl3.get(USERS) if isinstance(dl3, dict) else None
    if not isinstance(users, list):
        return ()
    return tuple(_person(u) for u in users if isinstance(u, dict))


def _person(user: dict) -> Person:
    return Person(str(user.get("id") or ""), str(user.get("name") or ""), str(user.get("email") or ""))

"""Who is who: each roster row matched to the graded submission its identifier names.

A roster row's cell in the column the instructor names (``--match``) is compared with each
submission's keys (``StudentGrade.keys``: its id, its users' emails), spaces and case
aside. A group submission fills the row of each of its members. Nothing is guessed: a row
that names two submissions is matched to neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.gradebook.grades import StudentGrade, normal


@dataclass
class Matches:
    by_row: dict[int, StudentGrade] = field(default_factory=dict)   # roster row index -> its submission
    without_submission: list[int] = field(default_factory=list)    # roster rows no submission names
    ambiguous: dict[int, list[str]] = field(default_factory=dict)  # roster rows that name several
    without_roster: list[StudentGrade] = field(default_factory=list)   # graded, named by no row


def match(values: dict[int, str], grades: list[StudentGrade]) -> Matches:
    """Match roster rows (index -> identifier cell) to ``grades``."""
    by_key: dict[str, list[StudentGrade]] = {}
    for grade in grades:
        for key in grade.keys:
            by_key.setdefault(key, []).append(grade)
    found = Matches()
    used: set[str] = set()
    for index, value in values.items():
        named = {g.student: g for g in by_key.get(normal(value), [])} if value.strip() else {}
        if len(named) == 1:
            grade = next(iter(named.values()))
            found.by_row[index] = grade
            used.add(grade.student)
        elif named:
            found.ambiguous[index] = sorted(named)
            used.update(named)
        else:
            found.without_submission.append(index)
    found.without_roster = [g for g in grades if g.student not in used]
    return found

"""Students' text made inert in CSV files that people open in a spreadsheet (CSV injection, OWASP).

A cell whose text a student chose (a folder or zip name, a name an LMS passed on, what their
code printed or raised) and that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written with a leading ``'``: a spreadsheet then shows it as text instead of running
it as a formula. Numbers the kit computes, and the values an LMS import matches on (Canvas's
roster columns, Moodle's id column), are written as they are.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """``text`` as a spreadsheet shows it but never evaluates it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text

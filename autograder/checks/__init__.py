"""Declarative checks: each compares what a student's code did with what was expected
and, when they differ, raises ``CheckFailure`` with text written for the student."""

from autograder.checks.values import (
    CheckFailure,
    expect,
    expect_array,
    expect_close,
    expect_equal,
    expect_finite,
    expect_type,
    call_student,
)

__all__ = [
    "CheckFailure", "expect", "expect_array", "expect_close", "expect_equal",
    "expect_finite", "expect_type", "call_student",
]

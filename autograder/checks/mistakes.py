"""Named mistakes: a stable identifier for every hint a check can give, and the kind of each failure.

A failed check is filed under ``<exercise>.<check>.<name>`` — for instance
``gradient_descent.gradients_numerical.sign_flipped`` — so that a class's failures can be
counted mistake by mistake (``python -m autograder class-report``). The names a check can
produce are declared with the check in its spec (``Check(..., mistakes={name: description})``;
hidden checks' in the grader-only ``hidden_tests/hidden_specs.py``); the generic names below
apply to every check. Looking a name up in the specs is the specs' job
(``autograder.specs.declared_mistakes`` / ``describe_mistake``): the checks never import the specs.
"""

from __future__ import annotations

# The kinds of failure, as the results formats spell them (a passed check has none).
WRONG_ANSWER = "wrong_answer"
NOT_IMPLEMENTED = "not_implemented"
TIME_LIMIT = "time_limit"
CRASH = "crash"
GRADER_FAILURE = "grader_failure"
NOT_SUBMITTED = "not_submitted"

KIND_WORDS = {
    WRONG_ANSWER: "wrong answer",
    NOT_IMPLEMENTED: "not implemented",
    TIME_LIMIT: "time limit",
    CRASH: "crashed",
    GRADER_FAILURE: "grading did not complete",
    NOT_SUBMITTED: "not submitted",
}

# Kinds that name a mistake of the student's (the others are no answer, or the grader's failure).
NAMED_KINDS = (WRONG_ANSWER, CRASH, TIME_LIMIT)

GENERIC: dict[str, str] = {
    "other": "a wrong answer that no hint of the check explains",
    "wrong_type": "returned a value of the wrong type",
    "wrong_shape": "returned an array of the wrong shape",
    "wrong_dtype": "returned an array of the wrong dtype",
    "not_finite": "returned NaN or infinite numbers",
    "crash": "the student's function raised an exception",
    "import_error": "the file could not be imported (a syntax error, or an error at import)",
    "missing_function": "a function the exercise asks for is not defined",
    "unreadable_answer": "returned something the grader cannot read (or could not send the arguments)",
    "unreadable_file": "the submitted file or notebook could not be read",
    "time_limit": "ran past the time limit (an endless loop, or far too slow)",
    "memory_limit": "ran past the memory limit",
}


def mistake_id(exercise: str, check: str, name: str | None) -> str:
    """The full identifier of a check's mistake; ``None`` is the check's ``other``."""
    return f"{exercise}.{check}.{name or 'other'}"

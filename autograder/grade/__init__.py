"""Grading one submission, laid out by the process each module runs in.

A grading is three kinds of process; a module's folder says which one executes it and so
what it may import:

- ``supervisor/`` — the ``grade`` command itself: reads the submission, the box and the plan,
  starts the judges, merges their scores with the specs and writes the results formats. It
  never imports TensorFlow, the student's code or anything of ``judge/``.
- ``judge/`` — ``pytest`` with the kit's plugin in ``--sandbox`` mode, one per unit of
  exercise modules: the test's proxy of the student's module, the manager of the student's
  processes, the rebuilding of models in Keras' safe mode. It never imports ``supervisor/``.
- ``child/`` — the sandboxed student process. Its modules are self-contained text that
  ``child/source.py`` pastes into one program (the child cannot import the kit); the judge
  imports ``child/codec.py`` as a library to speak the same protocol.
- ``isolation/`` — users, privileges and the isolation probe: the supervisor leases the
  sandbox user, the judge starts the child as that user.

Modules at this level are the contracts more than one process reads: ``limits.py`` (what a
student's code may use: the supervisor writes it into the judge's environment, the judge
reads it), ``processes.py`` (process trees: hardening, reaping, measuring, a clean stop on a
signal) and ``scratch.py`` (the folders a grading makes, locked by their maker, and the sweep of
those a killed grading left: the supervisor's and ``grade-batch``'s).
"""

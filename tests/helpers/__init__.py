"""Helpers and fixtures shared by the kit's own tests; no test module imports another (``docs/testing.md``)."""

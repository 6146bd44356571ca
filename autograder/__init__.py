"""The Deep Learning 3 exercise kit: data layer, checks, pytest plugin and grader."""

__version__ = "0.1.0"

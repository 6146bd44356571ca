"""The data decoder: a process of its own that writes the grading's decoded dataset files.

Started by the supervisor (``supervisor/decoding.py``) beside the zygote, while the zygote imports Keras,
as ``python -m autograder.grade.decoder SUPERVISOR_PID DATASET...`` (from the kit's root); it runs as the grader, with the
grader's environment (``$DL3_DECODED_DATA``: the grading's own folder, which no student process can
reach), and imports numpy and the kit's ``datasets`` module only (joblib for California housing).
Each file's copy appears whole or not at all (``datasets.write_decoded``); the judges map it instead of
decoding the file themselves. It dies with the supervisor's thread that started it.
"""

"""``ictray bench``: the performance figures, each beside a bare reference measured in the same run.

The simulator runs in a process of its own (so it does not share ictray's GIL), and every
measurement runs in a fresh worker process, so that its peak memory is its own and one
figure cannot warm another. ``run.py`` orders the work, ``ingest.py``, ``downloads.py`` and
``idle.py`` measure, ``reference.py`` is the bare ingest to compare with, ``report.py`` turns
the numbers into the table.
"""

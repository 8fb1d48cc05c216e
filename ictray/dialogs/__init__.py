"""The desktop app's windows: one module per dialog, on Tk's one thread.

Dialogs render and edit the settings through the same functions the command line calls
(``ictray.settings.*``, ``ictray.operations.*``); they hold no business logic. What they need
from the running app (the scheduler, other windows, the one change signal) comes through
``context.Controller``; work that takes time runs on a worker thread (``worker``) and comes back
through the app's ``UiQueue``. The shared building blocks: ``widgets`` (windows that keep one
size and remember their place, prompts, reserved message lines, pickers), ``form`` (fields that
mark the one a ``ValidationError`` names and know when they hold unsaved edits), ``messages``
(errors in the dialogs' own words), ``outcomes`` (a run's outcome as a word, a colour and an
icon) and ``ui_state`` (the per-user file of window places).
"""

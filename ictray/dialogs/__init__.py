"""The desktop app's windows: one module per dialog, on Tk's one thread.

Dialogs render and edit the settings through the same functions the command line calls
(``ictray.settings.*``); they hold no business logic. What they need from the running app
(the scheduler, other windows) comes through ``context.Controller``; work that takes time runs
on a worker thread (``worker``) and comes back through the app's ``UiQueue``. ``widgets`` and
``form`` are the shared building blocks: windows, tooltips, prompts, and fields that show a
``ValidationError`` next to the field it names.
"""

"""What a person can do, written once: the desktop app and the commands both call these.

Each module is one operation or one read query the screens need (``status``: the latest run of
each schedule and what runs next; ``destination_test``: test a destination from the values of a
form, saved or not; ``notify_test``: *Send Test* with the values typed; ``service``: the Windows
service's state, install, uninstall, start and stop). Neither front end calls the other; both
call here.
"""

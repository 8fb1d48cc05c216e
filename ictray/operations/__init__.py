"""What a person can do, written once: the desktop app and the commands both call these.

Each module is one operation or one read query the screens need (``status``: the latest run of
each schedule, what runs next, how far each site is copied and what is at risk;
``destination_test``: test a destination from the values of a form, saved or not;
``notify_test``: *Send Test* with the values typed; ``site_test``: what a site's API account
may do and which data types will work; ``service``: the Windows service's state, install,
uninstall, start and stop; ``verify``: what the appliance holds against what the destinations
hold). Neither front end calls the other; both call here.
"""

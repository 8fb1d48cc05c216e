"""The desktop app: the tray icon, the embedded scheduler and the controller that opens windows.

``main.run_desktop()`` starts it (``ictray`` with no command). ``app.DesktopApp`` owns the Tk
side; ``icon.TrayIcon`` wraps pystray on threads of its own (``x11`` keeps pystray's plain X11
backend safe to drive from them); ``scheduler_host`` embeds the scheduler; ``status`` turns
runs and scheduler state into the icon and its tooltip; ``icons`` draws the status icons.
Nothing outside this package and ``ictray.dialogs`` imports pystray or Tk, so the headless
command line and service start anywhere.
"""

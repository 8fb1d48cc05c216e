"""Data files shipped with ictray: SQL DDL per dialect, tray icons, sample configuration.

Installed as the package ``ictray.resources``; read them with ``ictray.paths.resource()``.
"""

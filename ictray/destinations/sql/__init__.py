"""The SQL destination: session data in the guide's standard schema.

``plugin`` is the destination; ``connstr`` parses connection strings; ``dialects`` holds what
differs between SQL Server, PostgreSQL, MySQL/MariaDB and SQLite; ``tables`` names the standard
tables and columns, ``schema`` creates them from ``resources/sql/<dialect>.sql``; ``rows`` maps a
session to rows and ``writer`` stores batches of them; ``statements`` is every other SQL text.
"""

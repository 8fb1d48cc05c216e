"""`python -m ictray` runs the command line (and, with no arguments, the desktop app)."""

import sys

from ictray.cli import main

sys.exit(main())

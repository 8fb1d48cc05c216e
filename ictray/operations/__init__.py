"""What a person can do, written once: the CLI and the desktop app both call these."""

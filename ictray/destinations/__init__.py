"""destinations package."""

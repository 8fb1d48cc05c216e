"""The scheduler: due schedules every minute, transfers side by side, one scheduler per file."""

"""One run of one transfer: the window to ask for, what is new, what to write and remember."""

"""ictray: copies what a BeyondTrust Remote Support appliance keeps only for a while to storage you own."""

__version__ = "0.1.0"

"""ictray: copies what a BeyondTrust Remote Support appliance keeps for a while to your storage."""

__version__ = "0.1.0"

"""ictray: copies what a BeyondTrust Remote Support appliance keeps for a while to your storage."""

from ictray import _peewee

__version__ = "0.1.0"

_peewee.install()

"""Communiqué: an annotated corpus of international-politics news and its toolkit."""

from importlib import metadata

try:
    __version__ = metadata.version("communique")
except metadata.PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0.0.0+unknown"

"""Kronika's version as installed, for what the archive says about itself (warcinfo, WACZ, export manifests).

Read from the package metadata rather than imported from the application package, so that
`kronika.storage` depends on nothing above it.
"""
from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version


@cache
def kronika_version() -> str:
    try:
        return version("kronika")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"

"""Emulator of the Pennylane Company API v2 (see :mod:`.app`), with its admin endpoints
(:mod:`.admin`), its SQLite state (:mod:`.store`) and a CLI (``python -m emulators.pennylane``)."""

from emulators.pennylane.app import PennylaneEmulator, create_app

__all__ = ["PennylaneEmulator", "create_app"]

"""The demo: emulators seeded with realistic days, and the demo tenants in ``tenants/``.

``python -m demo run``   seed, then run every demo tenant over the last N days through Dagster
                         (in-process, instance in ``$DAGSTER_HOME``), print a per-day summary and
                         check what the Pennylane emulator received.
``python -m demo serve`` keep the emulators up on their fixed ports, seeded from the tenants' start
                         (at most 90 days back) to yesterday, and the stock scenario in
                         Pennylane (for ``make dev``).
``python -m demo env``   ``export`` lines of the demo credentials, for ``dagster dev`` (``make dev``).
"""

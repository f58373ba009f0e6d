"""Stock kept in step with Pennylane (seed 004): documents → movements → levels.

The Dagster definitions are in :mod:`pipelines.stock.definitions` (kept out of this package's
``__init__`` so that the pure modules — movements, levels — import without Dagster).
"""

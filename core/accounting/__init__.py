"""Pure accounting logic: canonical frames, mapping to journal lines, balancing, VAT tables.

No Dagster and no I/O in this package, so that it can be tested exhaustively.
"""

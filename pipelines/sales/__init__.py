"""Daily sales → journal lines → Pennylane ledger entries."""

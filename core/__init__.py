"""The pure core: canonical sales frames and their schema, accounting rules, VAT tables, tenant
configuration models, the error taxonomy, money, periods and stock rules. It imports no Dagster,
no httpx, no SQLAlchemy and no other package of this project (see the contracts in pyproject.toml)."""

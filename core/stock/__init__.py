"""Stock rules: movements from sales and receipts, and levels."""

"""0 % lines only under a declared exemption (CGI 293 B, 262 I, 262 ter I, 294; DESIGN.md §5).

A French sale carries VAT. A line at 0 % is accepted only when the tenant says why, in
``accounting.vat_exemptions``, or when its territory has no VAT:

- ``franchise_en_base`` (CGI art. 293 B): every line;
- ``export`` (CGI art. 262 I): a line delivered outside the EU;
- ``intra_eu_b2b`` (CGI art. 262 ter I): a line delivered to another EU country whose buyer's
  VAT number (``buyer_vat_id``) the source gives;
- ``categories``: a line of a category listed with its legal basis;
- territory ``guyane`` / ``mayotte`` (CGI art. 294-1): every line (VAT is not applicable).

Anything else is a source error naming the order and the line: the till sent a domestic sale
without its VAT. Gift cards sold are outside VAT and never checked here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.accounting.context import MappingContext
from core.accounting.failures import column_values
from core.accounting.vat_rates import EU_COUNTRIES, canonical_rate
from core.tenant_accounting import NO_VAT_TERRITORIES


def exempt_zero_rated(ctx: MappingContext, sales_lines: pd.DataFrame) -> np.ndarray:
    """Per line: ``True`` where a 0 % line is covered by a declared exemption (or is not 0 %)."""
    acc = ctx.tenant.accounting
    n = len(sales_lines)
    rate_codes, rates = pd.factorize(column_values(sales_lines, "vat_rate"))
    zero_rate = np.array([canonical_rate(str(r)) == "0" for r in rates] + [False], dtype=bool)[rate_codes]
    zero = zero_rate & (column_values(sales_lines, "kind") != "gift_card")
    if not zero.any():
        return np.ones(n, dtype=bool)
    regimes = set(acc.vat_exemptions.regimes)
    if "franchise_en_base" in regimes or acc.territory in NO_VAT_TERRITORIES:
        return np.ones(n, dtype=bool)
    home = ctx.tenant.country
    countries = column_values(sales_lines, "country")
    country_codes, distinct = pd.factorize(countries)
    in_eu = np.array([c in EU_COUNTRIES for c in distinct] + [False], dtype=bool)[country_codes]
    abroad = countries != home
    covered = np.zeros(n, dtype=bool)
    if "export" in regimes:
        covered |= abroad & ~in_eu
    if "intra_eu_b2b" in regimes:
        covered |= abroad & in_eu & (column_values(sales_lines, "buyer_vat_id") != "")
    if acc.vat_exemptions.categories:
        covered |= np.isin(column_values(sales_lines, "category"), list(acc.vat_exemptions.categories))
    return ~zero | covered


def check_zero_rated(ctx: MappingContext, sales_lines: pd.DataFrame) -> None:
    """Raise a ``SourceDataError`` on the first 0 % line no declared exemption covers."""
    if not len(sales_lines):
        return
    ok = exempt_zero_rated(ctx, sales_lines)
    if ok.all():
        return
    i = int(np.argmax(~ok))
    order_id = column_values(sales_lines, "order_id")[i]
    line_id = column_values(sales_lines, "line_id")[i]
    country = column_values(sales_lines, "country")[i]
    category = column_values(sales_lines, "category")[i]
    more = int((~ok).sum()) - 1
    raise ctx.source_error(
        f"a sale at 0 % VAT without a declared exemption: order {order_id} line {line_id} "
        f"(delivered to {country}, category {category!r}) carries no VAT, and the tenant declares no "
        f"exemption that covers it (accounting.vat_exemptions: regimes franchise_en_base, export, "
        f"intra_eu_b2b with the buyer's VAT number, or the category with its legal basis)"
        + (f" (and {more} other line(s))" if more else ""),
        record=f"order {order_id} line {line_id}", field_name="vat_rate",
    )

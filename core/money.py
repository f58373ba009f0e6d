"""Money is integer cents; these are its only conversions to and from text and ``Decimal``.

- :func:`cents_to_amount`  ``-123456`` → ``"-1234.56"``: Pennylane amounts, metadata, vendor files
- :func:`cents_to_text`    ``-123456`` → ``"-1234.56 €"``: error messages, warnings, alerts
- :func:`cents_to_french`  ``-123456`` → ``"-1 234,56 €"`` (no-break spaces): documents in French
- :func:`amount_to_cents`  ``"1234.5"`` / ``Decimal("1234.50")`` → ``123450``, exactly, or ``ValueError``

No float ever takes part in a computation: formatting refuses floats (``TypeError``), and a float
handed to :func:`amount_to_cents` (a JSON number a vendor sent) is read from its shortest
``repr``, the text that was on the wire, never multiplied as a float.
"""

from __future__ import annotations

import numbers
from decimal import Decimal, InvalidOperation


def _whole_cents(cents: object) -> int:
    """``cents`` as a Python ``int`` (numpy integers included); anything else is a bug."""
    if isinstance(cents, bool) or not isinstance(cents, numbers.Integral):
        raise TypeError(f"amount must be integer cents, got {cents!r}")
    return int(cents)


def cents_to_amount(cents: int) -> str:
    """Integer cents → amount with two decimals and a dot (``1234`` → ``"12.34"``, ``-5`` → ``"-0.05"``)."""
    value = _whole_cents(cents)
    sign = "-" if value < 0 else ""
    whole, part = divmod(abs(value), 100)
    return f"{sign}{whole}.{part:02d}"


def cents_to_text(cents: int) -> str:
    """Integer cents → amount in euros for people (``123456`` → ``"1234.56 €"``)."""
    return f"{cents_to_amount(cents)} €"


def cents_to_french(cents: int) -> str:
    """Integer cents → euros as French documents write them: thousands apart by a no-break
    space, a decimal comma, a no-break space before ``€`` (``123456`` → ``"1\u00a0234,56\u00a0€"``)."""
    value = _whole_cents(cents)
    whole, part = divmod(abs(value), 100)
    return ("-" if value < 0 else "") + f"{whole:,}".replace(",", "\u00a0") + f",{part:02d}\u00a0€"


def amount_to_cents(amount: str | int | Decimal | float) -> int:
    """An amount in euros → integer cents, exactly (``"12.3"`` → ``1230``, ``"-0.5"`` → ``-50``).

    Raises ``ValueError`` for anything that is not a finite number, or that has a non-zero digit
    past the cents (``"12.345"``); trailing zeros are fine (``"12.3400"``).
    """
    if isinstance(amount, bool) or amount is None:
        raise TypeError(f"not an amount: {amount!r}")
    if isinstance(amount, Decimal):
        value = amount
    else:
        text = repr(amount) if isinstance(amount, float) else str(amount).strip()
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {amount!r}")
    cents = value.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(f"amount {amount!r} has more than two decimals")
    return int(cents)


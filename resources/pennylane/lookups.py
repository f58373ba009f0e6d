"""The company behind a token, and its journal and ledger-account ids: looked up once, cached.

Mixed into :class:`resources.pennylane.client.PennylaneClient`. Three levels of cache:

1. the client (one run): ``GET /me`` once, each id once;
2. the warehouse (:class:`~resources.pennylane.cache.PennylaneCache`, when the client has one):
   the ``/me`` answer per token per day and the ids per Pennylane company, shared by every run
   and pod, so a daily run posting one entry sends one request besides the day's ``/me``;
3. Pennylane itself.

A cached id Pennylane answers 404 for (a journal or account deleted or re-created by hand) is
forgotten at both levels; the write is rebuilt with fresh ids and sent once more (a 404 stored
nothing, so re-sending cannot duplicate).

The company check (issue 13, point 1, :mod:`resources.pennylane.company`) runs the first time the
client needs the company: before its first write, and before its first cached id is used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from core.accounting.pcg import label_for
from core.errors import MappingError
from resources.pennylane.cache import PennylaneCache
from resources.pennylane.company import ExpectedCompany, check_company
from resources.pennylane.errors import (
    PennylaneAmbiguousWriteError,
    PennylaneDataError,
    PennylaneNotFoundError,
)


def utc_today() -> date:
    return datetime.now(UTC).date()


class CompanyLookups:
    """Company check and id look-ups of one client (see the module docstring). The client brings
    the endpoints: ``me``, ``list_journals``, ``create_journal``, ``list_ledger_accounts``,
    ``create_ledger_account`` and ``base_url``."""

    tenant: str | None
    token_key: str
    expected: ExpectedCompany | None
    cache: PennylaneCache | None
    today: Callable[[], date]

    def _init_lookups(self, token_key: str, expected: ExpectedCompany | None, cache: PennylaneCache | None,
                      today: Callable[[], date] | None) -> None:
        self.token_key = token_key
        self.expected = expected
        self.cache = cache
        self.today = today or utc_today
        self._me: dict[str, Any] | None = None
        self._journals: dict[str, int] = {}
        self._journal_labels: dict[str, str] = {}
        self._accounts: dict[str, int] = {}
        self._cache_lock = threading.RLock()

    # ------------------------------------------------------------------ company
    def company(self) -> dict[str, Any]:
        """The ``/me`` answer (client, then warehouse for today, then Pennylane), checked
        against the tenant once per client: a wrong company or a missing scope raises."""
        with self._cache_lock:
            if self._me is not None:
                return self._me
            account = f"{self.base_url}|{self.token_key}"
            day = self.today()
            me = self.cache.me(account, day) if self.cache else None
            fresh = me is None
            if fresh:
                me = self.me()
            if self.expected is not None:
                check_company(me, self.expected)
            if fresh and self.cache:
                self.cache.save_me(account, day, me)
            self._me = me
            return me

    def _company_key(self) -> str:
        return f"{self.base_url}|{self.company()['company']['id']}"

    def before_write(self) -> None:
        """Every write waits for the company check (a no-op once done)."""
        if self.expected is not None:
            self.company()

    # ------------------------------------------------------------------ journals
    def journal_id(self, code: str, label: str, create: bool = True) -> int:
        """The id of journal ``code``; created when missing and allowed."""
        with self._cache_lock:
            self._journal_labels[code] = label
            if code in self._journals:
                return self._journals[code]
            if self.cache is not None:
                self._journals.update(self.cache.ids(self._company_key(), "journal"))
                if code in self._journals:
                    return self._journals[code]
        for attempt in range(3):
            found = {j["code"]: j["id"] for j in self.list_journals()}
            self._remember("journal", found)
            if code in found:
                return found[code]
            if not create:
                raise MappingError(f"journal {code} does not exist in Pennylane and creating journals is off",
                                   tenant=self.tenant)
            try:
                created = self.create_journal(code, label)
            except (PennylaneAmbiguousWriteError, PennylaneDataError):
                if attempt == 2:
                    raise
                continue  # maybe created (or created meanwhile): list again; codes are unique
            self._remember("journal", {code: created["id"]})
            return created["id"]
        raise MappingError(f"journal {code} could not be found or created", tenant=self.tenant)

    # ----------------------------------------------------------- ledger accounts
    def ledger_account_ids(self, numbers: list[str], create_missing: bool) -> dict[str, int]:
        """number → Pennylane id for every number. Accounts the caches do not hold are looked up
        in one filtered list call (per 100 numbers); missing ones are created with their PCG
        label when ``create_missing``, else a MappingError names them all."""
        wanted = sorted(set(numbers))
        with self._cache_lock:
            missing = [n for n in wanted if n not in self._accounts]
            if missing and self.cache is not None:
                self._accounts.update(self.cache.ids(self._company_key(), "account", missing))
                missing = [n for n in missing if n not in self._accounts]
        if missing:
            found = {a["number"]: a["id"] for a in self.list_ledger_accounts(missing)}
            self._remember("account", found)
            absent = [n for n in missing if n not in found]
            if absent and not create_missing:
                raise MappingError(
                    f"ledger account(s) {', '.join(absent)} do not exist in Pennylane and creating missing "
                    f"accounts is off for this tenant: create them in Pennylane or map to existing accounts",
                    tenant=self.tenant, details={"missing_accounts": absent},
                )
            for number in absent:
                self._remember("account", {number: self._create_account(number)})
        with self._cache_lock:
            return {n: self._accounts[n] for n in wanted}

    def _create_account(self, number: str) -> int:
        try:
            label = label_for(number)
        except ValueError as exc:
            raise MappingError(f"cannot create ledger account {number}: {exc}", tenant=self.tenant) from exc
        try:
            return self.create_ledger_account(number, label)["id"]
        except (PennylaneAmbiguousWriteError, PennylaneDataError):
            # Maybe stored, or created meanwhile: numbers are unique, so look it up.
            again = {a["number"]: a["id"] for a in self.list_ledger_accounts([number])}
            if number not in again:
                raise
            return again[number]

    def _remember(self, kind: str, ids: dict[str, int]) -> None:
        if not ids:
            return
        with self._cache_lock:
            (self._journals if kind == "journal" else self._accounts).update(ids)
            if self.cache is not None:
                self.cache.save_ids(self._company_key(), kind, ids)  # type: ignore[arg-type]

    # ------------------------------------------------------ an id that is gone
    def with_fresh_ids(self, payload: dict[str, Any], send: Callable[[dict[str, Any]], Any]) -> Any:
        """Send ``payload`` (a ledger entry body); if Pennylane answers 404 for its journal or one
        of its accounts, forget the cached ids, resolve them again by code and number, send once
        more."""
        try:
            return send(payload)
        except PennylaneNotFoundError as exc:
            if not any(word in exc.message for word in ("Journal", "LedgerAccount", "ledger account", "journal")):
                raise
            with self._cache_lock:
                codes = {v: k for k, v in self._journals.items()}
                numbers = {v: k for k, v in self._accounts.items()}
                self._journals.clear()
                self._accounts.clear()
                if self.cache is not None:
                    self.cache.forget(self._company_key())
            return send(self._rebuilt(payload, codes, numbers, exc))

    def _rebuilt(self, payload: dict[str, Any], codes: dict[int, str], numbers: dict[int, str],
                 exc: PennylaneNotFoundError) -> dict[str, Any]:
        out = dict(payload)
        if "journal_id" in payload:
            code = codes.get(payload["journal_id"])
            if code is None:
                raise exc
            out["journal_id"] = self.journal_id(code, self._journal_labels.get(code, code))
        lines = payload.get("ledger_entry_lines")
        groups = lines if isinstance(lines, dict) else {"": lines or []}
        used = [ln["ledger_account_id"] for g in groups.values() for ln in g if "ledger_account_id" in ln]
        if any(i not in numbers for i in used):
            raise exc
        fresh = self.ledger_account_ids([numbers[i] for i in used], create_missing=False)
        rebuilt = {k: [{**ln, "ledger_account_id": fresh[numbers[ln["ledger_account_id"]]]}
                       if "ledger_account_id" in ln else ln for ln in g] for k, g in groups.items()}
        out["ledger_entry_lines"] = rebuilt if isinstance(lines, dict) else rebuilt[""]
        return out

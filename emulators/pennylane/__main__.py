"""CLI: ``serve`` the emulator on 127.0.0.1, or print a read-only ``summary`` of a state file.

    python -m emulators.pennylane serve --db pl.db --port 8765 --company TOKEN=Name ...
    python -m emulators.pennylane summary --db pl.db
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulators.pennylane")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="run the emulator (uvicorn) on 127.0.0.1")
    serve.add_argument("--db", required=True, type=Path)
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--company", action="append", default=[], metavar="TOKEN=Name[=SIREN]",
                       help="register a company for a bearer token, with its SIREN (the reg_no GET /me answers; repeatable)")
    serve.add_argument("--spec", type=Path, default=None, help="validate every request against this OpenAPI spec")
    serve.add_argument("--no-rate-limit", action="store_true")
    summ = sub.add_parser("summary", help="print what each company received (read-only)")
    summ.add_argument("--db", required=True, type=Path)
    summ.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    if args.cmd == "serve":
        import uvicorn

        from emulators.pennylane.app import create_app

        app = create_app(args.db, validate_spec=args.spec, rate_limit=not args.no_rate_limit)
        for item in args.company:
            token, _, name = item.partition("=")
            if not token or not name:
                parser.error(f"--company expects TOKEN=Name[=SIREN], got {item!r}")
            head, _, siren = name.rpartition("=")
            name, reg_no = (head, siren) if head and siren.isdigit() and len(siren) == 9 else (name, None)
            app.store.register_company(token, name, reg_no)
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="off")
        return 0

    if not args.db.exists():
        print(f"no emulator state at {args.db}", file=sys.stderr)
        return 1
    from emulators.pennylane.admin import summary
    from emulators.pennylane.store import Store

    store = Store(args.db, read_only=True)
    data = summary(store)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for company in data["companies"]:
        c = company["company"]
        print(f"company {c['id']} {c['name']} (reg_no {c['reg_no']}): {len(company['entries'])} entries, "
              f"{company['ledger_accounts']} ledger accounts")
        for j in company["journals"]:
            print(f"  journal {j['code']} {j['label']} (id {j['id']})")
        for e in company["entries"]:
            flag = "balanced" if e["balanced"] else "NOT BALANCED"
            print(f"  {e['date']}  {e['piece_number'] or '-':<20} {e['journal'] or '?':<5} {e['total']:>12}  "
                  f"{e['lines']:>4} lines  {flag}  {e['label']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

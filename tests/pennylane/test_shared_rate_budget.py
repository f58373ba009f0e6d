"""One rate budget per Pennylane token shared by every process (issue 12, B10): two real
processes on one token, against the emulator's real limit (25 requests / 5 s), get no 429 and
together use at least 90 % of the limit."""

import json
import subprocess
import sys
import time
from pathlib import Path

from emulators.pennylane import create_app
from emulators.server import serve
from resources.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]


def test_two_processes_on_one_token_share_the_limit_without_a_429(tmp_path):
    wh = Warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}")
    app = create_app(tmp_path / "pennylane.db")  # the real limit: 25 requests / 5 s per token
    token = "tok-shared"
    app.store.register_company(token, "Shared SAS")
    with serve(app) as srv:
        procs = [subprocess.Popen([sys.executable, "-m", "tests.pennylane.rate_worker", srv.url + "/api/external/v2",
                                   token, wh.url], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for _ in range(2)]
        assert [p.stdout.readline().strip() for p in procs] == ["ready", "ready"]  # both set up
        start = time.time() + 0.5
        for p, count in zip(procs, (38, 37), strict=True):  # 75: three full windows of 25
            p.stdin.write(f"{start} {count}\n")
            p.stdin.flush()
        outs = [json.loads(p.communicate(timeout=90)[0].strip().splitlines()[-1]) for p in procs]
        assert all(p.returncode == 0 for p in procs)
        throttled = app.stats["throttled"]

    assert throttled == 0
    assert all(o["retries"] == [] for o in outs)
    assert all(o["sent"] for o in outs), [len(o["sent"]) for o in outs]  # both processes sent
    sent = sorted(t for o in outs for t in o["sent"])
    assert len(sent) == 75
    # Two full windows: requests 1-50 went out between the first send and the 51st, which opens the
    # third window (at best 50 in 2 × 5 s).
    rate = 50 / (sent[50] - sent[0])
    assert rate >= 0.9 * 25 / 5, f"{rate:.2f} requests/s together, {len(sent)} requests"

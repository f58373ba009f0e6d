"""One process of the shared-rate-budget test: set up, print ``ready``, read ``<start> <count>``
from stdin, then from ``start`` (epoch seconds) send ``count`` GET /journals with one token
(4 threads) through the warehouse-backed limiter; prints one JSON line (send times, retries)."""

import itertools
import json
import sys
import threading
import time

from resources.pennylane import PennylaneClient
from resources.pennylane.resource import shared_budget
from resources.warehouse import Warehouse


def main(base_url: str, token: str, warehouse_url: str) -> None:
    client = PennylaneClient(token, base_url, tenant="rate", limiter=shared_budget(Warehouse(warehouse_url), token))
    print("ready", flush=True)
    start, count = sys.stdin.readline().split()
    tickets = itertools.count()
    sent: list[float] = []  # when each request went on the wire (after the limiter let it go)
    hooks = client.api.http.event_hooks
    client.api.http.event_hooks = {**hooks, "request": [*hooks["request"], lambda _request: sent.append(time.time())]}
    time.sleep(max(0.0, float(start) - time.time()))

    def loop() -> None:  # several requests in flight, as a run's threads would have
        while next(tickets) < int(count):
            client.list_journals()

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    client.close()
    print(json.dumps({"sent": sent, "requests": client.requests_sent, "retries": client.retries}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])

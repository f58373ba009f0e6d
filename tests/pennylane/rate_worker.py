"""One process of the shared-rate-budget test: GET /journals with one token until ``end`` (epoch
seconds), through the warehouse-backed limiter; prints one JSON line (send times, retries)."""

import json
import sys
import time

from resources.pennylane import RATE_LIMIT_REQUESTS, PennylaneClient, token_hash
from resources.pennylane.client import RATE_LIMIT_MARGIN, RATE_LIMIT_WINDOW
from resources.rate_budget import shared_limiter
from resources.warehouse import Warehouse


def main(base_url: str, token: str, warehouse_url: str, start: float, end: float) -> None:
    limiter = shared_limiter(Warehouse(warehouse_url), "pennylane", token_hash(token), RATE_LIMIT_REQUESTS,
                             RATE_LIMIT_WINDOW + RATE_LIMIT_MARGIN)
    client = PennylaneClient(token, base_url, tenant="rate", limiter=limiter)
    time.sleep(max(0.0, start - time.time()))
    sent = []
    while time.time() < end:
        t = time.time()
        client.list_journals()
        sent.append(t)
    client.close()
    print(json.dumps({"sent": sent, "requests": client.requests_sent, "retries": client.retries}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]))

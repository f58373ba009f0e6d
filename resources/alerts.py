"""Alert delivery: one structured alert per failed partition, to every configured route.

Routes are URLs, from ``$ALERT_ROUTES`` (deployment-wide, comma or space separated) plus the
tenant's own ``alerts.routes``:

- ``webhook+http://host/path`` / ``webhook+https://...``  POST the alert as JSON (the fields below);
- anything else is an apprise URL (``slack://``, ``mailto://``, ``json://``, ``tgram://`` ...),
  sent as a title and a text body.

Secrets inside route URLs (tokens) are never logged: routes are logged by scheme and host only.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from resources.settings import Settings
from resources.warehouse import METADATA

log = logging.getLogger(__name__)

# One row per alerted (run, partition): a partition's failure is alerted once.
alert_log = sa.Table(
    "alert_log",
    METADATA,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("tenant", sa.String(64), primary_key=True),
    sa.Column("day", sa.String(32), primary_key=True),  # a day, or "d1..d2" for a crashed ranged run
    sa.Column("error_class", sa.String(16), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("failed_routes", sa.Text),
    sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)


@dataclass(frozen=True)
class Alert:
    tenant: str
    day: str
    error_class: str
    message: str
    run_id: str
    run_url: str
    job: str
    owner: str

    @property
    def title(self) -> str:
        return f"[pennylane-sync] {self.tenant} {self.day} failed ({self.error_class})"

    @property
    def body(self) -> str:
        return (f"Tenant: {self.tenant}\nDay: {self.day}\nError class: {self.error_class}\n"
                f"Who fixes it: {self.owner}\nMessage: {self.message}\nRun: {self.run_url}")


def deployment_routes() -> list[str]:
    return Settings().routes()


def redact(route: str) -> str:
    parts = urlsplit(route)
    return f"{parts.scheme}://{parts.hostname or ''}"


def send_alert(alert: Alert, routes: list[str], *, timeout: float = 10.0) -> list[str]:
    """Send to every route; returns the routes (redacted) that failed. Never raises."""
    failed = []
    for route in dict.fromkeys(routes):  # de-duplicated, order kept
        try:
            if route.startswith(("webhook+http://", "webhook+https://")):
                resp = httpx.post(route.removeprefix("webhook+"), json=asdict(alert) | {"title": alert.title},
                                  timeout=timeout)
                resp.raise_for_status()
            else:
                import apprise

                notifier = apprise.Apprise()
                if not notifier.add(route) or not notifier.notify(title=alert.title, body=alert.body):
                    raise RuntimeError("apprise could not deliver")
        except Exception as exc:
            log.error("alert route %s failed: %s", redact(route), type(exc).__name__)
            failed.append(redact(route))
    return failed

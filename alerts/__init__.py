"""Alerts: after each nightly run, one message per receiver with what needs the coach.

What goes out: warning episodes that started or worsened (the `flag_episodes` table) and
athletes whose data stopped arriving; never a health value (only who, which rule, since
when, and the rule's condition). Receivers are apprise URLs configured once per
installation (`alerts.config`); `alert_deliveries` records every attempt, and a receiver
that was down gets what it missed on the next run. See docs/nightly-run.md.

Reads the warehouse like the report does, and writes only `alert_deliveries`.
"""

from __future__ import annotations

from alerts.config import AlertConfig, load_config
from alerts.deliver import send_alerts

__all__ = ["AlertConfig", "load_config", "send_alerts"]

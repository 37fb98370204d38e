"""Times as the warehouse reads them.

Times are stored as naive UTC (models.utcnow). Pages show them in the server's local time
zone, which TZ sets (TZ=Europe/Berlin): the same zone whose date decides whether a lot has
expired. CSV exports keep UTC, for machines.
"""

from datetime import UTC, date, datetime, time


def local(when: datetime | None, fmt: str = "%d %b %H:%M") -> str:
    """A stored UTC time in the local zone, formatted; "" for none."""
    if when is None:
        return ""
    return in_local_zone(when).strftime(fmt)


def in_local_zone(when: datetime) -> datetime:
    """A stored (naive UTC) time as an aware time in the local zone."""
    return when.replace(tzinfo=UTC).astimezone()


def zone() -> str:
    """The local zone's name now ("CET", "UTC"), for a column header over local times."""
    return datetime.now().astimezone().tzname() or "local time"


def utc_midnight(day: date) -> datetime:
    """The stored (naive UTC) time at which `day` begins in the local zone: a report's
    "since 1 December" starts at the warehouse's midnight, not at UTC's."""
    return datetime.combine(day, time.min).astimezone(UTC).replace(tzinfo=None)

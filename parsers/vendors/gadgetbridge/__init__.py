"""Gadgetbridge export: the app's SQLite database (docs/sources/gadgetbridge.md).

- `database`: sniff and parse the database (`PARSERS`, `parse`, `sniff`);
- `tables`: the schema facts: each table read, its time unit and its codes;
- `sleep`: stage rows placed inside their nights, one device per night.
"""

from parsers.vendors.gadgetbridge.database import FORMAT, PARSERS, VENDOR, parse, sniff

__all__ = ["FORMAT", "PARSERS", "VENDOR", "parse", "sniff"]

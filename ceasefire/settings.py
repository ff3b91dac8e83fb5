"""Typed settings; ``CEASEFIRE_*`` environment variables override the defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ceasefire.errors import ConfigError

if TYPE_CHECKING:
    from ceasefire.store import Store

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    workspace: Path
    timezone: ZoneInfo
    database_url: str | None = None  # None: the SQLite file in the workspace folder

    def store(self, actor: str = "cli") -> Store:
        from ceasefire.store import Store

        return Store(self.workspace, actor=actor, database_url=self.database_url)

    @classmethod
    def from_env(
        cls, workspace: str | None = None, timezone: str | None = None, database: str | None = None
    ) -> Settings:
        ws = workspace or os.environ.get("CEASEFIRE_WORKSPACE") or "workspace"
        tz_name = timezone or os.environ.get("CEASEFIRE_TIMEZONE") or "Asia/Damascus"
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"{tz_name!r} is not an IANA time zone (e.g. Asia/Damascus)."
            ) from exc
        url = database or os.environ.get("CEASEFIRE_DATABASE_URL") or None
        return cls(workspace=Path(ws).expanduser().resolve(), timezone=tz, database_url=url)

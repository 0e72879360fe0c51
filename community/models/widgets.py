"""Embeddable widgets for the brand's own website, and their per-day analytics counters."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Enum, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, utcnow
from .forum import Category


class WidgetKind(str, enum.Enum):
    solved = "solved"      # threads with a verified answer
    latest = "latest"      # latest threads in chosen categories
    search = "search"      # live search box
    ask = "ask"            # call to action opening the composer
    stats = "stats"        # answered rate and median first response


class WidgetTheme(str, enum.Enum):
    brand = "brand"
    light = "light"
    dark = "dark"
    compact = "compact"


class WidgetSort(str, enum.Enum):
    latest = "latest"
    most_viewed = "most_viewed"


def _enum(kind: type[enum.Enum]) -> Enum:
    return Enum(kind, native_enum=False, length=20, validate_strings=True)


widget_categories = Table(
    "widget_categories",
    Base.metadata,
    Column("widget_id", ForeignKey("widgets.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Widget(TimestampMixin, Base):
    __tablename__ = "widgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[WidgetKind] = mapped_column(_enum(WidgetKind))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    item_count: Mapped[int] = mapped_column(default=5)
    theme: Mapped[WidgetTheme] = mapped_column(_enum(WidgetTheme), default=WidgetTheme.brand)
    language: Mapped[str] = mapped_column(String(5), default="en")
    sort: Mapped[WidgetSort] = mapped_column(_enum(WidgetSort), default=WidgetSort.latest)
    tag: Mapped[str] = mapped_column(String(50), default="")
    # Normalised origins (scheme://host[:port]), one a line; the widget renders only there.
    allowed_origins: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    categories: Mapped[list[Category]] = relationship(secondary=widget_categories, lazy="selectin")

    @property
    def origins(self) -> list[str]:
        return [line for line in self.allowed_origins.splitlines() if line]


class WidgetEventCount(Base):
    """Impressions, clicks, searches and ask clicks per widget, embedding origin and day: no visitor data."""

    __tablename__ = "widget_event_counts"
    __table_args__ = (UniqueConstraint("widget_id", "origin", "day", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    widget_id: Mapped[int] = mapped_column(ForeignKey("widgets.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(255))
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(default=0)

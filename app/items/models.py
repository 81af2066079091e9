"""The `items` table."""

from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db.postgres.base import Base

ID_MAX_LENGTH = 64
NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000


class Item(Base):
    """A named thing with an id chosen by the client."""

    __tablename__ = "items"

    # "C" collation: ids sort by bytes, the same on every server, so keyset pages are stable.
    id: Mapped[str] = mapped_column(String(ID_MAX_LENGTH, collation="C"), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_MAX_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

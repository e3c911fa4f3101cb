"""Inspections 督查 and accountability records 问责 (see docs/inspections.md)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "inspections", __name__, url_prefix="/api/v1", description="Inspections 督查 and 问责"
)

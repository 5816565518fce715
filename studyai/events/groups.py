"""The one place that builds channel-layer group names."""
from __future__ import annotations


def user_group(user_id: int) -> str:
    """Every socket of a user joins this group, and only its own user's."""
    return f"user.{int(user_id)}"

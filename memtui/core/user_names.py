"""How messages name a user: ``nobody (uid 65534)``, or ``uid 1234`` with no name."""

from __future__ import annotations


def user_label(uid: int) -> str:
    import pwd  # only error messages need it; keep it off the fast path

    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"

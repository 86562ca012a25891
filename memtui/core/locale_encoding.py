"""Whether the user's terminal takes UTF-8, from the locale the user set.

A terminal whose locale is not UTF-8 shows the bytes of a block character as
mojibake; the dashboard then draws ASCII only (memtui.widgets.ascii_output).
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def locale_is_utf8(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the user's locale (LC_ALL, else LC_CTYPE, else LANG) writes UTF-8.

    Python turns a C locale into C.UTF-8 for itself (PEP 538) and says so by setting
    LC_CTYPE=C.UTF-8; the terminal still expects what LANG says, so that LC_CTYPE
    counts only when LANG agrees or is a UTF-8 locale itself.
    """
    env = os.environ if environ is None else environ
    if env.get("LC_ALL"):
        return _utf8(env["LC_ALL"])
    lang = env.get("LANG", "")
    ctype = env.get("LC_CTYPE", "")
    if ctype and not (ctype == "C.UTF-8" and lang in ("", "C", "POSIX")):
        return _utf8(ctype)
    return _utf8(lang)


def _utf8(name: str) -> bool:
    codeset = name.partition(".")[2].partition("@")[0].lower().replace("-", "")
    return codeset == "utf8"

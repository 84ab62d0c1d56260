"""What statbot checks at start about the XML parsers that read untrusted feeds and workbooks.

Python's bundled expat before 2.7.0 recurses once per level of nested entities and a few hundred
thousand levels overflow the stack (CVE-2024-8176): the process dies of SIGSEGV, no exception to catch.
statbot refuses DTDs and entity declarations in feeds (ingest.feeds) and workbooks (defusedxml through
openpyxl), so the crash can't be reached through it; an old expat is still worth upgrading.
"""

from __future__ import annotations

import importlib.util
import os
import pyexpat

SAFE_EXPAT = (2, 7, 0)


def openpyxl_uses_defusedxml() -> bool:
    """`openpyxl.DEFUSEDXML` without importing openpyxl (with lxml and Pillow, about 20 MB that `statbot serve`
    would hand every web worker): openpyxl's own rule (openpyxl/xml/__init__.py), which
    tests/test_xml_safety.py checks against openpyxl's answer."""
    installed = importlib.util.find_spec("defusedxml") is not None
    return installed and os.environ.get("OPENPYXL_DEFUSEDXML", "True") == "True"


def problems() -> list[str]:
    """Plain sentences for the log, each saying what to upgrade or set; empty when all is well."""
    found = []
    if pyexpat.version_info < SAFE_EXPAT:
        found.append(
            f"This Python's XML parser is {pyexpat.EXPAT_VERSION}, older than expat 2.7.0 (CVE-2024-8176: "
            "deeply nested entities crash it). statbot refuses DTDs and entities in feeds and workbooks, "
            "but upgrade: to a Python release whose bundled expat is 2.7.0 or later, or, where Python "
            "uses the system's libexpat (most Linux distributions' builds), to that package's fixed version."
        )
    if not openpyxl_uses_defusedxml():
        found.append(
            "openpyxl is not using defusedxml (not installed, or OPENPYXL_DEFUSEDXML is not True), so "
            "statbot refuses Excel imports; reinstall statbot's dependencies and unset OPENPYXL_DEFUSEDXML."
        )
    return found

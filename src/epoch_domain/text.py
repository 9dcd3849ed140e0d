"""What text a person or a provider may give us for a name, an id or an email.

The rules are written twice on purpose, as Python checks the use cases call
and as regular expressions the HTTP schema publishes, and a property test
holds the two equal. The character classes are spelled out (no `\\s`) so the
expressions mean the same in Python and in the ECMA dialect of JSON Schema.
"""

from __future__ import annotations

import re

# Exactly the characters `str.isspace()` accepts, i.e. what `str.strip()` drops.
SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# C0 controls and DEL. PostgreSQL cannot store U+0000, and none of them
# belongs in a name, an id or an address.
CONTROL = r"\x00-\x1f\x7f"
# Spaces that are not controls: what may surround a value without harm.
_PLAIN_SPACE = r"\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# A name: no controls, and something besides spaces.
NAME_PATTERN = rf"^[^{CONTROL}]*[^{SPACE}{CONTROL}][^{CONTROL}]*$"
# An id issued by a provider: one word, surrounding spaces ignored.
TOKEN_PATTERN = rf"^[{_PLAIN_SPACE}]*[^{SPACE}{CONTROL}]+[{_PLAIN_SPACE}]*$"
# An email address, deliberately loose: one "@", a dot in the domain.
_ADDRESS = rf"[^@{SPACE}{CONTROL}]+@[^@{SPACE}{CONTROL}]+\.[^@{SPACE}{CONTROL}]+"
EMAIL_PATTERN = rf"^[{_PLAIN_SPACE}]*{_ADDRESS}[{_PLAIN_SPACE}]*$"

_CONTROL_RE = re.compile(f"[{CONTROL}]")
_ADDRESS_RE = re.compile(f"^{_ADDRESS}$")


def has_control(value: str) -> bool:
    return _CONTROL_RE.search(value) is not None


def is_address(value: str) -> bool:
    """A stripped email address in the loose sense above."""
    return _ADDRESS_RE.match(value) is not None

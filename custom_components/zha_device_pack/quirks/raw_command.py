"""A zigpy command whose payload is the rest of the frame, for a codec to read.

The Smart Energy clusters (Price, DRLC, Messaging) are empty stubs in zigpy 2.3.0 and their
payloads have rules zigpy schemas cannot say (optional trailing fields, "read to the end"), so
every command carries ``payload: t.Bytes`` and the codecs in ``protocol/`` encode and decode it.
"""

from __future__ import annotations

from zigpy import types as t
from zigpy.zcl.foundation import ZCLCommandDef


def raw_command(command_id: int) -> ZCLCommandDef:
    """Return the definition of command ``command_id`` with a raw ``payload``."""
    return ZCLCommandDef(
        id=t.uint8_t(command_id),  # type: ignore-next
        schema={"payload": t.Bytes},  # type: ignore[arg-type]
    )

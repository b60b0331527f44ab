"""Errors our quirks raise (no Home Assistant imports)."""

from __future__ import annotations

from typing import Any, Final

from zha.exceptions import ZHAException
from zigpy.zcl import foundation
from zigpy.zcl.foundation import Status

DEFAULT_RESPONSE: Final = foundation.GENERAL_COMMANDS[
    foundation.GeneralCommand.Default_Response
].schema


class CommandRefusedError(ZHAException):
    """The device answered a command with an error status (ZCL Default Response)."""

    def __init__(self, status: Status) -> None:
        """Keep the status the device answered with."""
        super().__init__(f"the device refused the command: {status.name}")
        self.status = status


class NoAnswerError(ZHAException):
    """The device did not answer: it sleeps, is out of reach, or its answer was lost."""


def raise_if_default_response(answer: Any) -> None:
    """Raise ``CommandRefusedError`` when a command with its own response got a Default Response.

    zigpy hands back the Default Response a device sends instead of the expected answer (an
    error status, e.g. UNSUP_CLUSTER_COMMAND); a SUCCESS there still answers nothing.
    """
    if isinstance(answer, DEFAULT_RESPONSE):
        status = Status(getattr(answer, "status", Status.FAILURE))
        raise CommandRefusedError(
            Status.FAILURE if status is Status.SUCCESS else status
        )

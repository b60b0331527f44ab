"""Errors our quirks raise (no Home Assistant imports)."""

from __future__ import annotations

from zha.exceptions import ZHAException
from zigpy.zcl.foundation import Status


class CommandRefusedError(ZHAException):
    """The device answered a command with an error status (ZCL Default Response)."""

    def __init__(self, status: Status) -> None:
        """Keep the status the device answered with."""
        super().__init__(f"the device refused the command: {status.name}")
        self.status = status


class NoAnswerError(ZHAException):
    """The device did not answer: it sleeps, is out of reach, or its answer was lost."""

"""ZCL global (profile-wide) commands answered by every simulated cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import zigpy.types as t
from zigpy.zcl import foundation

from .device import (
    Attr,
    ClusterResponse,
    CommandContext,
    HandlerResult,
    ReportingConfig,
)

Status = foundation.Status
GeneralCommand = foundation.GeneralCommand
COMMANDS = foundation.GENERAL_COMMANDS


def _response(command: GeneralCommand, **kwargs: Any) -> ClusterResponse:
    return ClusterResponse(
        int(command), COMMANDS[command].schema(**kwargs), general=True
    )


def _manufacturer(ctx: CommandContext) -> int | None:
    manufacturer = ctx.header.manufacturer
    return None if manufacturer is None else int(manufacturer)


def _visible_attributes(ctx: CommandContext) -> list[Attr]:
    """Return the attributes addressable with the frame's manufacturer code."""
    manufacturer = _manufacturer(ctx)
    cluster = ctx.cluster
    found = [
        attr
        for attr in cluster.attributes.values()
        if attr.manufacturer_code == manufacturer
        or (
            manufacturer is not None
            and attr.manufacturer_code is None
            and cluster.is_manufacturer_cluster
        )
    ]
    return sorted(found, key=lambda a: a.id)


def read_attributes(ctx: CommandContext, args: Any) -> HandlerResult:
    """Answer Read Attributes (UNSUPPORTED_ATTRIBUTE per unknown attribute)."""
    cluster = ctx.cluster
    manufacturer = _manufacturer(ctx)
    wanted = [cluster.find(int(i), manufacturer) for i in args.attribute_ids]
    if cluster.before_read is not None:
        cluster.before_read(cluster, [a for a in wanted if a is not None])
    records = []
    for attr_id, attr in zip(args.attribute_ids, wanted, strict=True):
        if attr is None:
            records.append(
                foundation.ReadAttributeRecord(attr_id, Status.UNSUPPORTED_ATTRIBUTE)
            )
        elif not attr.readable:
            records.append(foundation.ReadAttributeRecord(attr_id, Status.WRITE_ONLY))
        else:
            value = attr.type_value(cluster.values[attr.key])
            records.append(
                foundation.ReadAttributeRecord(attr_id, Status.SUCCESS, value)
            )
    return _response(GeneralCommand.Read_Attributes_rsp, status_records=records)


def _check_write(
    ctx: CommandContext, record: foundation.Attribute
) -> tuple[Status, Attr | None, Any]:
    attr = ctx.cluster.find(int(record.attrid), _manufacturer(ctx))
    if attr is None:
        return Status.UNSUPPORTED_ATTRIBUTE, None, None
    if not attr.writable:
        return Status.READ_ONLY, attr, None
    if record.value.type != attr.zcl_type:
        return Status.INVALID_DATA_TYPE, attr, None
    try:
        value = attr.coerce(record.value.value)
        valid = attr.validator is None or attr.validator(value)
    except ValueError, TypeError, KeyError, OverflowError:
        return Status.INVALID_VALUE, attr, None
    if not valid:
        return Status.INVALID_VALUE, attr, None
    return Status.SUCCESS, attr, value


def write_attributes(ctx: CommandContext, args: Any) -> HandlerResult:
    """Answer Write Attributes, Write Attributes Undivided and Write No Response."""
    command = int(ctx.header.command_id)
    checked = [(record, *_check_write(ctx, record)) for record in args.attributes]
    failed = [
        (record, status) for record, status, _, _ in checked if status != Status.SUCCESS
    ]
    undivided = command == GeneralCommand.Write_Attributes_Undivided
    if not (undivided and failed):
        for _, status, attr, value in checked:
            if status == Status.SUCCESS:
                assert attr is not None
                ctx.cluster.set(attr, value)
    if command == GeneralCommand.Write_Attributes_No_Response:
        from .device import NO_RESPONSE

        return NO_RESPONSE
    records = [
        foundation.WriteAttributesStatusRecord(status=status, attrid=record.attrid)
        for record, status in failed
    ] or [foundation.WriteAttributesStatusRecord(status=Status.SUCCESS)]
    return _response(
        GeneralCommand.Write_Attributes_rsp,
        status_records=foundation.WriteAttributesResponse(records),
    )


def configure_reporting(ctx: CommandContext, args: Any) -> HandlerResult:
    """Store reporting configurations."""
    cluster = ctx.cluster
    manufacturer = _manufacturer(ctx)
    records = []
    for config in args.config_records:
        attr = cluster.find(int(config.attrid), manufacturer)
        status = Status.SUCCESS
        if attr is None:
            status = Status.UNSUPPORTED_ATTRIBUTE
        elif config.direction == foundation.ReportingDirection.ReceiveReports:
            status = Status.SUCCESS  # accepted, nothing to simulate
        elif not attr.reportable:
            status = Status.UNREPORTABLE_ATTRIBUTE
        elif int(config.datatype) != attr.zcl_type:
            status = Status.INVALID_DATA_TYPE
        elif config.max_interval == 0xFFFF:
            cluster.reporting.pop(attr.key, None)
        else:
            cluster.reporting[attr.key] = ReportingConfig(
                min_interval=int(config.min_interval),
                max_interval=int(config.max_interval),
                reportable_change=getattr(config, "reportable_change", None),
            )
        records.append(
            foundation.ConfigureReportingResponseRecord(
                status=status, direction=config.direction, attrid=config.attrid
            )
        )
    ctx.device.changed()
    return _response(
        GeneralCommand.Configure_Reporting_rsp,
        status_records=foundation.ConfigureReportingResponse(records),
    )


def read_reporting_configuration(ctx: CommandContext, args: Any) -> HandlerResult:
    """Return stored reporting configurations (NOT_FOUND when not configured)."""
    cluster = ctx.cluster
    manufacturer = _manufacturer(ctx)
    records = []
    for record in args.attribute_records:
        config = foundation.AttributeReportingConfig()
        config.direction = foundation.ReportingDirection(record.direction)
        config.attrid = t.uint16_t(record.attrid)
        attr = cluster.find(int(record.attrid), manufacturer)
        stored = None if attr is None else cluster.reporting.get(attr.key)
        if attr is None:
            status = Status.UNSUPPORTED_ATTRIBUTE
        elif not attr.reportable:
            status = Status.UNREPORTABLE_ATTRIBUTE
        elif (
            stored is None
            or config.direction != foundation.ReportingDirection.SendReports
        ):
            status = Status.NOT_FOUND
        else:
            status = Status.SUCCESS
            assert attr.zcl_type is not None
            config.datatype = foundation.DataTypeId(attr.zcl_type)
            config.min_interval = stored.min_interval
            config.max_interval = stored.max_interval
            config.reportable_change = stored.reportable_change or 0
        records.append(
            foundation.AttributeReportingConfigWithStatus(status=status, config=config)
        )
    return _response(
        GeneralCommand.Read_Reporting_Configuration_rsp, attribute_configs=records
    )


def discover_attributes(ctx: CommandContext, args: Any) -> HandlerResult:
    """Answer Discover Attributes and Discover Attributes Extended."""
    extended = int(ctx.header.command_id) == GeneralCommand.Discover_Attribute_Extended
    found = [a for a in _visible_attributes(ctx) if a.id >= args.start_attribute_id]
    selected = found[: args.max_attribute_ids]
    complete = len(selected) == len(found)
    if extended:
        records = []
        for attr in selected:
            acl = foundation.AttributeAccessControl(0)
            if attr.readable:
                acl |= foundation.AttributeAccessControl.READ
            if attr.writable:
                acl |= foundation.AttributeAccessControl.WRITE
            if attr.reportable:
                acl |= foundation.AttributeAccessControl.REPORT
            records.append(
                foundation.DiscoverAttributesExtendedResponseRecord(
                    attrid=attr.id, datatype=attr.zcl_type, acl=acl
                )
            )
        return _response(
            GeneralCommand.Discover_Attribute_Extended_rsp,
            discovery_complete=complete,
            extended_attr_info=records,
        )
    return _response(
        GeneralCommand.Discover_Attributes_rsp,
        discovery_complete=complete,
        attribute_info=[
            foundation.DiscoverAttributesResponseRecord(
                attrid=a.id, datatype=a.zcl_type
            )
            for a in selected
        ],
    )


def discover_commands(ctx: CommandContext, args: Any) -> HandlerResult:
    """Answer Discover Commands Received / Generated."""
    manufacturer = _manufacturer(ctx)
    if int(ctx.header.command_id) == GeneralCommand.Discover_Commands_Received:
        ids = sorted({cmd for cmd, mfg in ctx.cluster.handlers if mfg == manufacturer})
        response = GeneralCommand.Discover_Commands_Received_rsp
    else:
        ids = []
        response = GeneralCommand.Discover_Commands_Generated_rsp
    ids = [i for i in ids if i >= args.start_command_id]
    selected = ids[: args.max_command_ids]
    return _response(
        response, discovery_complete=len(selected) == len(ids), command_ids=selected
    )


def _ignore(ctx: CommandContext, args: Any) -> HandlerResult:
    return None


_HANDLERS: dict[int, Callable[[CommandContext, Any], HandlerResult]] = {
    GeneralCommand.Read_Attributes: read_attributes,
    GeneralCommand.Write_Attributes: write_attributes,
    GeneralCommand.Write_Attributes_Undivided: write_attributes,
    GeneralCommand.Write_Attributes_No_Response: write_attributes,
    GeneralCommand.Configure_Reporting: configure_reporting,
    GeneralCommand.Read_Reporting_Configuration: read_reporting_configuration,
    GeneralCommand.Report_Attributes: _ignore,
    GeneralCommand.Default_Response: _ignore,
    GeneralCommand.Discover_Attributes: discover_attributes,
    GeneralCommand.Discover_Attribute_Extended: discover_attributes,
    GeneralCommand.Discover_Commands_Received: discover_commands,
    GeneralCommand.Discover_Commands_Generated: discover_commands,
}


def handle_general(ctx: CommandContext) -> HandlerResult:
    """Handle a ZCL global command received by ``ctx.cluster``."""
    command_id = int(ctx.header.command_id)
    handler = _HANDLERS.get(command_id)
    if handler is None:
        if ctx.header.manufacturer is not None:
            return Status.UNSUP_MANUF_GENERAL_COMMAND
        return Status.UNSUP_GENERAL_COMMAND
    try:
        args, _ = COMMANDS[GeneralCommand(command_id)].schema.deserialize(ctx.payload)
    except ValueError, KeyError, IndexError, TypeError:
        return Status.MALFORMED_COMMAND
    return handler(ctx, args)

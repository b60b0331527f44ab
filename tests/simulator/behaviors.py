"""Standard command handlers installed on standard clusters.

`SimEndpoint.add_cluster` installs them unless ``standard_handlers=False``; a model
can override any of them with `SimCluster.on`.  A Poll Control server gets the
`poll_control.PollControlServer` behaviour (check-ins, fast poll).
"""

from __future__ import annotations

from collections.abc import Callable

from zigpy.zcl import foundation
from zigpy.zcl.clusters import general

from .device import NO_RESPONSE, CommandContext, HandlerResult, SimCluster
from .poll_control import install_poll_control

Status = foundation.Status


# -- On/Off ---------------------------------------------------------------------------


def _set_on_off(ctx: CommandContext, value: bool) -> HandlerResult:
    ctx.cluster.set("on_off", value)
    return None


def onoff_off(ctx: CommandContext) -> HandlerResult:
    """Handle OnOff off / off_with_effect."""
    return _set_on_off(ctx, False)


def onoff_on(ctx: CommandContext) -> HandlerResult:
    """Handle OnOff on / on_with_recall_global_scene / on_with_timed_off."""
    return _set_on_off(ctx, True)


def onoff_toggle(ctx: CommandContext) -> HandlerResult:
    """Handle OnOff toggle."""
    return _set_on_off(ctx, not ctx.cluster.get("on_off"))


def _install_onoff(cluster: SimCluster) -> None:
    if (general.OnOff.AttributeDefs.on_off.id, None) not in cluster.attributes:
        return
    cluster.on("off", onoff_off)
    cluster.on("on", onoff_on)
    cluster.on("toggle", onoff_toggle)
    cluster.on("off_with_effect", onoff_off)
    cluster.on("on_with_recall_global_scene", onoff_on)
    cluster.on("on_with_timed_off", onoff_on)


# -- Identify -------------------------------------------------------------------------


def identify_identify(ctx: CommandContext) -> HandlerResult:
    """Handle Identify identify (stores identify_time when supported)."""
    args = ctx.args
    if args is None:
        return Status.MALFORMED_COMMAND
    if (0x0000, None) in ctx.cluster.attributes:
        ctx.cluster.set("identify_time", args.identify_time)
    return None


def identify_query(ctx: CommandContext) -> HandlerResult:
    """Handle Identify identify_query."""
    if (0x0000, None) in ctx.cluster.attributes and ctx.cluster.get("identify_time"):
        return ctx.response(
            "identify_query_response", timeout=ctx.cluster.get("identify_time")
        )
    return None


def _install_identify(cluster: SimCluster) -> None:
    cluster.on("identify", identify_identify)
    cluster.on("identify_query", identify_query)
    cluster.on("trigger_effect", lambda ctx: None)


# -- Groups ---------------------------------------------------------------------------

GROUP_CAPACITY = 16


def groups_add(ctx: CommandContext) -> HandlerResult:
    """Handle Groups add / add_if_identifying."""
    args = ctx.args
    if args is None:
        return Status.MALFORMED_COMMAND
    groups = ctx.endpoint.groups
    status = Status.SUCCESS
    if args.group_id in groups:
        status = Status.DUPLICATE_EXISTS
    elif len(groups) >= GROUP_CAPACITY:
        status = Status.INSUFFICIENT_SPACE
    else:
        groups[int(args.group_id)] = str(args.group_name)
        ctx.device.changed()
    if (
        int(ctx.header.command_id)
        == general.Groups.ServerCommandDefs.add_if_identifying.id
    ):
        return None if status == Status.SUCCESS else status
    return ctx.response("add_response", status=status, group_id=args.group_id)


def groups_view(ctx: CommandContext) -> HandlerResult:
    """Handle Groups view."""
    args = ctx.args
    if args is None:
        return Status.MALFORMED_COMMAND
    name = ctx.endpoint.groups.get(int(args.group_id))
    status = Status.SUCCESS if name is not None else Status.NOT_FOUND
    return ctx.response(
        "view_response", status=status, group_id=args.group_id, group_name=name or ""
    )


def groups_get_membership(ctx: CommandContext) -> HandlerResult:
    """Handle Groups get_membership."""
    args = ctx.args
    if args is None:
        return Status.MALFORMED_COMMAND
    mine = sorted(ctx.endpoint.groups)
    wanted = [int(g) for g in args.groups]
    selected = [g for g in mine if g in wanted] if wanted else mine
    return ctx.response(
        "get_membership_response",
        capacity=GROUP_CAPACITY - len(mine),
        groups=selected,
    )


def groups_remove(ctx: CommandContext) -> HandlerResult:
    """Handle Groups remove."""
    args = ctx.args
    if args is None:
        return Status.MALFORMED_COMMAND
    removed = ctx.endpoint.groups.pop(int(args.group_id), None)
    ctx.device.changed()
    status = Status.SUCCESS if removed is not None else Status.NOT_FOUND
    return ctx.response("remove_response", status=status, group_id=args.group_id)


def groups_remove_all(ctx: CommandContext) -> HandlerResult:
    """Handle Groups remove_all."""
    ctx.endpoint.groups.clear()
    ctx.device.changed()
    return None


def _install_groups(cluster: SimCluster) -> None:
    cluster.on("add", groups_add)
    cluster.on("view", groups_view)
    cluster.on("get_membership", groups_get_membership)
    cluster.on("remove", groups_remove)
    cluster.on("remove_all", groups_remove_all)
    cluster.on("add_if_identifying", groups_add)


# -- Scenes (bookkeeping only: scenes store no attribute values) ----------------------

SCENE_CAPACITY = 16


def _scene_response(ctx: CommandContext, name: str, status: Status) -> HandlerResult:
    args = ctx.args
    return ctx.response(
        name, status=status, group_id=args.group_id, scene_id=args.scene_id
    )


def scenes_add(ctx: CommandContext) -> HandlerResult:
    """Handle Scenes add / store."""
    args = ctx.args
    if args is None:
        return Status.MALFORMED_COMMAND
    scenes = ctx.endpoint.scenes
    key = (int(args.group_id), int(args.scene_id))
    if key not in scenes and len(scenes) >= SCENE_CAPACITY:
        status = Status.INSUFFICIENT_SPACE
    else:
        scenes[key] = str(getattr(args, "scene_name", "") or "")
        status = Status.SUCCESS
    store = int(ctx.header.command_id) == general.Scenes.ServerCommandDefs.store.id
    return _scene_response(
        ctx, "store_scene_response" if store else "add_scene_response", status
    )


def scenes_remove(ctx: CommandContext) -> HandlerResult:
    """Handle Scenes remove."""
    args = ctx.args
    if args is None:
        return Status.MALFORMED_COMMAND
    removed = ctx.endpoint.scenes.pop((int(args.group_id), int(args.scene_id)), None)
    status = Status.SUCCESS if removed is not None else Status.NOT_FOUND
    return _scene_response(ctx, "remove_scene_response", status)


def scenes_remove_all(ctx: CommandContext) -> HandlerResult:
    """Handle Scenes remove_all."""
    args = ctx.args
    if args is None:
        return Status.MALFORMED_COMMAND
    for key in [k for k in ctx.endpoint.scenes if k[0] == args.group_id]:
        del ctx.endpoint.scenes[key]
    return ctx.response(
        "remove_all_scenes_response", status=Status.SUCCESS, group_id=args.group_id
    )


def scenes_view(ctx: CommandContext) -> HandlerResult:
    """Handle Scenes view."""
    args = ctx.args
    if args is None:
        return Status.MALFORMED_COMMAND
    name = ctx.endpoint.scenes.get((int(args.group_id), int(args.scene_id)))
    if name is None:
        return ctx.response(
            "view_response",
            status=Status.NOT_FOUND,
            group_id=args.group_id,
            scene_id=args.scene_id,
        )
    return ctx.response(
        "view_response",
        status=Status.SUCCESS,
        group_id=args.group_id,
        scene_id=args.scene_id,
        transition_time=0,
        scene_name=name,
        extension_field_sets=[],
    )


def scenes_recall(ctx: CommandContext) -> HandlerResult:
    """Handle Scenes recall."""
    args = ctx.args
    if args is None:
        return Status.MALFORMED_COMMAND
    if (int(args.group_id), int(args.scene_id)) not in ctx.endpoint.scenes:
        return Status.NOT_FOUND
    return None


def scenes_get_membership(ctx: CommandContext) -> HandlerResult:
    """Handle Scenes get_scene_membership."""
    args = ctx.args
    if args is None:
        return Status.MALFORMED_COMMAND
    scenes = sorted(s for g, s in ctx.endpoint.scenes if g == args.group_id)
    return ctx.response(
        "get_scene_membership_response",
        status=Status.SUCCESS,
        capacity=SCENE_CAPACITY - len(ctx.endpoint.scenes),
        group_id=args.group_id,
        scenes=scenes,
    )


def _install_scenes(cluster: SimCluster) -> None:
    cluster.on("add", scenes_add)
    cluster.on("store", scenes_add)
    cluster.on("remove", scenes_remove)
    cluster.on("remove_all", scenes_remove_all)
    cluster.on("view", scenes_view)
    cluster.on("recall", scenes_recall)
    cluster.on("get_scene_membership", scenes_get_membership)


# -- Basic ----------------------------------------------------------------------------


def basic_reset(ctx: CommandContext) -> HandlerResult:
    """Handle Basic reset_fact_default: every attribute back to its default."""
    for cluster in ctx.endpoint.all_clusters():
        for attr in cluster.attributes.values():
            cluster.values[attr.key] = attr.default
    ctx.device.changed()
    return None


def _install_basic(cluster: SimCluster) -> None:
    cluster.on("reset_fact_default", basic_reset)


# -- OTA (client) --------------------------------------------------------------------


def ota_image_notify(ctx: CommandContext) -> HandlerResult:
    """Ignore OTA image_notify (a real device would query; no OTA is simulated)."""
    return NO_RESPONSE


def _install_ota_client(cluster: SimCluster) -> None:
    cluster.on("image_notify", ota_image_notify)


_CLIENT_INSTALLERS: dict[int, Callable[[SimCluster], None]] = {
    general.Ota.cluster_id: _install_ota_client,
}

_INSTALLERS: dict[int, Callable[[SimCluster], None]] = {
    general.Basic.cluster_id: _install_basic,
    general.Identify.cluster_id: _install_identify,
    general.Groups.cluster_id: _install_groups,
    general.Scenes.cluster_id: _install_scenes,
    general.OnOff.cluster_id: _install_onoff,
    general.PollControl.cluster_id: install_poll_control,
}


def install_standard_handlers(cluster: SimCluster) -> None:
    """Install the standard handlers for ``cluster``."""
    installers = _INSTALLERS if cluster.is_server else _CLIENT_INSTALLERS
    installer = installers.get(cluster.cluster_id)
    if installer is not None:
        installer(cluster)

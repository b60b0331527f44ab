"""Device-model framework of the simulated Zigbee network.

A simulated device (`SimDevice`) declares endpoints (`SimEndpoint`) with server
("in") and client ("out") clusters (`SimCluster`).  Every cluster holds attribute
values (`Attr` definitions, taken from zigpy's cluster definitions for standard
clusters) and command handlers.  The device answers ZDO requests and the ZCL
global commands by itself; cluster commands are routed to the handlers.

Everything the device receives is recorded (`SimDevice.received`) so tests can
assert the exact bytes on the wire.

A device created with ``sleepy=True`` is a sleepy end device: its parent (the
coordinator) queues frames for it until it polls (every ``long_poll_interval``
seconds, every ``short_poll_interval`` while fast polling, or on `SimDevice.poll`),
and it stays awake for ``wake_time`` seconds after it sent or received something.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
import dataclasses
from datetime import datetime
import enum
import inspect
import logging
import math
import time
from typing import TYPE_CHECKING, Any, Final, Protocol

import zigpy.types as t
from zigpy.zcl import Cluster, foundation
import zigpy.zdo.types as zdo_t

from .link import Link

if TYPE_CHECKING:
    from .clock import ClockTimer
    from .network import SimNetwork

_LOGGER = logging.getLogger(__name__)

ZDO_ENDPOINT: Final = 0
ZDO_PROFILE: Final = 0x0000
HA_PROFILE: Final = 0x0104
SE_PROFILE: Final = 0x0109
MANUFACTURER_CLUSTER_MIN: Final = 0xFC00
COORDINATOR_NWK: Final = 0x0000
#: Broadcast destinations a device can address a ZDO request to (all include the coordinator).
_ZDO_BROADCASTS: Final = frozenset({0xFFFF, 0xFFFD, 0xFFFC})

#: Sleepy end device defaults: the Poll Control cluster's attribute defaults
#: (LongPollInterval 0x14 and ShortPollInterval 0x02 quarter-seconds) and the
#: Silicon Labs end-device-support wake timeout (3000 ms).
DEFAULT_LONG_POLL_INTERVAL: Final = 5.0
DEFAULT_SHORT_POLL_INTERVAL: Final = 0.5
DEFAULT_WAKE_TIME: Final = 3.0

Status = foundation.Status
GeneralCommand = foundation.GeneralCommand


def to_eui64(value: str | bytes | t.EUI64) -> t.EUI64:
    """Convert ``"00:11:..:77"`` (MSB first, like zigpy prints it) into an EUI64."""
    if isinstance(value, t.EUI64):
        return value
    if isinstance(value, bytes):
        # Raw bytes are taken as printed (MSB first), like the string form.
        return t.EUI64(value[::-1])
    return t.EUI64.convert(value)


def parse_int(value: int | str) -> int:
    """Parse ``6``, ``"6"`` or ``"0x0006"``."""
    if isinstance(value, int):
        return value
    return int(value, 0)


class Access(enum.Flag):
    """Attribute access flags of the simulated device."""

    NONE = 0
    READ = 1
    WRITE = 2
    REPORT = 4

    @classmethod
    def parse(cls, value: Access | str) -> Access:
        """Parse ``"rwp"`` style strings (r = read, w = write, p = reportable)."""
        if isinstance(value, Access):
            return value
        access = cls.NONE
        for char in value:
            access |= {"r": cls.READ, "w": cls.WRITE, "p": cls.REPORT}[char]
        return access


Validator = Callable[[Any], bool]


@dataclasses.dataclass
class Attr:
    """Definition of one attribute of a simulated cluster.

    ``type`` is a zigpy type (``t.uint8_t``, ``t.CharacterString``, an enum...);
    ``default`` is the value after a (simulated) factory reset and, for volatile
    attributes, after a power cycle.
    """

    id: int
    name: str
    type: Any
    default: Any = None
    access: Access | str = "rp"
    manufacturer_code: int | None = None
    volatile: bool = False
    validator: Validator | None = None
    zcl_type: int | None = None

    def __post_init__(self) -> None:
        """Normalise access flags, derive the ZCL data type."""
        self.access = Access.parse(self.access)
        if self.zcl_type is None:
            self.zcl_type = int(foundation.DataType.from_python_type(self.type).type_id)
        if self.default is not None:
            self.default = self.coerce(self.default)

    @property
    def key(self) -> tuple[int, int | None]:
        """Return the lookup key (attribute id, manufacturer code)."""
        return (self.id, self.manufacturer_code)

    @property
    def readable(self) -> bool:
        """Return True if the attribute can be read."""
        return Access.READ in Access.parse(self.access)

    @property
    def writable(self) -> bool:
        """Return True if the attribute can be written over the air."""
        return Access.WRITE in Access.parse(self.access)

    @property
    def reportable(self) -> bool:
        """Return True if reporting can be configured for the attribute."""
        return Access.REPORT in Access.parse(self.access)

    def coerce(self, value: Any) -> Any:
        """Convert ``value`` into the attribute's zigpy type."""
        if isinstance(value, self.type):
            return value
        if isinstance(value, str) and issubclass(self.type, enum.Enum):
            return self.type[value]
        if isinstance(value, str) and issubclass(self.type, t.EUI64):
            return t.EUI64.convert(value)
        if isinstance(value, str) and issubclass(self.type, bytes):
            return self.type(bytes.fromhex(value))
        return self.type(value)

    def type_value(self, value: Any) -> foundation.TypeValue:
        """Wrap ``value`` for a ZCL attribute record."""
        assert self.zcl_type is not None
        return foundation.TypeValue(
            type=t.uint8_t(self.zcl_type), value=self.coerce(value)
        )

    @classmethod
    def from_zigpy(cls, definition: foundation.ZCLAttributeDef, default: Any) -> Attr:
        """Create an attribute from a zigpy attribute definition."""
        access = Access.READ | Access.REPORT
        if definition.access & foundation.ZCLAttributeAccess.Write:
            access |= Access.WRITE
        manufacturer_code = definition.manufacturer_code
        if not isinstance(manufacturer_code, int):
            manufacturer_code = None
        return cls(
            id=int(definition.id),
            name=definition.name,
            type=definition.type,
            default=default,
            access=access,
            manufacturer_code=manufacturer_code,
            zcl_type=int(definition.zcl_type),
        )


@dataclasses.dataclass
class ReportingConfig:
    """A stored attribute reporting configuration (Configure Reporting)."""

    min_interval: int
    max_interval: int
    reportable_change: Any = None

    def due(self, elapsed: float, delta: float) -> bool:
        """Return True if a report is due (ZCL 7 §2.5.7.1.5-7).

        ``elapsed``: seconds since the last report (inf: none yet); ``delta``: how far the
        value moved since. Due when the maximum interval has passed (0 and 0xFFFF: no
        periodic reports), or when the value moved by the reportable change (at least 1)
        and the minimum interval has passed.
        """
        if self.max_interval not in (0, 0xFFFF) and elapsed >= self.max_interval:
            return True
        change = self.reportable_change
        return (
            change is not None
            and elapsed >= self.min_interval
            and abs(delta) >= max(1, int(change))
        )

    def to_dict(self) -> dict[str, Any]:
        """Serialise to JSON-compatible data."""
        change = self.reportable_change
        if change is not None and not isinstance(change, int | float):
            change = None
        elif isinstance(change, int):
            change = int(change)
        elif isinstance(change, float):
            change = float(change)
        return {"min": self.min_interval, "max": self.max_interval, "change": change}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReportingConfig:
        """Deserialise from `to_dict` output."""
        return cls(data["min"], data["max"], data.get("change"))


@dataclasses.dataclass(frozen=True)
class Binding:
    """A binding table entry created by ZDO Bind_req."""

    src_ep: int
    cluster_id: int
    addr_mode: int  # 0x01 group, 0x03 IEEE + endpoint
    group: int | None = None
    ieee: str | None = None
    dst_ep: int | None = None

    @classmethod
    def from_zdo(cls, src_ep: int, cluster_id: int, dst: zdo_t.MultiAddress) -> Binding:
        """Create from the destination of a Bind_req / Unbind_req."""
        if dst.addrmode == 0x01:
            return cls(src_ep, cluster_id, 0x01, group=int(dst.nwk))
        return cls(
            src_ep, cluster_id, 0x03, ieee=str(dst.ieee), dst_ep=int(dst.endpoint)
        )

    def to_zdo(self, src_ieee: t.EUI64) -> zdo_t.Binding:
        """Return the binding as a Mgmt_Bind_rsp entry."""
        if self.addr_mode == 0x01:
            dst = zdo_t.MultiAddress(addrmode=0x01, nwk=self.group)
        else:
            dst = zdo_t.MultiAddress(
                addrmode=0x03, ieee=to_eui64(self.ieee or ""), endpoint=self.dst_ep
            )
        return zdo_t.Binding(
            SrcAddress=src_ieee,
            SrcEndpoint=self.src_ep,
            ClusterId=self.cluster_id,
            DstAddress=dst,
        )


@dataclasses.dataclass(frozen=True)
class RecordedFrame:
    """One APS frame received (or sent) by a simulated device."""

    timestamp: float
    direction: str  # "rx": host -> device, "tx": device -> host
    src_ep: int
    dst_ep: int
    cluster_id: int
    profile_id: int
    data: bytes
    zcl: foundation.ZCLHeader | None = None
    payload: bytes = b""
    broadcast: bool = False
    group: int | None = None
    #: The network's virtual time (`SimClock`) when the frame was sent or received.
    sim_time: float | None = None

    @property
    def is_zdo(self) -> bool:
        """Return True for ZDO frames (endpoint 0, profile 0)."""
        return self.profile_id == ZDO_PROFILE and self.dst_ep == ZDO_ENDPOINT

    @property
    def tsn(self) -> int | None:
        """Return the ZCL or ZDO transaction sequence number."""
        if self.zcl is not None:
            return int(self.zcl.tsn)
        if self.is_zdo and self.data:
            return self.data[0]
        return None

    @property
    def command_id(self) -> int | None:
        """Return the ZCL command id (for ZDO frames: the ZDO cluster id)."""
        if self.zcl is not None:
            return int(self.zcl.command_id)
        if self.is_zdo:
            return self.cluster_id
        return None

    @property
    def is_general(self) -> bool:
        """Return True for ZCL global (profile-wide) commands."""
        return self.zcl is not None and self.zcl.frame_control.is_general

    @property
    def manufacturer(self) -> int | None:
        """Return the manufacturer code of a manufacturer-specific ZCL frame."""
        if self.zcl is None or self.zcl.manufacturer is None:
            return None
        return int(self.zcl.manufacturer)

    def to_dict(self) -> dict[str, Any]:
        """Serialise to JSON-compatible data (control interface)."""
        return {
            "timestamp": self.timestamp,
            "direction": self.direction,
            "src_ep": self.src_ep,
            "dst_ep": self.dst_ep,
            "cluster": self.cluster_id,
            "profile": self.profile_id,
            "data": self.data.hex(),
            "tsn": self.tsn,
            "command": self.command_id,
            "general": self.is_general,
            "manufacturer": self.manufacturer,
            "broadcast": self.broadcast,
            "group": self.group,
            "sim_time": self.sim_time,
        }


class ZdoStatusError(Exception):
    """A ZDO response carried a status other than SUCCESS."""

    def __init__(self, cluster_id: int, status: zdo_t.Status) -> None:
        super().__init__(f"ZDO 0x{cluster_id:04X}: {status!r}")
        self.cluster_id = cluster_id
        self.status = status


class DeviceService(Protocol):
    """A behaviour with timers (e.g. Poll Control check-ins) of a joined device.

    Started when the device joins or powers up; stopped when it leaves, powers
    down or the network stops.
    """

    def start(self) -> None:
        """Start (or restart) the behaviour's timers."""

    def stop(self) -> None:
        """Cancel the behaviour's timers."""


@dataclasses.dataclass(frozen=True)
class ClusterResponse:
    """A cluster-specific response returned by a command handler.

    ``payload`` is raw bytes or a zigpy ``CommandSchema`` instance.
    """

    command_id: int
    payload: bytes | foundation.CommandSchema = b""
    general: bool = False


class _NoResponse(enum.Enum):
    NO_RESPONSE = enum.auto()


#: Return this from a handler to suppress every response (even errors).
NO_RESPONSE: Final = _NoResponse.NO_RESPONSE

HandlerResult = foundation.Status | ClusterResponse | _NoResponse | None
Handler = Callable[["CommandContext"], HandlerResult | Awaitable[HandlerResult]]
AttributeListener = Callable[["SimCluster", Attr, Any, Any], None]


@dataclasses.dataclass
class CommandContext:
    """Everything a command handler gets."""

    device: SimDevice
    endpoint: SimEndpoint
    cluster: SimCluster
    header: foundation.ZCLHeader
    payload: bytes
    frame: RecordedFrame

    @property
    def args(self) -> Any:
        """Return the payload parsed with zigpy's command schema (None if unknown)."""
        zigpy_cluster = self.cluster.zigpy_cluster
        if zigpy_cluster is None:
            return None
        commands = (
            zigpy_cluster.server_commands
            if self.header.direction == foundation.Direction.Client_to_Server
            else zigpy_cluster.client_commands
        )
        command = commands.get(int(self.header.command_id))
        if command is None:
            return None
        try:
            parsed, _ = command.schema.deserialize(self.payload)
        except ValueError, KeyError:
            return None
        return parsed

    def response(
        self, command: int | str, *args: Any, **kwargs: Any
    ) -> ClusterResponse:
        """Build a cluster-specific response from zigpy's schema.

        ``command`` is the response command id or name, e.g. ``"add_response"``.
        """
        zigpy_cluster = self.cluster.zigpy_cluster
        assert zigpy_cluster is not None, "response() needs a standard cluster"
        commands = (
            zigpy_cluster.client_commands
            if self.header.direction == foundation.Direction.Client_to_Server
            else zigpy_cluster.server_commands
        )
        if isinstance(command, str):
            definition = next(c for c in commands.values() if c.name == command)
        else:
            definition = commands[command]
        return ClusterResponse(int(definition.id), definition.schema(*args, **kwargs))


def _zigpy_cluster(cluster_id: int) -> type[Cluster] | None:
    registered: type[Cluster] | None = Cluster._registry.get(cluster_id)
    return registered


class SimCluster:
    """A server or client cluster of a simulated endpoint."""

    def __init__(
        self,
        endpoint: SimEndpoint,
        cluster_id: int,
        *,
        is_server: bool,
        zigpy_cluster: type[Cluster] | None,
    ) -> None:
        self.endpoint = endpoint
        self.cluster_id = cluster_id
        self.is_server = is_server
        self.zigpy_cluster = zigpy_cluster
        self.attributes: dict[tuple[int, int | None], Attr] = {}
        self.values: dict[tuple[int, int | None], Any] = {}
        self.handlers: dict[tuple[int, int | None], Handler] = {}
        self.reporting: dict[tuple[int, int | None], ReportingConfig] = {}
        self.listeners: list[AttributeListener] = []
        #: Called with the attributes about to be read (e.g. to refresh values).
        self.before_read: Callable[[SimCluster, list[Attr]], None] | None = None

    def __repr__(self) -> str:
        side = "in" if self.is_server else "out"
        return f"<SimCluster {self.name} 0x{self.cluster_id:04X} ep={self.endpoint.id} {side}>"

    @property
    def device(self) -> SimDevice:
        """Return the device owning the cluster."""
        return self.endpoint.device

    @property
    def name(self) -> str:
        """Return zigpy's ``ep_attribute`` name (or the hex id)."""
        if self.zigpy_cluster is not None:
            return str(self.zigpy_cluster.ep_attribute)
        return f"0x{self.cluster_id:04x}"

    @property
    def is_manufacturer_cluster(self) -> bool:
        """Return True for manufacturer-specific cluster ids (0xFC00-0xFFFF)."""
        return self.cluster_id >= MANUFACTURER_CLUSTER_MIN

    # -- attributes ---------------------------------------------------------------

    def add_attribute(self, attr: Attr, value: Any = None) -> Attr:
        """Add (a copy of) an attribute; ``value`` (or its default) is its value."""
        attr = dataclasses.replace(attr)  # definitions may be shared between devices
        self.attributes[attr.key] = attr
        self.values[attr.key] = (
            attr.coerce(value) if value is not None else attr.default
        )
        if attr.default is None:
            attr.default = self.values[attr.key]
        return attr

    def add_standard_attribute(self, key: int | str, value: Any) -> Attr:
        """Add an attribute of zigpy's cluster definition (by name or id)."""
        if self.zigpy_cluster is None:
            raise ValueError(
                f"cluster 0x{self.cluster_id:04X} is not a zigpy cluster: use Attr()"
            )
        if isinstance(key, str):
            definition = self.zigpy_cluster.attributes_by_name[key]
        else:
            definition = self.zigpy_cluster.attributes[key]
        return self.add_attribute(Attr.from_zigpy(definition, value), value)

    def set_access(
        self,
        *,
        volatile: Iterable[int | str] = (),
        read_only: Iterable[int | str] = (),
        writable: Iterable[int | str] = (),
        unreportable: Iterable[int | str] = (),
        validators: Mapping[int | str, Validator] | None = None,
    ) -> None:
        """Adjust attribute flags (volatile, access) and validators."""
        for key in volatile:
            self.attr(key).volatile = True
        for key in read_only:
            attr = self.attr(key)
            attr.access = Access.parse(attr.access) & ~Access.WRITE
        for key in writable:
            attr = self.attr(key)
            attr.access = Access.parse(attr.access) | Access.WRITE
        for key in unreportable:
            attr = self.attr(key)
            attr.access = Access.parse(attr.access) & ~Access.REPORT
        for key, validator in (validators or {}).items():
            self.attr(key).validator = validator

    def attr(self, key: int | str | Attr, manufacturer_code: int | None = None) -> Attr:
        """Look an attribute up by id or name (KeyError if unknown)."""
        if isinstance(key, Attr):
            return key
        if isinstance(key, str):
            try:
                key = int(key, 0)
            except ValueError:
                for attr in self.attributes.values():
                    if attr.name == key:
                        return attr
                raise KeyError(key) from None
        if (key, manufacturer_code) in self.attributes:
            return self.attributes[(key, manufacturer_code)]
        matches = [a for a in self.attributes.values() if a.id == key]
        if len(matches) == 1:
            return matches[0]
        raise KeyError(key)

    def find(self, attr_id: int, manufacturer: int | None) -> Attr | None:
        """Find the attribute addressed by a ZCL frame (with its manufacturer code)."""
        if manufacturer is None:
            return self.attributes.get((attr_id, None))
        attr = self.attributes.get((attr_id, manufacturer))
        if attr is None and self.is_manufacturer_cluster:
            attr = self.attributes.get((attr_id, None))
        return attr

    def get(self, key: int | str | Attr) -> Any:
        """Return the current value of an attribute."""
        return self.values[self.attr(key).key]

    def set(self, key: int | str | Attr, value: Any, *, report: bool = True) -> None:
        """Change an attribute value.

        Listeners are notified on change, and a report is sent automatically when
        the attribute has a stored reporting configuration (``report=False`` skips it).
        """
        attr = self.attr(key)
        new = attr.coerce(value)
        old = self.values.get(attr.key)
        self.values[attr.key] = new
        if old == new:
            return
        for listener in list(self.listeners):
            listener(self, attr, old, new)
        self.device.changed()
        if report and attr.key in self.reporting:
            self.device.schedule_report(self, attr)

    def update(self, values: Mapping[int | str, Any], *, report: bool = True) -> None:
        """Set several attributes."""
        for key, value in values.items():
            self.set(key, value, report=report)

    def reset_volatile(self) -> None:
        """Reset volatile attributes to their defaults (power cycle)."""
        for attr in self.attributes.values():
            if attr.volatile:
                self.values[attr.key] = attr.default

    def add_listener(self, listener: AttributeListener) -> None:
        """Call ``listener(cluster, attr, old, new)`` whenever a value changes."""
        self.listeners.append(listener)

    # -- commands -----------------------------------------------------------------

    def on(
        self,
        command: int | str,
        handler: Handler,
        *,
        manufacturer_code: int | None = None,
    ) -> None:
        """Register a handler for a cluster command (id or zigpy command name)."""
        if isinstance(command, str):
            assert self.zigpy_cluster is not None, (
                "command names need a standard cluster"
            )
            commands = (
                self.zigpy_cluster.server_commands
                if self.is_server
                else self.zigpy_cluster.client_commands
            )
            command = next(int(c.id) for c in commands.values() if c.name == command)
        self.handlers[(command, manufacturer_code)] = handler

    def find_handler(self, command_id: int, manufacturer: int | None) -> Handler | None:
        """Find the handler for a received cluster command."""
        handler = self.handlers.get((command_id, manufacturer))
        if (
            handler is None
            and manufacturer is not None
            and self.is_manufacturer_cluster
        ):
            handler = self.handlers.get((command_id, None))
        return handler

    # -- persistence --------------------------------------------------------------

    @property
    def state_prefix(self) -> str:
        """Return the key prefix used in the persisted state."""
        side = "in" if self.is_server else "out"
        return f"{self.endpoint.id}/{side}/0x{self.cluster_id:04x}"


def _attr_state_key(attr: Attr) -> str:
    key = f"0x{attr.id:04x}"
    if attr.manufacturer_code is not None:
        key += f"@0x{attr.manufacturer_code:04x}"
    return key


def encode_value(attr: Attr, value: Any) -> Any:
    """Encode an attribute value for JSON (numbers and strings natively, else hex)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)  # also enums and bitmaps
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return {"hex": attr.coerce(value).serialize().hex()}


def decode_value(attr: Attr, data: Any) -> Any:
    """Decode a value written by `encode_value`."""
    if isinstance(data, dict):
        value, _ = attr.type.deserialize(bytes.fromhex(data["hex"]))
        return value
    return attr.coerce(data)


class SimEndpoint:
    """An application endpoint of a simulated device."""

    def __init__(
        self,
        device: SimDevice,
        endpoint_id: int,
        *,
        profile_id: int = HA_PROFILE,
        device_type: int = 0x0000,
        device_version: int = 1,
    ) -> None:
        self.device = device
        self.id = endpoint_id
        self.profile_id = profile_id
        self.device_type = device_type
        self.device_version = device_version
        self.in_clusters: dict[int, SimCluster] = {}
        self.out_clusters: dict[int, SimCluster] = {}
        #: Group membership (Groups cluster); group-addressed frames reach the endpoint.
        self.groups: dict[int, str] = {}
        #: Scenes (Scenes cluster): (group id, scene id) -> scene name.
        self.scenes: dict[tuple[int, int], str] = {}

    def __repr__(self) -> str:
        return f"<SimEndpoint {self.id} profile=0x{self.profile_id:04X} type=0x{self.device_type:04X}>"

    def add_cluster(
        self,
        cluster: type[Cluster] | int,
        values: Mapping[int | str, Any] | None = None,
        *,
        attributes: Iterable[Attr] = (),
        volatile: Iterable[int | str] = (),
        read_only: Iterable[int | str] = (),
        writable: Iterable[int | str] = (),
        unreportable: Iterable[int | str] = (),
        validators: Mapping[int | str, Validator] | None = None,
        handlers: Mapping[int | str, Handler] | None = None,
        standard_handlers: bool = True,
        is_server: bool = True,
    ) -> SimCluster:
        """Add a server (in) cluster.

        ``values`` gives the supported standard attributes (by zigpy name or id) and
        their default values; their types come from zigpy's cluster definition.
        ``attributes`` adds explicit definitions (manufacturer/custom attributes).
        Only attributes listed in one of the two exist on the device.
        """
        if isinstance(cluster, int):
            cluster_id = cluster
            zigpy_cluster = _zigpy_cluster(cluster_id)
        else:
            cluster_id = int(cluster.cluster_id)
            zigpy_cluster = cluster
        sim = SimCluster(
            self, cluster_id, is_server=is_server, zigpy_cluster=zigpy_cluster
        )

        for key, value in (values or {}).items():
            sim.add_standard_attribute(key, value)
        for attr in attributes:
            sim.add_attribute(attr)
        sim.set_access(
            volatile=volatile,
            read_only=read_only,
            writable=writable,
            unreportable=unreportable,
            validators=validators,
        )

        if standard_handlers:
            from .behaviors import install_standard_handlers

            install_standard_handlers(sim)
        for command, handler in (handlers or {}).items():
            sim.on(command, handler)

        if is_server:
            self.in_clusters[cluster_id] = sim
        else:
            self.out_clusters[cluster_id] = sim
        return sim

    def add_output_cluster(
        self,
        cluster: type[Cluster] | int,
        values: Mapping[int | str, Any] | None = None,
        **kwargs: Any,
    ) -> SimCluster:
        """Add a client (out) cluster; same arguments as `add_cluster`."""
        return self.add_cluster(cluster, values, is_server=False, **kwargs)

    def cluster(
        self, cluster: type[Cluster] | int | str, *, is_server: bool = True
    ) -> SimCluster:
        """Return a cluster by id, zigpy class or name (KeyError if absent)."""
        clusters = self.in_clusters if is_server else self.out_clusters
        if isinstance(cluster, str):
            try:
                cluster = int(cluster, 0)
            except ValueError:
                for sim in clusters.values():
                    class_name = (
                        None
                        if sim.zigpy_cluster is None
                        else sim.zigpy_cluster.__name__
                    )
                    if cluster in (sim.name, class_name):
                        return sim
                raise KeyError(cluster) from None
        if not isinstance(cluster, int):
            cluster = int(cluster.cluster_id)
        return clusters[cluster]

    def simple_descriptor(self) -> zdo_t.SimpleDescriptor:
        """Return the ZDO simple descriptor of the endpoint."""
        return zdo_t.SimpleDescriptor(
            endpoint=self.id,
            profile=self.profile_id,
            device_type=self.device_type,
            device_version=self.device_version,
            input_clusters=list(self.in_clusters),
            output_clusters=list(self.out_clusters),
        )

    def all_clusters(self) -> Iterable[SimCluster]:
        """Iterate over server then client clusters."""
        yield from self.in_clusters.values()
        yield from self.out_clusters.values()


PowerCycleHook = Callable[["SimDevice"], None]
#: Called with the network's wall time (aware UTC) when the device is added to a network
#: whose clock follows wall time (see `SimNetwork.wall_clock`).
WallClockHook = Callable[[datetime], None]


class SimDevice:
    """A simulated Zigbee device.

    Build one with `add_endpoint` / `SimEndpoint.add_cluster` (see ``models/``),
    add it to a `SimNetwork` and join it.

    ``sleepy=True`` makes it a sleepy end device (end device, not rx-on-when-idle,
    battery powered unless said otherwise) whose frames wait in the coordinator's
    indirect queue until it polls; intervals are in seconds.  Without it every
    device, end devices included, receives frames at once.
    """

    def __init__(
        self,
        *,
        ieee: str | t.EUI64,
        manufacturer: str,
        model: str,
        model_key: str | None = None,
        nwk: int | None = None,
        logical_type: zdo_t.LogicalType | None = None,
        mains_powered: bool | None = None,
        rx_on_when_idle: bool | None = None,
        manufacturer_code: int = 0x1234,
        auto_join: bool = False,
        supports_mgmt_lqi: bool = True,
        supports_mgmt_rtg: bool = True,
        supports_mgmt_leave: bool = True,
        reply_delay: float | None = None,
        lqi: int = 200,
        sleepy: bool = False,
        long_poll_interval: float = DEFAULT_LONG_POLL_INTERVAL,
        short_poll_interval: float = DEFAULT_SHORT_POLL_INTERVAL,
        wake_time: float = DEFAULT_WAKE_TIME,
    ) -> None:
        if sleepy:
            if logical_type not in (None, zdo_t.LogicalType.EndDevice):
                raise ValueError("a sleepy device is an end device")
            if rx_on_when_idle:
                raise ValueError("a sleepy device is not rx-on-when-idle")
            logical_type = zdo_t.LogicalType.EndDevice
            rx_on_when_idle = False
            if mains_powered is None:
                mains_powered = False
        if min(long_poll_interval, short_poll_interval) <= 0 or wake_time < 0:
            raise ValueError("poll intervals must be positive, wake_time >= 0")
        if mains_powered is None:
            mains_powered = True
        self.ieee = to_eui64(ieee)
        self.manufacturer = manufacturer
        self.model = model
        #: Key of the factory in ``models.MODELS`` (used for persistence).
        self.model_key = model_key or model
        self.nwk: int | None = nwk
        self.logical_type = (
            zdo_t.LogicalType.Router if logical_type is None else logical_type
        )
        self.mains_powered = mains_powered
        self.rx_on_when_idle = (
            mains_powered if rx_on_when_idle is None else rx_on_when_idle
        )
        #: A sleepy end device: frames for it wait for its polls.
        self.sleepy = sleepy
        #: Seconds between polls while idle / while fast polling.
        self.long_poll_interval = long_poll_interval
        self.short_poll_interval = short_poll_interval
        #: Seconds a sleepy device stays awake (receives at once) after it sent or
        #: received a frame.
        self.wake_time = wake_time
        self.manufacturer_code = manufacturer_code
        self.auto_join = auto_join
        self.supports_mgmt_lqi = supports_mgmt_lqi
        self.supports_mgmt_rtg = supports_mgmt_rtg
        self.supports_mgmt_leave = supports_mgmt_leave
        self.reply_delay = reply_delay
        #: The path from the coordinator: LQI, RSSI, latency, loss (see `Link`); loss
        #: draws are seeded with the IEEE address.
        self.link = Link(lqi=lqi)
        self.link.seed(str(self.ieee))

        self.endpoints: dict[int, SimEndpoint] = {}
        #: Model-private state (JSON-compatible values; persisted).
        self.state: dict[str, Any] = {}
        self.bindings: list[Binding] = []
        self.network: SimNetwork | None = None
        self.joined = False
        self.online = True
        #: Frames received from the host (and broadcasts), oldest first.
        self.received: list[RecordedFrame] = []
        #: Frames sent by the device.
        self.sent: list[RecordedFrame] = []
        #: Hooks run on power cycle, after volatile attributes were reset.
        self.power_cycle_hooks: list[PowerCycleHook] = []
        #: Hooks of models with clocks of their own: they take the network's wall time
        #: when the device enters a network whose clock follows it (scaled clocks).
        self.wall_clock_hooks: list[WallClockHook] = []
        #: Behaviours with timers, run while the device is joined (e.g. Poll Control).
        self.services: list[DeviceService] = []
        #: MAC data requests (polls) sent to the parent so far.
        self.polls = 0
        #: Virtual time until which a sleepy device is awake.
        self.awake_until = -math.inf
        #: Virtual time until which it fast polls (None: not fast polling).
        self.fast_poll_until: float | None = None
        self._poll_timer: ClockTimer | None = None
        self._tsn = 0
        self._frame_event = asyncio.Event()
        self._pending_reports: dict[SimCluster, list[Attr]] = {}
        self._frame_depth = 0

    def __repr__(self) -> str:
        nwk = "----" if self.nwk is None else f"{self.nwk:04X}"
        state = ("joined" if self.joined else "not joined") + (
            "" if self.online else ", offline"
        )
        return f"<SimDevice {self.model_key} {self.ieee} nwk=0x{nwk} {state}>"

    @property
    def lqi(self) -> int:
        """Return the link quality of the device's link (`Link.lqi`, Mgmt_Lqi)."""
        return self.link.lqi

    @lqi.setter
    def lqi(self, value: int) -> None:
        self.link.lqi = value

    # -- building -----------------------------------------------------------------

    def add_endpoint(
        self,
        endpoint_id: int,
        *,
        profile_id: int = HA_PROFILE,
        device_type: int = 0x0000,
        device_version: int = 1,
    ) -> SimEndpoint:
        """Add an application endpoint."""
        endpoint = SimEndpoint(
            self,
            endpoint_id,
            profile_id=profile_id,
            device_type=device_type,
            device_version=device_version,
        )
        self.endpoints[endpoint_id] = endpoint
        return endpoint

    def endpoint(self, endpoint_id: int) -> SimEndpoint:
        """Return an endpoint (KeyError if absent)."""
        return self.endpoints[endpoint_id]

    def cluster(
        self,
        endpoint_id: int,
        cluster: type[Cluster] | int | str,
        *,
        is_server: bool = True,
    ) -> SimCluster:
        """Return ``endpoint_id``'s cluster by id, zigpy class or name."""
        return self.endpoints[endpoint_id].cluster(cluster, is_server=is_server)

    # -- descriptors --------------------------------------------------------------

    @property
    def is_end_device(self) -> bool:
        """Return True for end devices."""
        return self.logical_type == zdo_t.LogicalType.EndDevice

    @property
    def capability(self) -> zdo_t.MACCapabilityFlags:
        """Return the MAC capability flags (Device_annce, node descriptor)."""
        flags = zdo_t.MACCapabilityFlags.AllocateAddress
        if not self.is_end_device:
            flags |= zdo_t.MACCapabilityFlags.FullFunctionDevice
        if self.mains_powered:
            flags |= zdo_t.MACCapabilityFlags.MainsPowered
        if self.rx_on_when_idle:
            flags |= zdo_t.MACCapabilityFlags.RxOnWhenIdle
        return zdo_t.MACCapabilityFlags(flags)

    def node_descriptor(self) -> zdo_t.NodeDescriptor:
        """Return the ZDO node descriptor."""
        return zdo_t.NodeDescriptor(
            logical_type=self.logical_type,
            complex_descriptor_available=0,
            user_descriptor_available=0,
            reserved=0,
            aps_flags=0,
            frequency_band=zdo_t.NodeDescriptor.FrequencyBand.Freq2400MHz,
            mac_capability_flags=self.capability,
            manufacturer_code=self.manufacturer_code,
            maximum_buffer_size=82,
            maximum_incoming_transfer_size=82,
            server_mask=0x2C00,
            maximum_outgoing_transfer_size=82,
            descriptor_capability_field=zdo_t.NodeDescriptor.DescriptorCapability.NONE,
        )

    def power_descriptor(self) -> zdo_t.PowerDescriptor:
        """Return the ZDO power descriptor."""
        source = (
            zdo_t.PowerSources.MainsPower
            if self.mains_powered
            else zdo_t.PowerSources.DisposableBattery
        )
        return zdo_t.PowerDescriptor(
            current_power_mode=zdo_t.CurrentPowerMode.RxOnSyncedWithNodeDesc,
            available_power_sources=source,
            current_power_source=source,
            current_power_source_level=zdo_t.PowerSourceLevel.Percent100,
        )

    # -- state --------------------------------------------------------------------

    def next_tsn(self) -> int:
        """Return the next transaction sequence number for device-originated frames."""
        self._tsn = (self._tsn + 1) & 0xFF
        return self._tsn

    def changed(self) -> None:
        """Tell the network that persistent state changed."""
        if self.network is not None:
            self.network.notify_changed()

    def set_online(self, online: bool, *, announce: bool = False) -> None:
        """Take the device off the air (every unicast to it fails) or back.

        With ``announce=True`` a device coming back online sends Device_annce.
        """
        was_online = self.online
        self.online = online
        self.changed()
        if online and not was_online and announce and self.joined:
            self.announce()

    async def power_cycle(self, off_time: float = 0.0) -> None:
        """Power-cycle: volatile attributes reset to defaults, then re-announce."""
        self.online = False
        self.network_down()
        for endpoint in self.endpoints.values():
            for cluster in endpoint.all_clusters():
                cluster.reset_volatile()
        self._pending_reports.clear()
        for hook in list(self.power_cycle_hooks):
            hook(self)
        await asyncio.sleep(off_time)
        self.online = True
        self.changed()
        if self.joined:
            self.network_up()
            self.announce()

    # -- network life cycle, sleeping and polling ---------------------------------

    @property
    def now(self) -> float:
        """Return the network's virtual time (0.0 outside a network)."""
        return 0.0 if self.network is None else self.network.clock.now

    @property
    def awake(self) -> bool:
        """Return True if frames reach the device at once (always, unless sleepy)."""
        if not self.sleepy:
            return True
        return self.online and self.now < self.awake_until

    @property
    def fast_polling(self) -> bool:
        """Return True while the device polls at its short poll interval."""
        return self.fast_poll_until is not None and self.now < self.fast_poll_until

    @property
    def poll_interval(self) -> float:
        """Return the seconds until the next poll: short while fast polling, else long."""
        return (
            self.short_poll_interval if self.fast_polling else self.long_poll_interval
        )

    @property
    def next_poll(self) -> float | None:
        """Return the virtual time of the next scheduled poll (None: not polling)."""
        timer = self._poll_timer
        return None if timer is None or timer.cancelled else timer.when

    def network_up(self) -> None:
        """Start polling and the services (the device joined or powered up joined)."""
        self.network_down()
        if self.network is None:
            return
        if self.sleepy:
            self._schedule_poll(self.poll_interval)
        for service in list(self.services):
            service.start()

    def network_down(self) -> None:
        """Stop polling and the services (left, powered down, network stopped)."""
        if self._poll_timer is not None:
            self._poll_timer.cancel()
            self._poll_timer = None
        self.fast_poll_until = None
        self.awake_until = -math.inf
        for service in list(self.services):
            service.stop()

    def stay_awake(self, seconds: float | None = None) -> None:
        """Keep a sleepy device awake for ``seconds`` (default `wake_time`) from now.

        An awake device fetches what its parent queued for it right away.
        """
        if not self.sleepy or self.network is None:
            return
        duration = self.wake_time if seconds is None else seconds
        self.awake_until = max(self.awake_until, self.now + duration)
        if self.awake and self.joined:
            self.network.poll(self)

    def start_fast_poll(self, seconds: float) -> None:
        """Poll every `short_poll_interval` for ``seconds`` from now."""
        self.fast_poll_until = self.now + seconds
        if not self.sleepy or self.network is None or not self.joined:
            return
        if self.next_poll is None or self.next_poll > self.now + self.poll_interval:
            self._schedule_poll(self.poll_interval)

    def stop_fast_poll(self) -> None:
        """Return to polling every `long_poll_interval` (after the pending poll)."""
        self.fast_poll_until = None

    def set_poll_intervals(
        self, *, long: float | None = None, short: float | None = None
    ) -> None:
        """Change the poll intervals (seconds); the next poll follows the new rate."""
        if long is not None:
            self.long_poll_interval = long
        if short is not None:
            self.short_poll_interval = short
        if self._poll_timer is not None:
            self._schedule_poll(self.poll_interval)

    async def poll(self) -> int:
        """Send a MAC data request now: receive (and handle) what the parent queued.

        Returns the number of frames received.  Does nothing for a device that is
        off the air.
        """
        if self.network is None or not self.joined or not self.online:
            return 0
        self.polls += 1
        tasks = self.network.poll(self)
        if tasks:
            self.stay_awake()
            await asyncio.gather(*tasks)
        return len(tasks)

    def _schedule_poll(self, delay: float) -> None:
        if self._poll_timer is not None:
            self._poll_timer.cancel()
        assert self.network is not None
        self._poll_timer = self.network.clock.call_later(delay, self._poll_due)

    def _poll_due(self) -> None:
        self._poll_timer = None
        if self.network is None or not self.joined:
            return
        self._schedule_poll(self.poll_interval)
        if self.online:
            self.polls += 1
            if self.network.poll(self):
                self.stay_awake()

    # -- frame recording ----------------------------------------------------------

    def frames(
        self,
        *,
        cluster: int | None = None,
        command: int | None = None,
        endpoint: int | None = None,
        profile: int | None = None,
        general: bool | None = None,
        zdo: bool | None = None,
        tsn: int | None = None,
        sent: bool = False,
    ) -> list[RecordedFrame]:
        """Return recorded frames matching every given filter.

        ``endpoint`` is the device's endpoint (destination of received frames, source
        of sent ones); ``command`` is the ZCL command id (ZDO: the cluster id);
        ``tsn`` the ZCL or ZDO transaction sequence number.
        ``sent=True`` filters the frames the device sent instead of received ones.
        """
        result = []
        for frame in self.sent if sent else self.received:
            if cluster is not None and frame.cluster_id != cluster:
                continue
            if command is not None and frame.command_id != command:
                continue
            own_ep = frame.src_ep if sent else frame.dst_ep
            if endpoint is not None and own_ep != endpoint:
                continue
            if profile is not None and frame.profile_id != profile:
                continue
            if general is not None and (
                frame.zcl is None or frame.is_general != general
            ):
                continue
            if zdo is not None and frame.is_zdo != zdo:
                continue
            if tsn is not None and frame.tsn != tsn:
                continue
            result.append(frame)
        return result

    def clear_frames(self) -> None:
        """Forget all recorded frames."""
        self.received.clear()
        self.sent.clear()

    async def wait_for_frame(
        self,
        timeout: float = 2.0,
        **filters: Any,
    ) -> RecordedFrame:
        """Wait until a frame matching `frames` filters was received; return the first."""
        async with asyncio.timeout(timeout):
            while True:
                found = self.frames(**filters)
                if found:
                    return found[0]
                self._frame_event.clear()
                await self._frame_event.wait()

    def record(
        self,
        direction: str,
        *,
        src_ep: int,
        dst_ep: int,
        cluster_id: int,
        profile_id: int,
        data: bytes,
        broadcast: bool = False,
        group: int | None = None,
    ) -> RecordedFrame:
        """Record a frame (parsing its ZCL header)."""
        header: foundation.ZCLHeader | None = None
        payload = data
        if not (profile_id == ZDO_PROFILE and (dst_ep == 0 or src_ep == 0)):
            try:
                header, payload = foundation.ZCLHeader.deserialize(data)
            except ValueError, KeyError:
                header, payload = None, data
        else:
            payload = data[1:]
        frame = RecordedFrame(
            timestamp=time.time(),
            direction=direction,
            src_ep=src_ep,
            dst_ep=dst_ep,
            cluster_id=cluster_id,
            profile_id=profile_id,
            data=bytes(data),
            zcl=header,
            payload=bytes(payload),
            broadcast=broadcast,
            group=group,
            sim_time=None if self.network is None else self.network.clock.now,
        )
        if direction == "rx":
            self.received.append(frame)
            self._frame_event.set()
        else:
            self.sent.append(frame)
        return frame

    # -- sending ------------------------------------------------------------------

    def send(
        self,
        *,
        src_ep: int,
        dst_ep: int,
        cluster_id: int,
        profile_id: int,
        data: bytes,
        broadcast: bool = False,
    ) -> bool:
        """Send an APS frame to the host; return False if it could not be sent."""
        self.record(
            "tx",
            src_ep=src_ep,
            dst_ep=dst_ep,
            cluster_id=cluster_id,
            profile_id=profile_id,
            data=data,
            broadcast=broadcast,
        )
        if self.network is None or not self.online or not self.joined:
            _LOGGER.debug("%r cannot send (not on the air)", self)
            return False
        delivered = self.network.deliver_to_host(
            self,
            src_ep=src_ep,
            dst_ep=dst_ep,
            cluster_id=cluster_id,
            profile_id=profile_id,
            data=data,
            broadcast=broadcast,
        )
        if self.sleepy:
            # It woke up to transmit: it polls right after and for a while.
            self.stay_awake()
        return delivered

    def send_zdo(
        self,
        cluster_id: int,
        payload: bytes,
        *,
        tsn: int | None = None,
        broadcast: bool = False,
    ) -> bool:
        """Send a ZDO frame (``payload`` without the TSN)."""
        tsn = self.next_tsn() if tsn is None else tsn
        return self.send(
            src_ep=ZDO_ENDPOINT,
            dst_ep=ZDO_ENDPOINT,
            cluster_id=cluster_id,
            profile_id=ZDO_PROFILE,
            data=bytes([tsn]) + payload,
            broadcast=broadcast,
        )

    def send_zcl(
        self,
        endpoint: int,
        cluster_id: int,
        command_id: int,
        payload: bytes | foundation.CommandSchema = b"",
        *,
        general: bool = False,
        direction: foundation.Direction = foundation.Direction.Server_to_Client,
        manufacturer: int | None = None,
        disable_default_response: bool = True,
        tsn: int | None = None,
        dst_ep: int = 1,
        profile_id: int | None = None,
    ) -> bool:
        """Send a ZCL frame from ``endpoint`` to the host."""
        frame_control = foundation.FrameControl(
            frame_type=(
                foundation.FrameType.GLOBAL_COMMAND
                if general
                else foundation.FrameType.CLUSTER_COMMAND
            ),
            is_manufacturer_specific=manufacturer is not None,
            direction=direction,
            disable_default_response=disable_default_response,
            reserved=0,
        )
        header = foundation.ZCLHeader(
            frame_control=frame_control,
            manufacturer=None if manufacturer is None else t.uint16_t(manufacturer),
            tsn=self.next_tsn() if tsn is None else tsn,
            command_id=command_id,
        )
        if not isinstance(payload, bytes):
            payload = payload.serialize()
        if profile_id is None:
            profile_id = (
                self.endpoints[endpoint].profile_id
                if endpoint in self.endpoints
                else HA_PROFILE
            )
        return self.send(
            src_ep=endpoint,
            dst_ep=dst_ep,
            cluster_id=cluster_id,
            profile_id=profile_id,
            data=header.serialize() + payload,
        )

    def announce(self) -> bool:
        """Broadcast ZDO Device_annce (nwk, ieee, capability)."""
        assert self.nwk is not None
        payload = t.serialize(
            [t.NWK(self.nwk), self.ieee, t.uint8_t(self.capability)],
            [t.NWK, t.EUI64, t.uint8_t],
        )
        return self.send_zdo(zdo_t.ZDOCmd.Device_annce, payload, broadcast=True)

    async def match_descriptor(
        self,
        profile_id: int,
        in_clusters: Iterable[int] = (),
        out_clusters: Iterable[int] = (),
        *,
        dst_nwk: int = COORDINATOR_NWK,
        nwk_addr_of_interest: int | None = None,
        timeout: float = 2.0,
    ) -> list[int]:
        """Send ZDO Match_Desc_req and return the MatchList of the answer.

        ``in_clusters`` are server clusters wanted on the other side (e.g. Time 0x000A
        for a device that has Time as client), ``out_clusters`` client clusters.
        ``dst_nwk`` is the coordinator (0x0000) or a broadcast address (0xFFFD,
        0xFFFF, 0xFFFC); NWKAddrOfInterest defaults to ``dst_nwk``.  Raises
        `ZdoStatusError` for a non-SUCCESS answer and TimeoutError without one (a
        broadcast nobody matches is not answered).
        """
        broadcast = dst_nwk in _ZDO_BROADCASTS
        if not broadcast and dst_nwk != COORDINATOR_NWK:
            raise ValueError("device frames reach the coordinator (or a broadcast)")
        aoi = dst_nwk if nwk_addr_of_interest is None else nwk_addr_of_interest
        _, types = zdo_t.CLUSTERS[zdo_t.ZDOCmd.Match_Desc_req]
        payload = t.serialize(
            [aoi, profile_id, list(in_clusters), list(out_clusters)], types
        )
        tsn = self.next_tsn()
        start = len(self.received)
        if not self.send_zdo(
            zdo_t.ZDOCmd.Match_Desc_req, payload, tsn=tsn, broadcast=broadcast
        ):
            raise RuntimeError(f"{self!r} is not on the air")
        frame = await self._wait_received(
            start, timeout, cluster=zdo_t.ZDOCmd.Match_Desc_rsp, zdo=True, tsn=tsn
        )
        _, rsp_types = zdo_t.CLUSTERS[zdo_t.ZDOCmd.Match_Desc_rsp]
        status, _ = zdo_t.Status.deserialize(frame.payload)
        if status != zdo_t.Status.SUCCESS:
            raise ZdoStatusError(zdo_t.ZDOCmd.Match_Desc_rsp, status)
        (_, _, matches), _ = t.deserialize(frame.payload, rsp_types)
        return [int(endpoint) for endpoint in matches]

    async def _wait_received(
        self, start: int, timeout: float, **filters: Any
    ) -> RecordedFrame:
        """Wait for a frame matching `frames` filters received after index ``start``."""
        async with asyncio.timeout(timeout):
            while True:
                new = set(map(id, self.received[start:]))
                found = [f for f in self.frames(**filters) if id(f) in new]
                if found:
                    return found[0]
                self._frame_event.clear()
                await self._frame_event.wait()

    # -- reports ------------------------------------------------------------------

    def _report_destination(self, cluster: SimCluster) -> int:
        for binding in self.bindings:
            if (
                binding.src_ep == cluster.endpoint.id
                and binding.cluster_id == cluster.cluster_id
                and binding.addr_mode == 0x03
                and binding.dst_ep is not None
                and self.network is not None
                and binding.ieee == str(self.network.ieee)
            ):
                return binding.dst_ep
        return 1

    def send_report(
        self, cluster: SimCluster, attrs: Iterable[Attr], *, dst_ep: int | None = None
    ) -> bool:
        """Send ZCL Report Attributes with the current values of ``attrs``."""
        by_manufacturer: dict[int | None, list[Attr]] = {}
        for attr in attrs:
            by_manufacturer.setdefault(attr.manufacturer_code, []).append(attr)
        ok = True
        for manufacturer, group in by_manufacturer.items():
            records = [
                foundation.Attribute(
                    attrid=attr.id, value=attr.type_value(cluster.values[attr.key])
                )
                for attr in group
            ]
            schema = foundation.GENERAL_COMMANDS[
                GeneralCommand.Report_Attributes
            ].schema
            ok &= self.send_zcl(
                cluster.endpoint.id,
                cluster.cluster_id,
                GeneralCommand.Report_Attributes,
                schema(attribute_reports=records),
                general=True,
                direction=(
                    foundation.Direction.Server_to_Client
                    if cluster.is_server
                    else foundation.Direction.Client_to_Server
                ),
                manufacturer=manufacturer,
                dst_ep=self._report_destination(cluster) if dst_ep is None else dst_ep,
                profile_id=cluster.endpoint.profile_id,
            )
        return ok

    async def report(
        self,
        endpoint: int,
        cluster: type[Cluster] | int | str,
        values: Mapping[int | str, Any],
        *,
        is_server: bool = True,
        dst_ep: int | None = None,
    ) -> bool:
        """Set attribute values and send them in a Report Attributes frame.

        ``values`` maps attribute ids or names to values; the stored values change
        too (without triggering the automatic report).
        """
        sim = self.cluster(endpoint, cluster, is_server=is_server)
        attrs = []
        for key, value in values.items():
            attr = sim.attr(key)
            sim.set(attr, value, report=False)
            attrs.append(attr)
        return self.send_report(sim, attrs, dst_ep=dst_ep)

    def schedule_report(self, cluster: SimCluster, attr: Attr) -> None:
        """Queue an automatic report (sent after the current frame was answered)."""
        pending = self._pending_reports.setdefault(cluster, [])
        if attr not in pending:
            pending.append(attr)
        if self._frame_depth == 0 and self.network is not None:
            self.network.spawn(self._flush_reports_soon())

    async def _flush_reports_soon(self) -> None:
        await asyncio.sleep(0)
        self.flush_reports()

    def flush_reports(self) -> None:
        """Send the queued automatic reports."""
        pending, self._pending_reports = self._pending_reports, {}
        for cluster, attrs in pending.items():
            self.send_report(cluster, attrs)

    # -- receiving ----------------------------------------------------------------

    async def handle_frame(self, frame: RecordedFrame) -> None:
        """Process a frame from the host (called by the network after the reply delay)."""
        if not self.online:
            return
        self._frame_depth += 1
        try:
            if frame.is_zdo:
                from .zdo import handle_zdo

                handle_zdo(self, frame)
            elif frame.zcl is not None:
                await self._handle_zcl(frame)
        finally:
            self._frame_depth -= 1
        if self._frame_depth == 0:
            self.flush_reports()

    def _endpoints_for(self, frame: RecordedFrame) -> list[SimEndpoint]:
        if frame.group is not None:
            return [ep for ep in self.endpoints.values() if frame.group in ep.groups]
        if frame.dst_ep == 0xFF:
            return list(self.endpoints.values())
        endpoint = self.endpoints.get(frame.dst_ep)
        return [endpoint] if endpoint is not None else []

    async def _handle_zcl(self, frame: RecordedFrame) -> None:
        header = frame.zcl
        assert header is not None
        unicast = not frame.broadcast and frame.group is None
        endpoints = self._endpoints_for(frame)
        if not endpoints:
            return  # an unknown endpoint: the APS layer drops the frame
        for endpoint in endpoints:
            clusters = (
                endpoint.in_clusters
                if header.direction == foundation.Direction.Client_to_Server
                else endpoint.out_clusters
            )
            cluster = clusters.get(frame.cluster_id)
            if cluster is None:
                if unicast:
                    self._default_response(
                        frame, endpoint.id, Status.UNSUPPORTED_CLUSTER
                    )
                continue
            ctx = CommandContext(
                device=self,
                endpoint=endpoint,
                cluster=cluster,
                header=header,
                payload=frame.payload,
                frame=frame,
            )
            if header.frame_control.is_general:
                from .zcl import handle_general

                result = handle_general(ctx)
            else:
                result = await self._handle_cluster_command(ctx)
            self._respond(ctx, result, unicast=unicast)

    async def _handle_cluster_command(self, ctx: CommandContext) -> HandlerResult:
        manufacturer = ctx.header.manufacturer
        handler = ctx.cluster.find_handler(
            int(ctx.header.command_id),
            None if manufacturer is None else int(manufacturer),
        )
        if handler is None:
            if manufacturer is not None:
                return Status.UNSUP_MANUF_CLUSTER_COMMAND
            return Status.UNSUP_CLUSTER_COMMAND
        result = handler(ctx)
        if inspect.isawaitable(result):
            result = await result
        return result

    def _respond(
        self, ctx: CommandContext, result: HandlerResult, *, unicast: bool
    ) -> None:
        header = ctx.header
        if result is NO_RESPONSE:
            return
        if isinstance(result, ClusterResponse):
            self.reply(ctx, result.command_id, result.payload, general=result.general)
            return
        status = Status.SUCCESS if result is None else Status(result)
        if not unicast or (
            header.frame_control.is_general
            and header.command_id == GeneralCommand.Default_Response
        ):
            return
        if (
            status != Status.SUCCESS
            or not header.frame_control.disable_default_response
        ):
            self._default_response(ctx.frame, ctx.endpoint.id, status)

    def reply(
        self,
        ctx: CommandContext,
        command_id: int,
        payload: bytes | foundation.CommandSchema,
        *,
        general: bool,
    ) -> bool:
        """Send a response to the frame of ``ctx`` (same TSN, flipped direction)."""
        header = ctx.header
        return self.send_zcl(
            ctx.endpoint.id,
            ctx.frame.cluster_id,
            command_id,
            payload,
            general=general,
            direction=header.direction.flip(),
            manufacturer=None
            if header.manufacturer is None
            else int(header.manufacturer),
            disable_default_response=True,
            tsn=int(header.tsn),
            dst_ep=ctx.frame.src_ep,
            profile_id=ctx.frame.profile_id,
        )

    def _default_response(
        self, frame: RecordedFrame, endpoint_id: int, status: Status
    ) -> None:
        header = frame.zcl
        assert header is not None
        payload = foundation.DefaultResponse(
            command_id=header.command_id, status=status
        )
        self.send_zcl(
            endpoint_id,
            frame.cluster_id,
            GeneralCommand.Default_Response,
            payload,
            general=True,
            direction=header.direction.flip(),
            manufacturer=None
            if header.manufacturer is None
            else int(header.manufacturer),
            disable_default_response=True,
            tsn=int(header.tsn),
            dst_ep=frame.src_ep,
            profile_id=frame.profile_id,
        )

    # -- persistence --------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Serialise the device's state (the model rebuilds the rest)."""
        attributes: dict[str, Any] = {}
        reporting: dict[str, Any] = {}
        groups: dict[str, dict[str, str]] = {}
        for endpoint in self.endpoints.values():
            if endpoint.groups:
                groups[str(endpoint.id)] = {
                    str(g): name for g, name in endpoint.groups.items()
                }
            for cluster in endpoint.all_clusters():
                for attr in cluster.attributes.values():
                    key = f"{cluster.state_prefix}/{_attr_state_key(attr)}"
                    attributes[key] = encode_value(attr, cluster.values[attr.key])
                    if attr.key in cluster.reporting:
                        reporting[key] = cluster.reporting[attr.key].to_dict()
        return {
            "model": self.model_key,
            "ieee": str(self.ieee),
            "nwk": self.nwk,
            "joined": self.joined,
            "online": self.online,
            "auto_join": self.auto_join,
            "attributes": attributes,
            "reporting": reporting,
            "bindings": [dataclasses.asdict(b) for b in self.bindings],
            "groups": groups,
            "state": self.state,
        }

    def _state_index(self) -> dict[str, tuple[SimCluster, Attr]]:
        index: dict[str, tuple[SimCluster, Attr]] = {}
        for endpoint in self.endpoints.values():
            for cluster in endpoint.all_clusters():
                for attr in cluster.attributes.values():
                    key = f"{cluster.state_prefix}/{_attr_state_key(attr)}"
                    index[key] = (cluster, attr)
        return index

    def _restore_value(
        self, target: tuple[SimCluster, Attr], key: str, value: Any
    ) -> None:
        cluster, attr = target
        try:
            cluster.values[attr.key] = decode_value(attr, value)
        except ValueError, KeyError, TypeError:
            _LOGGER.warning("Cannot restore %s=%r of %r", key, value, self)

    def restore(self, data: Mapping[str, Any]) -> None:
        """Apply state saved by `to_dict` (unknown attributes are ignored)."""
        self.nwk = data.get("nwk", self.nwk)
        self.joined = bool(data.get("joined", False))
        self.online = bool(data.get("online", True))
        self.auto_join = bool(data.get("auto_join", self.auto_join))
        index = self._state_index()
        for key, value in data.get("attributes", {}).items():
            if key in index:
                self._restore_value(index[key], key, value)
        for key, value in data.get("reporting", {}).items():
            if key in index:
                cluster, attr = index[key]
                cluster.reporting[attr.key] = ReportingConfig.from_dict(value)
        self.bindings = [Binding(**b) for b in data.get("bindings", [])]
        self.state.update(data.get("state", {}))
        for ep_id, groups in data.get("groups", {}).items():
            if int(ep_id) in self.endpoints:
                self.endpoints[int(ep_id)].groups = {
                    int(g): name for g, name in groups.items()
                }

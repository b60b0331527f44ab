"""Tests of the DP16 / DP17 irrigation program codecs."""

from collections.abc import Callable
import contextlib
from dataclasses import replace
from datetime import date, datetime

from hypothesis import given, strategies as st
import pytest

from custom_components.zha_device_pack.protocol.irrigation_program import (
    AddProgram,
    CycleIrrigationProgram,
    CycleIrrigationRequest,
    DeleteProgram,
    IrrigationProgramError,
    ModifyProgram,
    QueryPrograms,
    Recurrence,
    ScheduledIrrigationProgram,
    ScheduledIrrigationRequest,
    StoredProgram,
    Weekday,
    decode_cycle_answer,
    decode_scheduled_answer,
    encode_cycle_answer,
    encode_cycle_request,
    encode_scheduled_answer,
    encode_scheduled_request,
)
from tests.protocol.device_side import decode_cycle_request, decode_scheduled_request

from .strategies import cycle_programs, requests, scheduled_programs, stored_lists

# Seed 004 "DP16 Cycle irrigation" record: on/off + channel, days, start, end, on, off, flow.
# The values are the ZVG1 peer's example "08:00 / 20:00 / 15 / 60 / MoTuWeThFrSaSu / 1".
CYCLE_HEX = "01 7f 01e0 04b0 000f 003c 64"
CYCLE = CycleIrrigationProgram(
    enabled=True,
    channel=0,
    days=Weekday.EVERY_DAY,
    start_minute=480,
    end_minute=1200,
    on_minutes=15,
    off_minutes=60,
    water_flow_percent=100,
)

# The real-valve capture (seeds/README.md, z2m#13199): version 00, modify 02, id 01, then a
# seed 004 "DP17 Scheduled irrigation" record: 08:00, 15 min, every day, 100 %, weekly + on,
# start date 2022-08-01, n = 1.
CAPTURE_HEX = "00 02 01 01e0 000f 7f 64 01 07e6 08 01 01"
SCHEDULED_HEX = "01e0 000f 7f 64 01 07e6 08 01 01"
SCHEDULED = ScheduledIrrigationProgram(
    enabled=True,
    start_minute=480,
    duration_minutes=15,
    days=Weekday.EVERY_DAY,
    water_flow_percent=100,
    recurrence=Recurrence.WEEKLY,
    start_date=date(2022, 8, 1),
    interval_days=1,
)


def test_real_capture_decodes_and_reencodes() -> None:
    request = decode_scheduled_request(bytes.fromhex(CAPTURE_HEX))
    assert request == ModifyProgram(1, SCHEDULED)
    assert encode_scheduled_request(request) == bytes.fromhex(CAPTURE_HEX)


def test_seed_every_n_days_example_uses_the_five_byte_form() -> None:
    # Seed 004 "DP17 Scheduled irrigation", "Run every other day": from December 2, 2021 every
    # five days, printed as `07e5 000c 0002 0005`; the text says 5 bytes (year 2, month 1, day 1,
    # n 1) and the capture agrees, so the field is 07e5 0c 02 05.
    program = replace(
        SCHEDULED,
        recurrence=Recurrence.EVERY_N_DAYS,
        start_date=date(2021, 12, 2),
        interval_days=5,
    )
    encoded = encode_scheduled_request(AddProgram(program))
    assert encoded[-5:] == bytes.fromhex("07e5 0c 02 05")
    assert encoded[-6] == 0x41  # recurrence 0100 in bits 4-7, on in bits 0-1
    assert decode_scheduled_request(encoded) == AddProgram(program)
    printed = bytes.fromhex("00 03 01e0 000f 7f 64 41 07e5 000c 0002 0005")
    with pytest.raises(IrrigationProgramError, match="12 bytes, got 15"):
        decode_scheduled_request(printed)


def test_seed_start_time_example() -> None:
    # Seed 004 "DP17 Scheduled irrigation", "The start time": 02:30 PM is 14 x 60 + 30 = 870.
    encoded = encode_scheduled_request(AddProgram(replace(SCHEDULED, start_minute=870)))
    assert encoded[2:4] == bytes.fromhex("0366")


CYCLE_REQUEST_VECTORS: list[tuple[str, CycleIrrigationRequest]] = [
    # Seed 004 "DP16 Cycle irrigation", "Commands": 01 query is version + command only.
    ("00 01", QueryPrograms()),
    # 03 add: version + command + schedule data (no id; the device assigns it).
    (f"00 03 {CYCLE_HEX}", AddProgram(CYCLE)),
    # 02 modify: version + command + schedule id + schedule data.
    (f"00 02 02 {CYCLE_HEX}", ModifyProgram(2, CYCLE)),
    # 04 delete: version + command + schedule id.
    ("00 04 03", DeleteProgram(3)),
    # "On/Off": bit 0 the state, bits 1-7 the channel id; "Day(s) of the week": 00 one-time.
    (
        "00 03 06 00 0000 059f 059f 0000 00",
        AddProgram(
            CycleIrrigationProgram(
                enabled=False,
                channel=3,
                days=Weekday.ONE_TIME,
                start_minute=0,
                end_minute=1439,
                on_minutes=1439,
                off_minutes=0,
                water_flow_percent=0,
            )
        ),
    ),
    # Asymmetric values (a reversed bitmap or swapped bytes decode differently): on,
    # channel 1, Mon+Thu 0x12 (reversed: Tue+Fri 0x24), 19:05 0x0479 to 22:10 0x0532,
    # 13 min on, 29 off, 75 %.
    (
        "00 03 03 12 0479 0532 000d 001d 4b",
        AddProgram(
            CycleIrrigationProgram(
                enabled=True,
                channel=1,
                days=Weekday.MONDAY | Weekday.THURSDAY,
                start_minute=19 * 60 + 5,
                end_minute=22 * 60 + 10,
                on_minutes=13,
                off_minutes=29,
                water_flow_percent=75,
            )
        ),
    ),
    # An overnight window (22:10 to 01:35), Tue+Sat 0x44, modify id 5.
    (
        "00 02 05 02 44 0532 005f 0019 0023 32",
        ModifyProgram(
            5,
            CycleIrrigationProgram(
                enabled=False,
                channel=1,
                days=Weekday.TUESDAY | Weekday.SATURDAY,
                start_minute=22 * 60 + 10,
                end_minute=60 + 35,
                on_minutes=25,
                off_minutes=35,
                water_flow_percent=50,
            ),
        ),
    ),
    # "Weekly schedule": bit 0 Sunday ... bit 6 Saturday; channel 127 fills bits 1-7.
    (
        "00 03 ff 41 0000 0000 0001 0001 32",
        AddProgram(
            CycleIrrigationProgram(
                enabled=True,
                channel=127,
                days=Weekday.SUNDAY | Weekday.SATURDAY,
                start_minute=0,
                end_minute=0,
                on_minutes=1,
                off_minutes=1,
                water_flow_percent=50,
            )
        ),
    ),
]


@pytest.mark.parametrize(("hex_payload", "request_"), CYCLE_REQUEST_VECTORS)
def test_cycle_request_vectors(
    hex_payload: str, request_: CycleIrrigationRequest
) -> None:
    payload = bytes.fromhex(hex_payload)
    assert encode_cycle_request(request_) == payload
    assert decode_cycle_request(payload) == request_


SCHEDULED_REQUEST_VECTORS: list[tuple[str, ScheduledIrrigationRequest]] = [
    # Seed 004 "DP17 Scheduled irrigation", "Commands": query, add (0x03), modify (0x02), delete.
    ("00 01", QueryPrograms()),
    (f"00 03 {SCHEDULED_HEX}", AddProgram(SCHEDULED)),
    (f"00 02 04 {SCHEDULED_HEX}", ModifyProgram(4, SCHEDULED)),
    ("00 04 00", DeleteProgram(0)),
    # "Schedule setting": odd days 0001 in bits 4-7, off 00 in bits 0-1.
    (
        "00 03 0366 059f 00 00 10 07e5 0c 1f 1f",
        AddProgram(
            ScheduledIrrigationProgram(
                enabled=False,
                start_minute=870,
                duration_minutes=1439,
                days=Weekday.ONE_TIME,
                water_flow_percent=0,
                recurrence=Recurrence.ODD_DAYS,
                start_date=date(2021, 12, 31),
                interval_days=31,
            )
        ),
    ),
    # Asymmetric: 06:30 0x0186, 20 min, Mon+Thu 0x12, 75 %, weekly + on, 2026-11-07 (month
    # != day), n = 3.
    (
        "00 03 0186 0014 12 4b 01 07ea 0b 07 03",
        AddProgram(
            ScheduledIrrigationProgram(
                enabled=True,
                start_minute=6 * 60 + 30,
                duration_minutes=20,
                days=Weekday.MONDAY | Weekday.THURSDAY,
                water_flow_percent=75,
                recurrence=Recurrence.WEEKLY,
                start_date=date(2026, 11, 7),
                interval_days=3,
            )
        ),
    ),
    # Every n days 0100 + on: 19:05, 7 min, from 2026-12-03, every 3 days; modify id 2.
    (
        "00 02 02 0479 0007 7f 4b 41 07ea 0c 03 03",
        ModifyProgram(
            2,
            ScheduledIrrigationProgram(
                enabled=True,
                start_minute=19 * 60 + 5,
                duration_minutes=7,
                days=Weekday.EVERY_DAY,
                water_flow_percent=75,
                recurrence=Recurrence.EVERY_N_DAYS,
                start_date=date(2026, 12, 3),
                interval_days=3,
            ),
        ),
    ),
    # Even days 0010, on; weekday bitmap Monday + Friday.
    (
        "00 03 059f 0001 22 64 21 0001 01 01 01",
        AddProgram(
            ScheduledIrrigationProgram(
                enabled=True,
                start_minute=1439,
                duration_minutes=1,
                days=Weekday.MONDAY | Weekday.FRIDAY,
                water_flow_percent=100,
                recurrence=Recurrence.EVEN_DAYS,
                start_date=date(1, 1, 1),
                interval_days=1,
            )
        ),
    ),
]


@pytest.mark.parametrize(("hex_payload", "request_"), SCHEDULED_REQUEST_VECTORS)
def test_scheduled_request_vectors(
    hex_payload: str, request_: ScheduledIrrigationRequest
) -> None:
    payload = bytes.fromhex(hex_payload)
    assert encode_scheduled_request(request_) == payload
    assert decode_scheduled_request(payload) == request_


def test_seed_every_day_0xff_reads_as_every_day() -> None:
    # Seed 004 says DP17 "0xFF indicates weekly schedule"; the capture writes 0x7F. 0xFF is read
    # as every day and written back in the capture's form.
    payload = bytes.fromhex("00 03 01e0 000f ff 64 01 07e6 08 01 01")
    assert decode_scheduled_request(payload) == AddProgram(SCHEDULED)
    assert encode_scheduled_request(AddProgram(SCHEDULED))[6] == 0x7F


def test_answers() -> None:
    # Seed 004 "Commands": the device answers version + program list; each entry is the id byte
    # and the program (the ZVG1 peer walks answers in 12- and 13-byte steps).
    assert decode_cycle_answer(b"\x00") == ()
    assert decode_scheduled_answer(b"\x00") == ()
    assert encode_cycle_answer([]) == b"\x00"
    other = replace(CYCLE, enabled=False, channel=1, water_flow_percent=40)
    cycle_list = (StoredProgram(1, CYCLE), StoredProgram(4, other))
    cycle_hex = f"00 01 {CYCLE_HEX} 04 02 7f 01e0 04b0 000f 003c 28"
    assert encode_cycle_answer(cycle_list) == bytes.fromhex(cycle_hex)
    assert decode_cycle_answer(bytes.fromhex(cycle_hex)) == cycle_list
    scheduled_list = (StoredProgram(2, SCHEDULED), StoredProgram(1, SCHEDULED))
    scheduled_hex = f"00 02 {SCHEDULED_HEX} 01 {SCHEDULED_HEX}"
    assert encode_scheduled_answer(scheduled_list) == bytes.fromhex(scheduled_hex)
    assert decode_scheduled_answer(bytes.fromhex(scheduled_hex)) == scheduled_list


CYCLE_RECORD_REJECTIONS = [
    ("01 80 01e0 04b0 000f 003c 64", "days 128 is outside 0..127"),
    ("01 7f 05a0 04b0 000f 003c 64", "start_minute 1440 is outside 0..1439"),
    ("01 7f 01e0 05a0 000f 003c 64", "end_minute 1440"),
    ("01 7f 01e0 04b0 05a0 003c 64", "on_minutes 1440"),
    ("01 7f 01e0 04b0 000f ffff 64", "off_minutes 65535"),
    ("01 7f 01e0 04b0 000f 003c 65", "water_flow_percent 101"),
]


@pytest.mark.parametrize(
    ("hex_payload", "message"),
    [
        ("", "request is empty"),
        ("01 01", "unknown protocol version 0x01"),
        ("00", "no command byte"),
        ("00 00", "unknown command 0x00"),
        ("00 05", "unknown command 0x05"),
        ("00 01 00", "query request takes 0 bytes after the command, got 1"),
        ("00 04", "delete request takes 1 bytes after the command, got 0"),
        ("00 04 01 02", "delete request takes 1 bytes"),
        ("00 02", "modify request has no program id"),
        ("00 02 01", "program is 11 bytes, got 0"),
        (f"00 03 {CYCLE_HEX} 00", "program is 11 bytes, got 12"),
        ("00 03 01 7f 01e0 04b0 000f 003c", "program is 11 bytes, got 10"),
        *((f"00 03 {record}", message) for record, message in CYCLE_RECORD_REJECTIONS),
    ],
)
def test_cycle_request_rejections(hex_payload: str, message: str) -> None:
    with pytest.raises(IrrigationProgramError, match=message):
        decode_cycle_request(bytes.fromhex(hex_payload))


SCHEDULED_RECORD_REJECTIONS = [
    ("05a0 000f 7f 64 01 07e6 08 01 01", "start_minute 1440"),
    ("01e0 05a0 7f 64 01 07e6 08 01 01", "duration_minutes 1440"),
    ("01e0 000f 80 64 01 07e6 08 01 01", "days 128"),
    ("01e0 000f fe 64 01 07e6 08 01 01", "days 254"),
    ("01e0 000f 7f 65 01 07e6 08 01 01", "water_flow_percent 101"),
    ("01e0 000f 7f 64 31 07e6 08 01 01", "unknown recurrence"),
    ("01e0 000f 7f 64 81 07e6 08 01 01", "unknown recurrence"),
    ("01e0 000f 7f 64 f1 07e6 08 01 01", "unknown recurrence"),
    ("01e0 000f 7f 64 01 0000 08 01 01", "start date 0-8-1 is not a date"),
    ("01e0 000f 7f 64 01 07e6 00 01 01", "is not a date"),
    ("01e0 000f 7f 64 01 07e6 0d 01 01", "is not a date"),
    ("01e0 000f 7f 64 01 07e6 02 1d 01", "start date 2022-2-29 is not a date"),
    ("01e0 000f 7f 64 01 07e6 08 00 01", "is not a date"),
    ("01e0 000f 7f 64 01 2710 08 01 01", "is not a date"),
    ("01e0 000f 7f 64 01 07e6 08 01 00", "interval_days 0 is outside 1..31"),
    ("01e0 000f 7f 64 01 07e6 08 01 20", "interval_days 32"),
]


@pytest.mark.parametrize(
    ("setting", "enabled", "undocumented"),
    [
        # Seed 004 documents on/off 00/01 in bits 0-1 and nothing in bits 2-3; a list with
        # other bits must still decode, and the bits must survive an edit.
        (0x05, True, 0x04),  # weekly, on, reserved bit 2
        (0x19, True, 0x08),  # odd days, on, reserved bit 3
        (0x22, False, 0x02),  # even days, on/off field 10
        (0x4F, True, 0x0E),  # every n days, on/off field 11, both reserved bits
    ],
)
def test_undocumented_setting_bits_are_kept(
    setting: int, enabled: bool, undocumented: int
) -> None:
    record = bytes.fromhex(f"0186 0014 12 4b {setting:02x} 07ea 0b 07 03")
    (stored,) = decode_scheduled_answer(b"\x00\x05" + record)
    program = stored.program
    assert (program.enabled, program.undocumented_setting_bits) == (
        enabled,
        undocumented,
    )
    assert program.recurrence == Recurrence(setting >> 4)
    assert encode_scheduled_answer((stored,)) == b"\x00\x05" + record
    # Switching it on or off touches bit 0 only.
    toggled = replace(program, enabled=not enabled)
    assert encode_scheduled_request(ModifyProgram(5, toggled)) == bytes.fromhex(
        f"00 02 05 0186 0014 12 4b {setting ^ 0x01:02x} 07ea 0b 07 03"
    )


@pytest.mark.parametrize("bits", [0x01, 0x10, 0x80, -2, True])
def test_undocumented_setting_bits_out_of_their_mask(bits: object) -> None:
    with pytest.raises(IrrigationProgramError, match="undocumented_setting_bits"):
        replace(SCHEDULED, undocumented_setting_bits=bits)


@pytest.mark.parametrize(
    ("hex_payload", "message"),
    [
        ("", "request is empty"),
        ("ff 01", "unknown protocol version 0xff"),
        ("00 06", "unknown command 0x06"),
        ("00 01 01", "query request takes 0 bytes"),
        ("00 02", "modify request has no program id"),
        ("00 04", "delete request takes 1 bytes after the command, got 0"),
        # The worked example's 2-byte month/day/n would make the record 15 bytes.
        ("00 03 01e0 000f 7f 64 41 07e5 000c 0002 0005", "program is 12 bytes, got 15"),
        ("00 02 01 01e0 000f 7f 64 01 07e6 08 01", "program is 12 bytes, got 11"),
        *(
            (f"00 03 {record}", message)
            for record, message in SCHEDULED_RECORD_REJECTIONS
        ),
    ],
)
def test_scheduled_request_rejections(hex_payload: str, message: str) -> None:
    with pytest.raises(IrrigationProgramError, match=message):
        decode_scheduled_request(bytes.fromhex(hex_payload))


@pytest.mark.parametrize(
    ("decode", "hex_data", "message"),
    [
        (decode_cycle_answer, "", "program list is empty"),
        (decode_cycle_answer, "02", "unknown protocol version 0x02"),
        (decode_cycle_answer, f"00 01 {CYCLE_HEX} 02", "13 bytes after the version"),
        (decode_cycle_answer, f"00 01 {CYCLE_HEX[:-3]}", "not a multiple of 12"),
        (
            decode_cycle_answer,
            f"00 05 {CYCLE_HEX} 05 {CYCLE_HEX}",
            "repeats a program id",
        ),
        (decode_cycle_answer, "00 01 01 80 01e0 04b0 000f 003c 64", "days 128"),
        (decode_scheduled_answer, "", "program list is empty"),
        (decode_scheduled_answer, "01", "unknown protocol version 0x01"),
        (decode_scheduled_answer, f"00 01 {SCHEDULED_HEX} 00", "not a multiple of 13"),
        (decode_scheduled_answer, f"00 {SCHEDULED_HEX}", "not a multiple of 13"),
        (
            decode_scheduled_answer,
            f"00 07 {SCHEDULED_HEX} 07 {SCHEDULED_HEX}",
            "repeats",
        ),
        (
            decode_scheduled_answer,
            "00 01 01e0 000f 7f 64 41 07e6 08 01 00",
            "interval_days 0",
        ),
    ],
)
def test_answer_rejections(
    decode: Callable[[bytes], object], hex_data: str, message: str
) -> None:
    with pytest.raises(IrrigationProgramError, match=message):
        decode(bytes.fromhex(hex_data))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("enabled", 1),
        ("channel", 128),
        ("channel", -1),
        ("channel", True),
        ("days", 0x80),
        ("days", 1.0),
        ("start_minute", 1440),
        ("end_minute", -1),
        ("on_minutes", 1440),
        ("off_minutes", None),
        ("water_flow_percent", 101),
    ],
)
def test_invalid_cycle_program(field: str, bad: object) -> None:
    with pytest.raises(IrrigationProgramError, match=field):
        replace(CYCLE, **{field: bad})
    # Altered after construction, it still never becomes bytes.
    altered = replace(CYCLE)
    object.__setattr__(altered, field, bad)
    with pytest.raises(IrrigationProgramError, match=field):
        encode_cycle_request(AddProgram(altered))
    with pytest.raises(IrrigationProgramError, match=field):
        encode_cycle_answer([StoredProgram(1, altered)])


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("enabled", None, "enabled"),
        ("start_minute", 1440, "start_minute"),
        ("duration_minutes", 1440, "duration_minutes"),
        ("days", 0xFF, "days"),
        ("water_flow_percent", -1, "water_flow_percent"),
        ("recurrence", 3, "unknown recurrence"),
        ("recurrence", "weekly", "unknown recurrence"),
        ("recurrence", [], "unknown recurrence"),
        ("start_date", datetime(2022, 8, 1), "start_date"),
        ("start_date", "2022-08-01", "start_date"),
        ("interval_days", 0, "interval_days"),
        ("interval_days", 32, "interval_days"),
    ],
)
def test_invalid_scheduled_program(field: str, bad: object, message: str) -> None:
    with pytest.raises(IrrigationProgramError, match=message):
        replace(SCHEDULED, **{field: bad})
    altered = replace(SCHEDULED)
    object.__setattr__(altered, field, bad)
    with pytest.raises(IrrigationProgramError, match=message):
        encode_scheduled_request(ModifyProgram(1, altered))
    with pytest.raises(IrrigationProgramError, match=message):
        encode_scheduled_answer([StoredProgram(1, altered)])


@pytest.mark.parametrize(
    "build",
    [
        lambda: StoredProgram(256, CYCLE),
        lambda: StoredProgram(-1, CYCLE),
        lambda: ModifyProgram(300, SCHEDULED),
        lambda: DeleteProgram(256),
        lambda: DeleteProgram(True),
    ],
)
def test_invalid_program_ids(build: Callable[[], object]) -> None:
    with pytest.raises(IrrigationProgramError, match="program_id"):
        build()


def test_encoders_refuse_mismatched_or_altered_values() -> None:
    with pytest.raises(IrrigationProgramError, match="not a cycle irrigation program"):
        encode_cycle_request(AddProgram(SCHEDULED))  # type: ignore[arg-type]
    with pytest.raises(
        IrrigationProgramError, match="not a scheduled irrigation program"
    ):
        encode_scheduled_answer([StoredProgram(1, CYCLE)])  # type: ignore[arg-type]
    with pytest.raises(IrrigationProgramError, match="not a cycle irrigation request"):
        encode_cycle_request(StoredProgram(1, CYCLE))  # type: ignore[arg-type]
    with pytest.raises(IrrigationProgramError, match="not a stored"):
        encode_cycle_answer([CYCLE])  # type: ignore[list-item]
    with pytest.raises(IrrigationProgramError, match="must be a sequence"):
        encode_cycle_answer(None)  # type: ignore[arg-type]
    with pytest.raises(IrrigationProgramError, match="repeats a program id"):
        encode_cycle_answer([StoredProgram(1, CYCLE), StoredProgram(1, CYCLE)])
    delete = DeleteProgram(1)
    object.__setattr__(delete, "program_id", 256)
    with pytest.raises(IrrigationProgramError, match="program_id"):
        encode_scheduled_request(delete)
    modify = ModifyProgram(1, CYCLE)
    object.__setattr__(modify, "program_id", -1)
    with pytest.raises(IrrigationProgramError, match="program_id"):
        encode_cycle_request(modify)
    stored = StoredProgram(1, SCHEDULED)
    object.__setattr__(stored, "program_id", 999)
    with pytest.raises(IrrigationProgramError, match="program_id"):
        encode_scheduled_answer([stored])


@given(requests(cycle_programs))
def test_cycle_request_round_trip(request_: CycleIrrigationRequest) -> None:
    assert decode_cycle_request(encode_cycle_request(request_)) == request_


@given(requests(scheduled_programs))
def test_scheduled_request_round_trip(request_: ScheduledIrrigationRequest) -> None:
    assert decode_scheduled_request(encode_scheduled_request(request_)) == request_


@given(stored_lists(cycle_programs))
def test_cycle_answer_round_trip(
    programs: tuple[StoredProgram[CycleIrrigationProgram], ...],
) -> None:
    assert decode_cycle_answer(encode_cycle_answer(programs)) == programs


@given(stored_lists(scheduled_programs))
def test_scheduled_answer_round_trip(
    programs: tuple[StoredProgram[ScheduledIrrigationProgram], ...],
) -> None:
    assert decode_scheduled_answer(encode_scheduled_answer(programs)) == programs


@pytest.mark.parametrize(
    "decode",
    [
        decode_cycle_request,
        decode_cycle_answer,
        decode_scheduled_request,
        decode_scheduled_answer,
    ],
)
@given(data=st.binary(max_size=64))
def test_garbage_in(decode: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(IrrigationProgramError):
        decode(data)

"""Fuzz the protocol decoders with random bytes and mutated valid encodings.

Run through ``scripts/fuzz [--count N] [--seed S]``. Each input must either decode or raise the
decoder module's own error. Anything else fails the run (exit status 1): another exception, or
an accepted value that does not come back unchanged through its encoder and decoder.
"""

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
import random
import sys
import traceback
from typing import Any, Final

from custom_components.zha_device_pack.protocol import (
    irrigation_program as ip,
    metering as se,
    thermostat_schedule as ts,
    tuya_dp as dp,
)
from tests.protocol import device_side

# Fraction of inputs that are pure random bytes, then valid encodings left as they are; the rest
# are valid encodings mutated, so both the accepted and the rejected paths get exercised.
RANDOM_SHARE = 0.25
VALID_SHARE = 0.15
MAX_RANDOM_LENGTH = 48


@dataclass(frozen=True, slots=True)
class DecoderTarget:
    """A decoder, the encoder it inverts, its module error and a source of valid values."""

    name: str
    decode: Callable[[bytes], object]
    encode: Callable[[Any], bytes]
    error: type[Exception]
    sample: Callable[[random.Random], object]


@dataclass(slots=True)
class FuzzResult:
    """Counts for one decoder."""

    name: str
    inputs: int = 0
    accepted: int = 0
    rejected: int = 0
    other_exceptions: int = 0
    round_trip_failures: int = 0
    first_failure: str | None = None

    @property
    def failed(self) -> bool:
        """Whether any input broke the contract."""
        return bool(self.other_exceptions or self.round_trip_failures)


def _edge(rng: random.Random, low: int, high: int) -> int:
    """Mostly uniform, with the bounds over-represented."""
    roll = rng.random()
    if roll < 0.1:
        return low
    if roll < 0.2:
        return high
    return rng.randint(low, high)


def random_cycle_program(rng: random.Random) -> ip.CycleIrrigationProgram:
    """Build a valid DP16 program."""
    return ip.CycleIrrigationProgram(
        enabled=rng.random() < 0.5,
        channel=_edge(rng, 0, ip.MAX_CHANNEL),
        days=ip.Weekday(_edge(rng, 0, ip.Weekday.EVERY_DAY)),
        start_minute=_edge(rng, 0, ip.MAX_MINUTE_OF_DAY),
        end_minute=_edge(rng, 0, ip.MAX_MINUTE_OF_DAY),
        on_minutes=_edge(rng, 0, ip.MAX_PROGRAM_MINUTES),
        off_minutes=_edge(rng, 0, ip.MAX_PROGRAM_MINUTES),
        water_flow_percent=_edge(rng, 0, ip.MAX_WATER_FLOW_PERCENT),
    )


def random_scheduled_program(rng: random.Random) -> ip.ScheduledIrrigationProgram:
    """Build a valid DP17 program."""
    return ip.ScheduledIrrigationProgram(
        enabled=rng.random() < 0.5,
        start_minute=_edge(rng, 0, ip.MAX_MINUTE_OF_DAY),
        duration_minutes=_edge(rng, 0, ip.MAX_PROGRAM_MINUTES),
        days=ip.Weekday(_edge(rng, 0, ip.Weekday.EVERY_DAY)),
        water_flow_percent=_edge(rng, 0, ip.MAX_WATER_FLOW_PERCENT),
        recurrence=rng.choice(list(ip.Recurrence)),
        start_date=date.fromordinal(_edge(rng, 1, date.max.toordinal())),
        interval_days=_edge(rng, ip.MIN_INTERVAL_DAYS, ip.MAX_INTERVAL_DAYS),
    )


def _random_list[P: (ip.CycleIrrigationProgram, ip.ScheduledIrrigationProgram)](
    rng: random.Random, make: Callable[[random.Random], P]
) -> tuple[ip.StoredProgram[P], ...]:
    program_ids = rng.sample(range(ip.MAX_PROGRAM_ID + 1), rng.randint(0, 4))
    return tuple(ip.StoredProgram(program_id, make(rng)) for program_id in program_ids)


def _random_request[P: (ip.CycleIrrigationProgram, ip.ScheduledIrrigationProgram)](
    rng: random.Random, make: Callable[[random.Random], P]
) -> ip.QueryPrograms | ip.AddProgram[P] | ip.ModifyProgram[P] | ip.DeleteProgram:
    match rng.randrange(4):
        case 0:
            return ip.QueryPrograms()
        case 1:
            return ip.AddProgram(make(rng))
        case 2:
            return ip.ModifyProgram(_edge(rng, 0, ip.MAX_PROGRAM_ID), make(rng))
    return ip.DeleteProgram(_edge(rng, 0, ip.MAX_PROGRAM_ID))


def random_dp_report(rng: random.Random) -> dp.DpReport:
    """Build a valid 0xD040 report of any DP."""
    match rng.randrange(7):
        case 0:
            return dp.FaultReport(_edge(rng, 0, dp.MAX_FAULT))
        case 1:
            return dp.WeatherDelayReport(rng.choice(list(dp.WeatherDelay)))
        case 2:
            return dp.IrrigationTimeReport(_edge(rng, 0, dp.MAX_DURATION_SECONDS))
        case 3:
            return dp.WorkStateReport(rng.choice(list(dp.WorkState)))
        case 4:
            return dp.OnceUsingTimeReport(_edge(rng, 0, dp.MAX_DURATION_SECONDS))
        case 5:
            return dp.CycleIrrigationReport(_random_list(rng, random_cycle_program))
    return dp.ScheduledIrrigationReport(_random_list(rng, random_scheduled_program))


def random_irrigation_setting(rng: random.Random) -> dp.IrrigationSettingCommand:
    """Build a valid 0xFE command."""
    if rng.random() < 0.5:
        return dp.WeatherDelayCommand(rng.choice(list(dp.WeatherDelay)))
    return dp.IrrigationTimeCommand(_edge(rng, 0, dp.MAX_DURATION_SECONDS))


def random_day_schedule(rng: random.Random) -> tuple[int, ts.DaySchedule]:
    """Build a valid GetWeeklyScheduleResponse: days and up to 6 increasing transitions."""
    count = _edge(rng, 0, ts.MAX_DAILY_TRANSITIONS)
    times = sorted(rng.sample(range(ts.MAX_MINUTE_OF_DAY + 1), count))
    return _edge(rng, 1, ts.EVERY_DAY), tuple(
        ts.Transition(minutes, _edge(rng, ts.MIN_SETPOINT, ts.MAX_SETPOINT))
        for minutes in times
    )


def random_profile_response(rng: random.Random) -> se.ProfileResponse:
    """Build a valid GetProfileResponse, often with fewer intervals than announced."""
    announced = _edge(rng, 0, se.UINT8_MAX)
    count = _edge(rng, 0, min(announced, 24))
    return se.ProfileResponse(
        end_time=_edge(rng, 0, se.UINT32_MAX),
        status=rng.choice(list(se.ProfileStatus)),
        interval_period=rng.choice(list(se.ProfileIntervalPeriod)),
        number_of_periods_announced=announced,
        intervals=tuple(
            None if rng.random() < 0.1 else _edge(rng, 0, se.INVALID_INTERVAL - 1)
            for _ in range(count)
        ),
    )


def random_fast_poll_mode_response(rng: random.Random) -> se.FastPollModeResponse:
    """Build a valid RequestFastPollModeResponse."""
    return se.FastPollModeResponse(
        _edge(rng, 0, se.UINT8_MAX), _edge(rng, 0, se.UINT32_MAX)
    )


def random_mirror_endpoint(rng: random.Random) -> int:
    """Build a valid mirror EndPointID: an endpoint 0x01-0xF0, or 0xFFFF (none)."""
    if rng.random() < 0.2:
        return se.MIRROR_NOT_POSSIBLE
    return _edge(rng, se.FIRST_MIRROR_ENDPOINT, se.LAST_MIRROR_ENDPOINT)


TARGETS: tuple[DecoderTarget, ...] = (
    DecoderTarget(
        "tuya_dp.decode_dp_report",
        dp.decode_dp_report,
        device_side.encode_dp_report,
        dp.TuyaDpError,
        random_dp_report,
    ),
    DecoderTarget(
        "tuya_device_side.decode_irrigation_setting",
        device_side.decode_irrigation_setting,
        dp.encode_irrigation_setting,
        dp.TuyaDpError,
        random_irrigation_setting,
    ),
    DecoderTarget(
        "irrigation_program.decode_cycle_request",
        device_side.decode_cycle_request,
        ip.encode_cycle_request,
        ip.IrrigationProgramError,
        lambda rng: _random_request(rng, random_cycle_program),
    ),
    DecoderTarget(
        "irrigation_program.decode_cycle_answer",
        ip.decode_cycle_answer,
        ip.encode_cycle_answer,
        ip.IrrigationProgramError,
        lambda rng: _random_list(rng, random_cycle_program),
    ),
    DecoderTarget(
        "irrigation_program.decode_scheduled_request",
        device_side.decode_scheduled_request,
        ip.encode_scheduled_request,
        ip.IrrigationProgramError,
        lambda rng: _random_request(rng, random_scheduled_program),
    ),
    DecoderTarget(
        "irrigation_program.decode_scheduled_answer",
        ip.decode_scheduled_answer,
        ip.encode_scheduled_answer,
        ip.IrrigationProgramError,
        lambda rng: _random_list(rng, random_scheduled_program),
    ),
    DecoderTarget(
        "thermostat_schedule.decode_schedule_payload",
        ts.decode_schedule_payload,
        device_side.encode_weekly_schedule_response,
        ts.ScheduleDecodeError,
        random_day_schedule,
    ),
    DecoderTarget(
        "metering.decode_get_profile_response",
        se.decode_get_profile_response,
        device_side.encode_get_profile_response,
        se.MeteringError,
        random_profile_response,
    ),
    DecoderTarget(
        "metering.decode_fast_poll_mode_response",
        se.decode_fast_poll_mode_response,
        device_side.encode_fast_poll_mode_response,
        se.MeteringError,
        random_fast_poll_mode_response,
    ),
    DecoderTarget(
        "metering.decode_request_mirror",
        se.decode_request_mirror,
        lambda _: se.encode_request_mirror(),
        se.MeteringError,
        lambda _: None,
    ),
    DecoderTarget(
        "metering.decode_remove_mirror",
        se.decode_remove_mirror,
        lambda _: se.encode_remove_mirror(),
        se.MeteringError,
        lambda _: None,
    ),
    DecoderTarget(
        "metering.decode_request_mirror_response",
        se.decode_request_mirror_response,
        se.encode_request_mirror_response,
        se.MeteringError,
        random_mirror_endpoint,
    ),
    DecoderTarget(
        "metering.decode_mirror_removed",
        se.decode_mirror_removed,
        se.encode_mirror_removed,
        se.MeteringError,
        random_mirror_endpoint,
    ),
)

#: The targets defined here; ``run`` adds the Smart Energy ones unless a test replaced these.
_BUILT_IN: Final = TARGETS


def mutate(rng: random.Random, data: bytes) -> bytes:
    """Apply one to three bit flips, truncations, extensions, byte sets or deletions."""
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        operation = rng.randrange(5)
        if operation == 2 or not mutated:
            mutated += rng.randbytes(rng.randint(1, 13))
        elif operation == 0:
            mutated[rng.randrange(len(mutated))] ^= 1 << rng.randrange(8)
        elif operation == 1:
            del mutated[rng.randrange(len(mutated)) :]
        elif operation == 3:
            mutated[rng.randrange(len(mutated))] = rng.choice(
                (0x00, 0x7F, 0x80, 0xFF, rng.randrange(256))
            )
        else:
            start = rng.randrange(len(mutated))
            del mutated[start : start + rng.randint(1, 4)]
    return bytes(mutated)


def fuzz_decoder(target: DecoderTarget, count: int, seed: int) -> FuzzResult:
    """Feed one decoder count inputs, reproducibly from seed, and count what happened."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fuzzing, not cryptography
    result = FuzzResult(target.name)
    for _ in range(count):
        roll = rng.random()
        expected: object = None
        if roll < RANDOM_SHARE:
            data = rng.randbytes(rng.randrange(MAX_RANDOM_LENGTH))
        else:
            sample = target.sample(rng)
            data = target.encode(sample)
            if roll < RANDOM_SHARE + VALID_SHARE:
                expected = sample
            else:
                data = mutate(rng, data)
        result.inputs += 1
        try:
            decoded = target.decode(data)
        except target.error:
            result.rejected += 1
            continue
        except Exception:  # noqa: BLE001 - counting every other exception is the point
            result.other_exceptions += 1
            _note_failure(result, data, traceback.format_exc())
            continue
        result.accepted += 1
        if expected is not None and decoded != expected:
            result.round_trip_failures += 1
            _note_failure(
                result, data, f"decoded {decoded!r}, encoded from {expected!r}"
            )
            continue
        try:
            again = target.decode(target.encode(decoded))
        except Exception:  # noqa: BLE001 - an accepted value must re-encode
            result.round_trip_failures += 1
            _note_failure(result, data, traceback.format_exc())
            continue
        if again != decoded:
            result.round_trip_failures += 1
            _note_failure(result, data, f"{decoded!r} came back as {again!r}")
    return result


def _note_failure(result: FuzzResult, data: bytes, detail: str) -> None:
    if result.first_failure is None:
        result.first_failure = f"input {data.hex()}:\n{detail}"


def smart_energy_targets() -> tuple[DecoderTarget, ...]:
    """Return the Price, DRLC and Messaging decoders' targets.

    Their modules import ``DecoderTarget`` from this one, so they are imported here, late.
    """
    from . import fuzz_se_drlc, fuzz_se_messaging, fuzz_se_price

    return (
        *fuzz_se_price.TARGETS,
        *fuzz_se_drlc.TARGETS,
        *fuzz_se_messaging.TARGETS,
    )


def run(count: int, seed: int) -> list[FuzzResult]:
    """Fuzz every decoder with count inputs, reproducibly from seed."""
    targets = (
        TARGETS if TARGETS is not _BUILT_IN else (*TARGETS, *smart_energy_targets())
    )
    return [fuzz_decoder(target, count, seed) for target in targets]


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: print the counts, exit 1 on any failure."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--count", type=int, default=100_000, help="inputs per decoder")
    parser.add_argument(
        "--seed", type=int, default=None, help="random seed (default: random)"
    )
    args = parser.parse_args(argv)
    seed = (
        args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    )
    _say(f"seed {seed}, {args.count} inputs per decoder")
    results = run(args.count, seed)
    header = f"{'decoder':<45}{'inputs':>9}{'accepted':>10}{'rejected':>10}{'other exc':>11}{'round-trip fail':>17}"
    _say(header)
    for result in results:
        _say(
            f"{result.name:<45}{result.inputs:>9}{result.accepted:>10}{result.rejected:>10}"
            f"{result.other_exceptions:>11}{result.round_trip_failures:>17}"
        )
    failed = [result for result in results if result.failed]
    for result in failed:
        _say(f"\nFAILED {result.name}: first failure on {result.first_failure}")
    return 1 if failed else 0


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


if __name__ == "__main__":
    sys.exit(main())

"""Tests of the Smart Energy Price codec (reference = smart_energy_reference.md).

The reference has no captured Price frame, and neither have seeds 001 and 002: every vector
below is built by hand from the reference's §3.2 field tables (sizes, order, nibble layout),
with the length of each variant checked against the sizes the reference quotes (EXG's 28-byte
minimum, TI's 34-byte SE 1.0 draft frame) and the Digi X2's "not used" defaults (seed 002
l.143). Values are asymmetric (no two bytes of a field alike) so a byte-order or field-order
bug changes the bytes.
"""

from dataclasses import replace
from decimal import Decimal

from homeassistant.generated.currencies import ACTIVE_CURRENCIES
from hypothesis import given, strategies as st
import pytest

from custom_components.zha_device_pack.protocol.se_price import (
    DURATION_UNTIL_CHANGED,
    MAX_TIER,
    SE10_DRAFT_FIELD_COUNT,
    SE10_FIELD_COUNT,
    SE11_FIELD_COUNT,
    SE12A_FIELD_COUNT,
    UINT32_MAX,
    AlternateCostUnit,
    GetCurrentPrice,
    GetCurrentPriceOptions,
    GetScheduledPrices,
    PriceAcknowledgement,
    PriceClientToServer,
    PriceControl,
    PriceError,
    PriceServerToClient,
    PriceTier,
    PublishPrice,
    UnitOfMeasure,
    acknowledge,
    block_price_attribute_id,
    currency_alpha_code,
    currency_numeric_code,
    current_price,
    decode_get_current_price,
    decode_get_scheduled_prices,
    decode_price_acknowledgement,
    decode_publish_price,
    encode_get_current_price,
    encode_get_scheduled_prices,
    encode_price_acknowledgement,
    encode_publish_price,
    price_from_decimal,
    price_to_decimal,
    price_unit,
    scheduled_prices,
    tier_fields,
)
from tests.protocol.strategies_se_price import (
    get_current_prices,
    get_scheduled_prices,
    price_acknowledgements,
    publish_prices,
)

KWH = UnitOfMeasure.KILOWATT_HOURS
ACK = PriceControl.ACKNOWLEDGEMENT_REQUIRED
KG_CO2 = AlternateCostUnit.KG_CO2_PER_UNIT_OF_MEASURE

# 2024-01-01 15:00:00 UTC = 757436400 s after 2000-01-01 = 0x2d258ff0 (as in test_metering).
T_15H = 757_436_400
T_15H_HEX = "f08f252d"
# 15:00:10 = 0x2d258ffa; 16:00:00 = 0x2d259e00.
T_NOW = T_15H + 10
T_NOW_HEX = "fa8f252d"
T_16H = T_15H + 3600
T_16H_HEX = "009e252d"


def _hex(*fields: str) -> bytes:
    return bytes.fromhex("".join(fields))


# --- command ids (reference §3.2) ---------------------------------------------------------------


def test_command_ids() -> None:
    # Client -> server: WS 1288-1326, SL 1579-1940 (the reference's tables).
    assert PriceClientToServer.GET_CURRENT_PRICE == 0x00
    assert PriceClientToServer.GET_SCHEDULED_PRICES == 0x01
    assert PriceClientToServer.PRICE_ACKNOWLEDGEMENT == 0x02
    assert PriceClientToServer.GET_TARIFF_CANCELLATION == 0x10
    assert len(PriceClientToServer) == 0x11
    assert PriceServerToClient.PUBLISH_PRICE == 0x00
    assert PriceServerToClient.PUBLISH_BLOCK_PERIOD == 0x01
    assert PriceServerToClient.CANCEL_TARIFF == 0x0E
    assert len(PriceServerToClient) == 0x0F


# --- PublishPrice vectors (reference §3.2) ------------------------------------------------------

# SE 1.0, mandatory fields 1-11 only, empty rate label: 28 bytes, EXG's
# ZCL_PRICE_PUBLISH_MIN_SIZE (reference §3.2). Hand-built from the field table.
SE10_MANDATORY = _hex(
    "78563412",  # 1 ProviderID 0x12345678
    "00",  # 2 RateLabel "" (length 0)
    "0d0c0b0a",  # 3 IssuerEventID 0x0a0b0c0d
    T_NOW_HEX,  # 4 CurrentTime
    "01",  # 5 UnitOfMeasure m³
    "3a03",  # 6 Currency 826 = 0x033a GBP
    "51",  # 7 trailing digits 5 (high nibble), tier 1 (low)
    "43",  # 8 4 price tiers (high nibble), register tier 3 (low)
    "00000000",  # 9 StartTime 0 = now
    "ffff",  # 10 DurationInMinutes until changed
    "40e20100",  # 11 Price 123456 = 0x0001e240 -> 1.23456 GBP/m³
)
SE10_MANDATORY_PRICE = PublishPrice(
    provider_id=0x12345678,
    rate_label="",
    issuer_event_id=0x0A0B0C0D,
    current_time=T_NOW,
    unit_of_measure=UnitOfMeasure.CUBIC_METERS,
    currency=826,
    price_trailing_digit=5,
    price_tier=PriceTier.TIER_1,
    number_of_price_tiers=4,
    register_tier=3,
    start_time=0,
    duration_minutes=DURATION_UNTIL_CHANGED,
    price=123456,
    field_count=11,
)

# TI's 2007-09 SE 1.0 draft frame: fields 1-14, PACKET_LEN_SE_PUBLISH_PRICE 34 with an empty
# label (reference §3.2). Hand-built.
SE10_DRAFT = _hex(
    "0df0feca",  # 1 ProviderID 0xcafef00d
    "00",  # 2 RateLabel ""
    T_15H_HEX,  # 3 IssuerEventID, a UTC stamp as the reference says is common
    T_NOW_HEX,  # 4 CurrentTime
    "00",  # 5 kWh
    "4803",  # 6 Currency 840 = 0x0348 USD
    "32",  # 7 3 trailing digits, tier 2
    "21",  # 8 2 tiers, register tier 1
    T_16H_HEX,  # 9 StartTime 16:00
    "3c00",  # 10 60 minutes
    "7d000000",  # 11 Price 125 -> 0.125 USD/kWh
    "0f",  # 12 PriceRatio 15 tenths = 1.5
    "b80b0000",  # 13 GenerationPrice 3000 = 0x0bb8 -> 3.000
    "ff",  # 14 GenerationPriceRatio not used
)
SE10_DRAFT_PRICE = PublishPrice(
    provider_id=0xCAFEF00D,
    rate_label="",
    issuer_event_id=T_15H,
    current_time=T_NOW,
    unit_of_measure=KWH,
    currency=840,
    price_trailing_digit=3,
    price_tier=PriceTier.TIER_2,
    number_of_price_tiers=2,
    register_tier=1,
    start_time=T_16H,
    duration_minutes=60,
    price=125,
    price_ratio=15,
    generation_price=3000,
    field_count=14,
)

# SE 1.1, fields 1-19, what NXP and the Digi X2 send, with the X2's PublishPriceRecord defaults
# for fields 12-17 (seed 002 l.143: price_ratio 0xFF, generation_price 0xFFFFFFFF,
# generation_price_ratio 0xFF, alternate_cost_delivered 0xFFFFFFFF, alternate_cost_unit 0x01,
# alternate_cost_trailing_digit 0xFF). Hand-built.
DIGI_SE11 = _hex(
    "78563412",  # 1 ProviderID 0x12345678
    "045065616b",  # 2 RateLabel "Peak"
    T_15H_HEX,  # 3 IssuerEventID
    T_NOW_HEX,  # 4 CurrentTime
    "00",  # 5 kWh
    "d203",  # 6 Currency 978 = 0x03d2 EUR
    "42",  # 7 4 trailing digits, tier 2
    "32",  # 8 3 tiers, register tier 2
    T_16H_HEX,  # 9 StartTime 16:00
    "b400",  # 10 180 minutes = 0x00b4
    "29090000",  # 11 Price 2345 = 0x0929 -> 0.2345 EUR/kWh
    "ff",  # 12 PriceRatio: Digi default, not used
    "ffffffff",  # 13 GenerationPrice: not used
    "ff",  # 14 GenerationPriceRatio: not used
    "ffffffff",  # 15 AlternateCostDelivered: not used
    "01",  # 16 AlternateCostUnit: kg CO2 (Digi's default)
    "ff",  # 17 AlternateCostTrailingDigit: Digi's default 0xff
    "03",  # 18 NumberOfBlockThresholds 3
    "01",  # 19 PriceControl: acknowledgement required
)
DIGI_SE11_PRICE = PublishPrice(
    provider_id=0x12345678,
    rate_label="Peak",
    issuer_event_id=T_15H,
    current_time=T_NOW,
    unit_of_measure=KWH,
    currency=978,
    price_trailing_digit=4,
    price_tier=PriceTier.TIER_2,
    number_of_price_tiers=3,
    register_tier=2,
    start_time=T_16H,
    duration_minutes=180,
    price=2345,
    alternate_cost_unit=KG_CO2,
    alternate_cost_trailing_digit=15,
    number_of_block_thresholds=3,
    price_control=ACK,
    field_count=19,
)

# SE 1.2a, all 24 fields: tier 20 and 24 tiers through the extended fields (nibble 0xF,
# extended = tier - 15), a UTF-8 label with a 3-byte character. Hand-built.
SE12A_FULL = _hex(
    "04030201",  # 1 ProviderID 0x01020304
    "084e75697420e282ac",  # 2 RateLabel "Nuit €": 5 ASCII bytes + e2 82 ac
    "efbeadde",  # 3 IssuerEventID 0xdeadbeef
    T_NOW_HEX,  # 4 CurrentTime
    "00",  # 5 kWh
    "f402",  # 6 Currency 756 = 0x02f4 CHF
    "2f",  # 7 2 trailing digits, tier nibble 0xF -> field 23
    "f5",  # 8 tiers nibble 0xF -> field 22, register tier 5
    T_16H_HEX,  # 9 StartTime
    "a005",  # 10 1440 minutes = 0x05a0
    "1f000000",  # 11 Price 31 -> 0.31 CHF/kWh
    "0a",  # 12 PriceRatio 1.0
    "0c000000",  # 13 GenerationPrice 12 -> 0.12
    "fe",  # 14 GenerationPriceRatio 25.4
    "f4010000",  # 15 AlternateCostDelivered 500 = 0x01f4
    "01",  # 16 kg CO2
    "30",  # 17 3 trailing digits -> 0.500 kg CO2/kWh
    "00",  # 18 no block thresholds
    "02",  # 19 PriceControl: total tiers exceed 15
    "02",  # 20 NumberOfGenerationTiers 2
    "01",  # 21 GenerationTier 1
    "09",  # 22 ExtendedNumberOfPriceTiers 9 -> 24 tiers
    "05",  # 23 ExtendedPriceTier 5 -> tier 20
    "00",  # 24 ExtendedRegisterTier 0 -> the nibble (5)
)
SE12A_FULL_PRICE = PublishPrice(
    provider_id=0x01020304,
    rate_label="Nuit €",
    issuer_event_id=0xDEADBEEF,
    current_time=T_NOW,
    unit_of_measure=KWH,
    currency=756,
    price_trailing_digit=2,
    price_tier=PriceTier.TIER_15,
    number_of_price_tiers=15,
    register_tier=5,
    start_time=T_16H,
    duration_minutes=1440,
    price=31,
    price_ratio=10,
    generation_price=12,
    generation_price_ratio=254,
    alternate_cost_delivered=500,
    alternate_cost_unit=KG_CO2,
    alternate_cost_trailing_digit=3,
    number_of_block_thresholds=0,
    price_control=PriceControl.TOTAL_TIERS_EXCEED_15,
    number_of_generation_tiers=2,
    generation_tier=1,
    extended_number_of_price_tiers=9,
    extended_price_tier=5,
    extended_register_tier=0,
    field_count=24,
)

# The Digi frame as this codec sends it: the reserved low nibble of field 17 goes out as 0.
DIGI_SE11_REENCODED = DIGI_SE11[:-3] + b"\xf0" + DIGI_SE11[-2:]


@pytest.mark.parametrize(
    ("frame", "price", "size"),
    [
        pytest.param(SE10_MANDATORY, SE10_MANDATORY_PRICE, 28, id="se10-mandatory"),
        pytest.param(SE10_DRAFT, SE10_DRAFT_PRICE, 34, id="se10-ti-draft"),
        pytest.param(DIGI_SE11, DIGI_SE11_PRICE, 32 + 12 + 2, id="digi-se11"),
        pytest.param(SE12A_FULL, SE12A_FULL_PRICE, 28 + 8 + 12 + 2 + 5, id="se12a"),
    ],
)
def test_publish_price_vectors(frame: bytes, price: PublishPrice, size: int) -> None:
    assert len(frame) == size
    assert decode_publish_price(frame) == price


@pytest.mark.parametrize(
    ("price", "frame"),
    [
        pytest.param(SE10_MANDATORY_PRICE, SE10_MANDATORY, id="se10-mandatory"),
        pytest.param(SE10_DRAFT_PRICE, SE10_DRAFT, id="se10-ti-draft"),
        pytest.param(DIGI_SE11_PRICE, DIGI_SE11_REENCODED, id="digi-se11"),
        pytest.param(SE12A_FULL_PRICE, SE12A_FULL, id="se12a"),
    ],
)
def test_publish_price_encodes(price: PublishPrice, frame: bytes) -> None:
    assert encode_publish_price(price) == frame


def test_publish_price_values() -> None:
    assert SE10_MANDATORY_PRICE.price_decimal == Decimal("1.23456")
    assert SE10_MANDATORY_PRICE.generation_price_decimal is None
    assert DIGI_SE11_PRICE.price_decimal == Decimal("0.2345")
    assert price_unit(DIGI_SE11_PRICE.currency, DIGI_SE11_PRICE.unit_of_measure) == (
        "EUR/kWh"
    )
    assert SE10_DRAFT_PRICE.generation_price_decimal == Decimal("3.000")
    # Tier 20 of 24, register tier 5 (ExtendedRegisterTier 0: the nibble counts).
    assert SE12A_FULL_PRICE.effective_price_tier == 20
    assert SE12A_FULL_PRICE.effective_number_of_price_tiers == 24
    assert SE12A_FULL_PRICE.effective_register_tier == 5
    assert DIGI_SE11_PRICE.effective_price_tier == 2


def test_acknowledgement_required_only_with_bit_0() -> None:
    assert DIGI_SE11_PRICE.acknowledgement_required
    assert not SE12A_FULL_PRICE.acknowledgement_required
    # An SE 1.0 frame has no PriceControl: no acknowledgement (an SE 1.1 command) is due.
    assert not SE10_MANDATORY_PRICE.acknowledgement_required


def test_start_now_and_until_changed() -> None:
    # §6: start time 0 = now, the receiver takes its receive time; 0xFFFF = until changed.
    assert SE10_MANDATORY_PRICE.starts_at(T_NOW) == T_NOW
    assert SE10_MANDATORY_PRICE.ends_at(T_NOW) is None
    assert DIGI_SE11_PRICE.starts_at(T_NOW) == T_16H
    assert DIGI_SE11_PRICE.ends_at(T_NOW) == T_16H + 180 * 60
    now_for_an_hour = replace(DIGI_SE11_PRICE, start_time=0, duration_minutes=60)
    assert now_for_an_hour.ends_at(T_NOW) == T_NOW + 3600


@pytest.mark.parametrize("field_count", range(11, 25))
def test_every_tail_length_decodes(field_count: int) -> None:
    # The tail is positional and parsing stops at the end of the frame (§3.2), so a frame
    # cut after any field is a valid shorter frame with the rest of the tail absent.
    sizes = [1, 4, 1, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1]  # fields 12-24
    length = 28 + 8 + sum(sizes[: field_count - 11])
    decoded = decode_publish_price(SE12A_FULL[:length])
    assert decoded.field_count == field_count
    assert encode_publish_price(decoded) == SE12A_FULL[:length]


def test_field_count_constants() -> None:
    assert (SE10_DRAFT_FIELD_COUNT, SE10_FIELD_COUNT) == (14, 17)
    assert (SE11_FIELD_COUNT, SE12A_FIELD_COUNT) == (19, 24)


def test_default_publish_price_is_se11_with_not_used_values() -> None:
    # The default field count is 19 (§3.2: the safe choice towards older clients); unset
    # optional fields go out as "not used".
    price = PublishPrice(
        provider_id=1,
        rate_label="",
        issuer_event_id=2,
        current_time=3,
        unit_of_measure=KWH,
        currency=978,
        price_trailing_digit=0,
        price_tier=PriceTier.NO_TIER,
        number_of_price_tiers=0,
        register_tier=0,
        start_time=0,
        duration_minutes=1,
        price=4,
    )
    frame = encode_publish_price(price)
    assert len(frame) == 28 + 14
    assert frame[28:].hex() == "ff" + "ffffffff" + "ff" + "ffffffff" + "ff" + "00" * 3


def test_silabs_alternate_cost_unit_is_read_as_kg_co2() -> None:
    # §3.2 / §8: kg CO2 is 0x01 (NXP, EXG, Digi) or 0x02 (Silicon Labs): accept both, send 0x01.
    frame = bytearray(SE12A_FULL)
    frame[28 + 8 + 10] = 0x02
    decoded = decode_publish_price(bytes(frame))
    assert decoded.alternate_cost_unit is KG_CO2
    assert encode_publish_price(decoded) == SE12A_FULL


def test_reserved_price_control_bits_are_kept() -> None:
    frame = DIGI_SE11[:-1] + b"\x85"
    decoded = decode_publish_price(frame)
    assert int(decoded.price_control) == 0x85
    assert decoded.acknowledgement_required
    assert encode_publish_price(decoded)[-1] == 0x85


# --- PublishPrice rejections --------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 4, 5, 8, 20, 27])
def test_truncated_mandatory_part_is_refused(length: int) -> None:
    with pytest.raises(PriceError, match="PublishPrice"):
        decode_publish_price(SE10_MANDATORY[:length])


def test_label_longer_than_frame_is_refused() -> None:
    with pytest.raises(PriceError, match="truncated"):
        decode_publish_price(DIGI_SE11[:9])


@pytest.mark.parametrize(
    ("cut", "field"),
    [
        pytest.param(28 + 8 + 1 + 2, "field 13", id="inside-generation-price"),
        pytest.param(28 + 8 + 1 + 4 + 1 + 3, "field 15", id="inside-alternate-cost"),
    ],
)
def test_frame_ending_inside_a_field_is_refused(cut: int, field: str) -> None:
    with pytest.raises(PriceError, match=f"ends inside {field}"):
        decode_publish_price(SE12A_FULL[:cut])


def test_bytes_after_field_24_are_refused() -> None:
    with pytest.raises(PriceError, match="after its last field"):
        decode_publish_price(SE12A_FULL + b"\x00")


def _patched(frame: bytes, offset: int, value: str) -> bytes:
    patch = bytes.fromhex(value)
    return frame[:offset] + patch + frame[offset + len(patch) :]


# Offsets in SE10_MANDATORY (empty label): IssuerEventID 5, CurrentTime 9, UoM 13, Currency 14,
# StartTime 18, Duration 22. In SE12A_FULL the tail starts at 28 + 8 = 36.
_TAIL_AT = 36


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        pytest.param(
            _patched(SE10_MANDATORY, 4, "0d"), "above 12 bytes", id="label-13-bytes"
        ),
        pytest.param(
            _patched(SE10_MANDATORY, 4, "ff"),
            "above 12 bytes",
            id="label-length-0xff-invalid-string",
        ),
        pytest.param(
            # "Nuit €" with its last byte (0xac) made "A": e2 82 41 is not UTF-8.
            _patched(SE12A_FULL, 12, "41"),
            "not UTF-8",
            id="label-not-utf8",
        ),
        pytest.param(_patched(SE10_MANDATORY, 13, "80"), "BCD", id="bcd-unit"),
        pytest.param(_patched(SE10_MANDATORY, 13, "0e"), "not defined", id="unit-0x0e"),
        pytest.param(
            _patched(SE10_MANDATORY, 14, "e803"), "currency", id="currency-1000"
        ),
        pytest.param(
            _patched(SE10_MANDATORY, 18, "ffffffff"), "start time", id="start-invalid"
        ),
        pytest.param(_patched(SE10_MANDATORY, 22, "0000"), "duration", id="duration-0"),
        pytest.param(_patched(SE12A_FULL, _TAIL_AT, "00"), "ratio", id="price-ratio-0"),
        pytest.param(
            _patched(SE12A_FULL, _TAIL_AT + 5, "00"), "ratio", id="generation-ratio-0"
        ),
        pytest.param(
            _patched(SE12A_FULL, _TAIL_AT + 10, "00"),
            "alternate cost unit",
            id="alternate-cost-unit-0",
        ),
        pytest.param(
            _patched(SE12A_FULL, _TAIL_AT + 10, "03"),
            "alternate cost unit",
            id="alternate-cost-unit-3",
        ),
        pytest.param(
            _patched(SE12A_FULL, _TAIL_AT + 12, "10"),
            "block thresholds",
            id="16-block-thresholds",
        ),
        pytest.param(
            _patched(SE12A_FULL, _TAIL_AT + 14, "31"),
            "generation tiers",
            id="49-generation-tiers",
        ),
        pytest.param(
            _patched(SE12A_FULL, _TAIL_AT + 15, "31"),
            "generation tier",
            id="generation-tier-49",
        ),
        pytest.param(
            _patched(SE12A_FULL, _TAIL_AT + 17, "22"),
            "extended price tier",
            id="extended-tier-0x22",
        ),
    ],
)
def test_bad_publish_price_fields_are_refused(frame: bytes, match: str) -> None:
    with pytest.raises(PriceError, match=match):
        decode_publish_price(frame)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        pytest.param({"rate_label": "ThirteenChars"}, "13 bytes", id="label-13-ascii"),
        # 5 characters, 15 bytes: the limit is on octets.
        pytest.param({"rate_label": "€€€€€"}, "15 bytes", id="label-15-utf8-bytes"),
        pytest.param({"rate_label": "\udc80"}, "UTF-8", id="label-lone-surrogate"),
        pytest.param({"duration_minutes": 0}, "duration", id="duration-0"),
        pytest.param({"duration_minutes": 0x10000}, "duration", id="duration-over"),
        pytest.param({"start_time": 0xFFFFFFFF}, "start time", id="start-invalid"),
        pytest.param({"currency": 1000}, "currency", id="currency-4-digits"),
        pytest.param({"price": UINT32_MAX + 1}, "price", id="price-over-uint32"),
        pytest.param({"price_tier": 3}, "PriceTier", id="tier-not-enum"),
        pytest.param({"price_trailing_digit": 16}, "trailing", id="trailing-16"),
        pytest.param({"unit_of_measure": 0}, "UnitOfMeasure", id="unit-not-enum"),
        pytest.param({"price_ratio": 255}, "ratio", id="ratio-0xff-not-none"),
        pytest.param(
            {"generation_price": 0xFFFFFFFF}, "not used", id="generation-0xffffffff"
        ),
        pytest.param({"price_control": 1}, "PriceControl", id="control-not-flag"),
        pytest.param({"field_count": 10}, "field count", id="field-count-10"),
        pytest.param({"field_count": 25}, "field count", id="field-count-25"),
        pytest.param(
            {"field_count": 11, "price_ratio": 10}, "field 12", id="ratio-beyond-11"
        ),
        pytest.param({"extended_price_tier": 5}, "field 23", id="extended-beyond-19"),
    ],
)
def test_bad_publish_price_values_are_refused(
    changes: dict[str, object], match: str
) -> None:
    with pytest.raises(PriceError, match=match):
        replace(DIGI_SE11_PRICE, **changes)


def test_encoder_refuses_other_types() -> None:
    with pytest.raises(PriceError):
        encode_publish_price(GetCurrentPrice())  # type: ignore[arg-type]


# --- prices, currencies, tiers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "digits", "wire"),
    [
        pytest.param(Decimal("0.2345"), 4, 2345, id="eur-kwh"),
        pytest.param(Decimal("0.23"), 4, 2300, id="fewer-decimals"),
        pytest.param(Decimal("0.2300000"), 2, 23, id="trailing-zeros"),
        pytest.param(12, 0, 12, id="int"),
        pytest.param(Decimal(0), 15, 0, id="zero"),
        pytest.param(Decimal("429496.7295"), 4, UINT32_MAX, id="uint32-max"),
        pytest.param(Decimal("4.294967295E-6"), 15, UINT32_MAX, id="15-digits"),
    ],
)
def test_price_from_decimal(value: Decimal | int, digits: int, wire: int) -> None:
    assert price_from_decimal(value, digits) == wire
    assert price_to_decimal(wire, digits) == value


@pytest.mark.parametrize(
    ("value", "digits", "match"),
    [
        pytest.param(Decimal("0.12345"), 4, "more than 4 digits", id="too-precise"),
        pytest.param(Decimal("0.5"), 0, "more than 0 digits", id="no-digits"),
        pytest.param(Decimal("429496.7296"), 4, "above", id="over-uint32"),
        pytest.param(Decimal("-0.01"), 2, "negative", id="negative"),
        pytest.param(Decimal("NaN"), 2, "finite", id="nan"),
        pytest.param(Decimal("Infinity"), 2, "finite", id="infinity"),
        pytest.param(0.1, 2, "neither", id="float"),
        pytest.param(True, 2, "neither", id="bool"),
        pytest.param(Decimal(1), 16, "trailing digit", id="16-digits"),
    ],
)
def test_unrepresentable_price_is_refused(
    value: object, digits: int, match: str
) -> None:
    with pytest.raises(PriceError, match=match):
        price_from_decimal(value, digits)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("numeric", "alpha"),
    [
        (978, "EUR"),
        (840, "USD"),
        (826, "GBP"),
        (756, "CHF"),
        (752, "SEK"),
        (578, "NOK"),
        (208, "DKK"),
        (985, "PLN"),
        (203, "CZK"),
        (36, "AUD"),
        (554, "NZD"),
        (124, "CAD"),
        (392, "JPY"),
    ],
)
def test_currency_codes(numeric: int, alpha: str) -> None:
    assert currency_alpha_code(numeric) == alpha
    assert currency_numeric_code(alpha) == numeric
    assert currency_numeric_code(alpha.lower()) == numeric


def test_every_known_currency_is_one_home_assistant_takes() -> None:
    for numeric in range(1000):
        try:
            alpha = currency_alpha_code(numeric)
        except PriceError:
            continue
        assert alpha in ACTIVE_CURRENCIES
        assert currency_numeric_code(alpha) == numeric


@pytest.mark.parametrize("numeric", [0, 1, 999, 1000, 0xFFFF])
def test_unknown_currency_number_is_refused(numeric: int) -> None:
    with pytest.raises(PriceError, match="currency"):
        currency_alpha_code(numeric)


@pytest.mark.parametrize("alpha", ["XYZ", "XXX", "", "EURO", 978])
def test_unknown_currency_code_is_refused(alpha: object) -> None:
    with pytest.raises(PriceError, match="currency"):
        currency_numeric_code(alpha)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("unit", "text"),
    [
        (UnitOfMeasure.KILOWATT_HOURS, "EUR/kWh"),
        (UnitOfMeasure.CUBIC_METERS, "EUR/m³"),
        (UnitOfMeasure.US_GALLONS, "EUR/gal"),
        (UnitOfMeasure.UNITLESS, "EUR"),
    ],
)
def test_price_unit(unit: UnitOfMeasure, text: str) -> None:
    assert price_unit(978, unit) == text


def test_price_unit_of_unknown_currency_is_refused() -> None:
    with pytest.raises(PriceError, match="currency"):
        price_unit(1, UnitOfMeasure.KILOWATT_HOURS)


@pytest.mark.parametrize(
    ("tier", "fields"),
    [(0, (0, 0)), (1, (1, 0)), (15, (15, 0)), (16, (15, 1)), (48, (15, 0x21))],
)
def test_tier_fields(tier: int, fields: tuple[int, int]) -> None:
    assert tier_fields(tier) == fields


@pytest.mark.parametrize("tier", range(MAX_TIER + 1))
def test_every_tier_survives_publish_price(tier: int) -> None:
    nibble, extended = tier_fields(tier)
    price = replace(
        SE12A_FULL_PRICE,
        price_tier=PriceTier(nibble),
        extended_price_tier=extended,
        register_tier=nibble,
        extended_register_tier=extended,
    )
    decoded = decode_publish_price(encode_publish_price(price))
    assert decoded.effective_price_tier == tier
    assert decoded.effective_register_tier == tier


@pytest.mark.parametrize("tier", [-1, 49, True])
def test_tier_out_of_range_is_refused(tier: int) -> None:
    with pytest.raises(PriceError):
        tier_fields(tier)


@pytest.mark.parametrize(
    ("block", "tier", "attribute"),
    [
        (1, 0, 0x0400),  # NoTierBlock1Price (§3.1)
        (16, 0, 0x040F),  # NoTierBlock16Price
        (1, 1, 0x0410),  # Tier1Block1Price
        (2, 1, 0x0411),
        (1, 2, 0x0420),
        (16, 15, 0x04FF),  # Tier15Block16Price, the end of §3.1's 0x0410-0x04FF
    ],
)
def test_block_price_attribute_id(block: int, tier: int, attribute: int) -> None:
    assert block_price_attribute_id(block, tier) == attribute


@pytest.mark.parametrize(("block", "tier"), [(0, 0), (17, 0), (1, 16), (1, -1)])
def test_block_price_attribute_out_of_range_is_refused(block: int, tier: int) -> None:
    with pytest.raises(PriceError):
        block_price_attribute_id(block, tier)


# --- GetCurrentPrice, GetScheduledPrices, PriceAcknowledgement (reference §3.2) -----------------

# The reference gives the field tables only: these vectors are hand-built from them.


@pytest.mark.parametrize(
    ("frame", "request_"),
    [
        # CommandOptions bit 0: requestor Rx on when idle (WS 1882-1887).
        pytest.param(
            "01",
            GetCurrentPrice(GetCurrentPriceOptions.REQUESTOR_RX_ON_WHEN_IDLE),
            id="rx-on-when-idle",
        ),
        pytest.param("00", GetCurrentPrice(), id="sleepy"),
    ],
)
def test_get_current_price_vectors(frame: str, request_: GetCurrentPrice) -> None:
    assert decode_get_current_price(bytes.fromhex(frame)) == request_
    assert encode_get_current_price(request_).hex() == frame


@pytest.mark.parametrize(
    ("frame", "request_"),
    [
        # StartTime 16:00, 5 events.
        pytest.param(T_16H_HEX + "05", GetScheduledPrices(T_16H, 5), id="from-16h-5"),
        # StartTime 0 = the server's now, NumberOfEvents 0 = all (§3.2, §6).
        pytest.param("0000000000", GetScheduledPrices(), id="now-all"),
    ],
)
def test_get_scheduled_prices_vectors(frame: str, request_: GetScheduledPrices) -> None:
    assert decode_get_scheduled_prices(bytes.fromhex(frame)) == request_
    assert encode_get_scheduled_prices(request_).hex() == frame


# ProviderID 0x12345678, IssuerEventID 15:00 stamp, PriceAckTime 15:00:10, Control 0x01.
ACK_FRAME = "78563412" + T_15H_HEX + T_NOW_HEX + "01"


def test_price_acknowledgement_vector() -> None:
    ack = PriceAcknowledgement(0x12345678, T_15H, T_NOW, ACK)
    assert len(bytes.fromhex(ACK_FRAME)) == 13
    assert decode_price_acknowledgement(bytes.fromhex(ACK_FRAME)) == ack
    assert encode_price_acknowledgement(ack).hex() == ACK_FRAME
    # The acknowledgement a client sends for the Digi frame, which asks for one.
    assert acknowledge(DIGI_SE11_PRICE, T_NOW) == ack


def test_reserved_bits_in_ack_and_options_are_kept() -> None:
    ack = decode_price_acknowledgement(bytes.fromhex(ACK_FRAME[:-2] + "fd"))
    assert int(ack.control) == 0xFD
    assert encode_price_acknowledgement(ack).hex()[-2:] == "fd"
    options = decode_get_current_price(b"\x81").options
    assert GetCurrentPriceOptions.REQUESTOR_RX_ON_WHEN_IDLE in options
    assert encode_get_current_price(GetCurrentPrice(options)) == b"\x81"


@pytest.mark.parametrize(
    ("decode", "frame", "match"),
    [
        pytest.param(decode_get_current_price, "", "1 bytes, got 0", id="gcp-empty"),
        pytest.param(decode_get_current_price, "0100", "got 2", id="gcp-long"),
        pytest.param(decode_get_scheduled_prices, "009e252d", "got 4", id="gsp-short"),
        pytest.param(
            decode_get_scheduled_prices, "009e252d0500", "got 6", id="gsp-long"
        ),
        pytest.param(
            decode_get_scheduled_prices, "ffffffff01", "start time", id="gsp-invalid"
        ),
        pytest.param(
            decode_price_acknowledgement, ACK_FRAME[:-2], "got 12", id="ack-short"
        ),
        pytest.param(
            decode_price_acknowledgement, ACK_FRAME + "00", "got 14", id="ack-long"
        ),
    ],
)
def test_bad_requests_are_refused(decode: object, frame: str, match: str) -> None:
    assert callable(decode)
    with pytest.raises(PriceError, match=match):
        decode(bytes.fromhex(frame))


@pytest.mark.parametrize(
    "build",
    [
        lambda: GetCurrentPrice(1),  # type: ignore[arg-type]
        lambda: GetCurrentPrice(GetCurrentPriceOptions(0x100)),
        lambda: GetScheduledPrices(-1, 0),
        lambda: GetScheduledPrices(0, 256),
        lambda: PriceAcknowledgement(UINT32_MAX + 1, 0, 0),
        lambda: PriceAcknowledgement(0, 0, 0, 1),  # type: ignore[arg-type]
    ],
)
def test_bad_request_values_are_refused(build: object) -> None:
    assert callable(build)
    with pytest.raises(PriceError):
        build()


# --- the server's answers (reference §3.2 "ESI server behaviour", §6) ---------------------------


def _stored(issuer: int, start: int, minutes: int) -> PublishPrice:
    return replace(
        DIGI_SE11_PRICE,
        issuer_event_id=issuer,
        start_time=start,
        duration_minutes=minutes,
    )


MORNING = _stored(1, T_15H - 7200, 120)  # 13:00-15:00
AFTERNOON = _stored(2, T_15H, 60)  # 15:00-16:00
EVENING = _stored(3, T_16H, 240)  # 16:00-20:00
FOREVER = _stored(4, T_16H + 4 * 3600, DURATION_UNTIL_CHANGED)  # 20:00-until changed
OVERRIDE = _stored(9, T_15H + 1800, 15)  # 15:30-15:45, newer than AFTERNOON


def test_current_price() -> None:
    prices = [EVENING, MORNING, AFTERNOON, FOREVER, OVERRIDE]
    assert current_price(prices, T_15H - 1) is MORNING
    assert current_price(prices, T_15H) is AFTERNOON  # MORNING ended: end is exclusive
    assert current_price(prices, T_15H + 1800) is OVERRIDE  # larger issuer id wins
    assert current_price(prices, T_15H + 2700) is AFTERNOON
    assert current_price(prices, T_16H + 10**6) is FOREVER
    assert current_price(prices, T_15H - 7201) is None  # NOT_FOUND
    assert current_price([], T_15H) is None


def test_scheduled_prices() -> None:
    prices = [FOREVER, EVENING, OVERRIDE, AFTERNOON, MORNING]
    # 0 = now, all: every price ending at or after now, earliest start first.
    assert scheduled_prices(prices, GetScheduledPrices(), T_15H) == (
        MORNING,  # ends exactly at 15:00: StartTime + Duration >= StartTime
        AFTERNOON,
        OVERRIDE,
        EVENING,
        FOREVER,
    )
    assert scheduled_prices(prices, GetScheduledPrices(T_16H, 2), T_15H) == (
        AFTERNOON,
        EVENING,
    )
    assert scheduled_prices(prices, GetScheduledPrices(T_16H + 10**6, 0), 0) == (
        FOREVER,
    )
    assert scheduled_prices([MORNING], GetScheduledPrices(), T_16H) == ()


def test_stored_price_must_have_a_real_start() -> None:
    with pytest.raises(PriceError, match="real start"):
        current_price([SE10_MANDATORY_PRICE], T_15H)


# --- round trips and garbage (hypothesis) -------------------------------------------------------


@given(publish_prices())
def test_publish_price_round_trip(price: PublishPrice) -> None:
    assert decode_publish_price(encode_publish_price(price)) == price


@given(get_current_prices)
def test_get_current_price_round_trip(request_: GetCurrentPrice) -> None:
    assert decode_get_current_price(encode_get_current_price(request_)) == request_


@given(get_scheduled_prices)
def test_get_scheduled_prices_round_trip(request_: GetScheduledPrices) -> None:
    assert (
        decode_get_scheduled_prices(encode_get_scheduled_prices(request_)) == request_
    )


@given(price_acknowledgements)
def test_price_acknowledgement_round_trip(ack: PriceAcknowledgement) -> None:
    assert decode_price_acknowledgement(encode_price_acknowledgement(ack)) == ack


@given(st.integers(0, UINT32_MAX), st.integers(0, 15))
def test_price_decimal_round_trip(wire: int, digits: int) -> None:
    assert price_from_decimal(price_to_decimal(wire, digits), digits) == wire


@given(data=st.binary(max_size=64))
def test_garbage_is_decoded_or_refused(data: bytes) -> None:
    for decode, encode in (
        (decode_publish_price, encode_publish_price),
        (decode_get_current_price, encode_get_current_price),
        (decode_get_scheduled_prices, encode_get_scheduled_prices),
        (decode_price_acknowledgement, encode_price_acknowledgement),
    ):
        try:
            decoded = decode(data)
        except PriceError:
            continue
        assert decode(encode(decoded)) == decoded

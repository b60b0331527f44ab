"""Tests of the Price server attributes an ESI serves: block thresholds, block prices, units.

Attribute ids and types from the Smart Energy wire reference §3.1 (Block*N*Threshold
0x0100-0x010E uint48, ThresholdMultiplier/Divisor 0x0202/0x0203 uint24, NoTierBlock*N*Price
0x0400-0x040F and Tier*T*Block*N*Price 0x0410-0x04FF uint32, NumberOfPriceTiersInUse /
NumberOfBlockThresholdsInUse 0x0611/0x0612 uint8, TierBlockMode 0x0613 enum8, UnitOfMeasure
0x0615 enum8, Currency 0x0616 uint16, PriceTrailingDigit 0x0617 map8 high nibble, tier labels
0x0000+ octstr "Tier N"). Values asymmetric, so a swapped block or byte order shows.
"""

from decimal import Decimal

from hypothesis import given, strategies as st
import pytest

from custom_components.zha_device_pack.protocol.se_price import (
    MAX_BLOCK_THRESHOLDS,
    UINT32_MAX,
    UINT48_MAX,
    BlockPrices,
    PriceError,
    PriceTier,
    PublishPrice,
    TierBlockMode,
    UnitOfMeasure,
    ZclType,
    block_price_attribute_id,
    price_server_attributes,
    threshold_from_wire,
    threshold_to_wire,
    tier_fields,
)

EUR = 978


def _price(
    *,
    tier: int = 0,
    tiers: int = 0,
    label: str = "",
    blocks: int = 0,
    digits: int = 3,
) -> PublishPrice:
    tier_nibble, extended_tier = tier_fields(tier)
    tiers_nibble, extended_tiers = tier_fields(tiers)
    return PublishPrice(
        provider_id=0x01020304,
        rate_label=label,
        issuer_event_id=0x0A0B0C0D,
        current_time=0x2D258FF0,
        unit_of_measure=UnitOfMeasure.CUBIC_METERS,
        currency=EUR,
        price_trailing_digit=digits,
        price_tier=PriceTier(tier_nibble),
        number_of_price_tiers=tiers_nibble,
        register_tier=tier_nibble,
        start_time=0,
        duration_minutes=0xFFFF,
        price=1234,
        number_of_block_thresholds=blocks,
        extended_price_tier=extended_tier,
        extended_number_of_price_tiers=extended_tiers,
        extended_register_tier=extended_tier,
        field_count=24 if extended_tier or extended_tiers else 19,
    )


# -- thresholds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "multiplier", "divisor", "raw"),
    [
        (Decimal(10), 1, 1000, 10_000),  # the ESI's scale: thousandths of the unit
        (Decimal("12.345"), 1, 1000, 12_345),
        (Decimal("0.5"), 1, 2, 1),
        (100, 10, 1, 10),
        (Decimal("281474976710.655"), 1, 1000, UINT48_MAX),
        (0, 3, 7, 0),
    ],
)
def test_threshold_to_wire(
    value: Decimal | int, multiplier: int, divisor: int, raw: int
) -> None:
    assert threshold_to_wire(value, multiplier, divisor) == raw
    assert threshold_from_wire(raw, multiplier, divisor) == value


@pytest.mark.parametrize(
    ("value", "multiplier", "divisor", "match"),
    [
        (Decimal("0.0005"), 1, 1000, "not a multiple"),
        (Decimal(5), 10, 1, "not a multiple"),
        (Decimal(-1), 1, 1000, "negative"),
        (Decimal("281474976710.656"), 1, 1000, "above the uint48"),
        (Decimal("NaN"), 1, 1000, "not a finite"),
        (0.5, 1, 1000, "neither a Decimal"),
        (True, 1, 1000, "neither a Decimal"),
        (Decimal(1), 0, 1000, "multiplier 0"),
        (Decimal(1), 1, 0, "divisor 0"),
        (Decimal(1), 1, 0x100_0000, "above"),
    ],
)
def test_unrepresentable_threshold_is_refused(
    value: object, multiplier: int, divisor: int, match: str
) -> None:
    with pytest.raises(PriceError, match=match):
        threshold_to_wire(value, multiplier, divisor)  # type: ignore[arg-type]


def test_threshold_scale_of_zero_counts_as_one() -> None:
    # reference §8: a Multiplier/Divisor of 0 is treated as 1
    assert threshold_from_wire(0x0A0B, 0, 0) == 0x0A0B
    with pytest.raises(PriceError, match="above"):
        threshold_from_wire(UINT48_MAX + 1)


@given(st.integers(0, UINT48_MAX), st.integers(0, 7))
def test_threshold_round_trip(raw: int, exponent: int) -> None:
    divisor = 10**exponent  # up to 10**7, below the uint24 maximum
    assert threshold_to_wire(threshold_from_wire(raw, 1, divisor), 1, divisor) == raw


@given(st.decimals(min_value=0, max_value=UINT48_MAX // 1000, places=3))
def test_threshold_decimal_round_trip(value: Decimal) -> None:
    assert threshold_from_wire(threshold_to_wire(value)) == value


# -- BlockPrices -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("thresholds", "prices", "match"),
    [
        ((), (1,), "0 block thresholds"),
        (tuple(range(1, 17)), tuple(range(17)), "16 block thresholds"),
        ((20, 10), (1, 2, 3), "do not increase"),
        ((10, 10), (1, 2, 3), "do not increase"),
        ((0, 10), (1, 2, 3), "do not increase"),
        ((10, 20), (1, 2), "2 block prices for 2 thresholds"),
        ((10, 20), (1, 2, 3, 4), "4 block prices"),
        ((UINT48_MAX + 1,), (1, 2), "above"),
        ((10,), (1, UINT32_MAX + 1), "block price"),
        ((10,), (1, -2), "negative"),
        ([10], (1, 2), "tuples"),
    ],
)
def test_bad_block_prices_are_refused(
    thresholds: tuple[int, ...], prices: tuple[int, ...], match: str
) -> None:
    with pytest.raises(PriceError, match=match):
        BlockPrices(thresholds=thresholds, prices=prices)


def test_block_prices_in_units() -> None:
    blocks = BlockPrices(thresholds=(10_000, 25_500), prices=(200, 305, 4500))
    assert blocks.threshold_decimals() == (Decimal(10), Decimal("25.5"))
    assert blocks.price_decimals(3) == (
        Decimal("0.200"),
        Decimal("0.305"),
        Decimal("4.500"),
    )
    with pytest.raises(PriceError, match="divisor 0"):
        BlockPrices(thresholds=(1,), prices=(1, 2), threshold_divisor=0)


# -- the attribute map -----------------------------------------------------------------------


def _labels(**own: bytes) -> dict[int, tuple[ZclType, int | bytes]]:
    labels = {n - 1: (ZclType.OCTET_STRING, f"Tier {n}".encode()) for n in range(1, 16)}
    for attribute, label in own.items():
        labels[int(attribute[1:], 16)] = (ZclType.OCTET_STRING, label)
    return labels


def test_attributes_without_a_price_are_the_tier_labels() -> None:
    assert price_server_attributes(None) == _labels()


def test_attributes_of_a_price_without_blocks() -> None:
    assert price_server_attributes(_price(tier=3, tiers=4, label="Peak")) == {
        **_labels(x0002=b"Peak"),
        0x0611: (ZclType.UINT8, 4),
        0x0612: (ZclType.UINT8, 0),
        0x0613: (ZclType.ENUM8, TierBlockMode.NOT_USED),
        0x0615: (ZclType.ENUM8, 0x01),  # m³
        0x0616: (ZclType.UINT16, EUR),
        0x0617: (ZclType.MAP8, 0x30),  # 3 digits in the high nibble
    }


def test_attributes_of_block_prices_without_a_tier() -> None:
    blocks = BlockPrices(
        thresholds=(10_000, 25_500),
        prices=(200, 305, 4500),
        threshold_multiplier=3,
        threshold_divisor=7000,
    )
    attributes = price_server_attributes(_price(blocks=2, label="Flat"), blocks)
    assert attributes == {
        **_labels(),  # no tier: no label is the rate label
        0x0611: (ZclType.UINT8, 0),
        0x0612: (ZclType.UINT8, 2),
        0x0613: (ZclType.ENUM8, TierBlockMode.ACTIVE_BLOCK),
        0x0615: (ZclType.ENUM8, 0x01),
        0x0616: (ZclType.UINT16, EUR),
        0x0617: (ZclType.MAP8, 0x30),
        0x0100: (ZclType.UINT48, 10_000),
        0x0101: (ZclType.UINT48, 25_500),
        0x0202: (ZclType.UINT24, 3),
        0x0203: (ZclType.UINT24, 7000),
        0x0400: (ZclType.UINT32, 200),  # NoTierBlock1Price
        0x0401: (ZclType.UINT32, 305),
        0x0402: (ZclType.UINT32, 4500),
    }


def test_attributes_of_block_prices_of_a_tier() -> None:
    blocks = BlockPrices(thresholds=(7,), prices=(11, 13))
    attributes = price_server_attributes(_price(tier=1, tiers=2, blocks=1), blocks)
    assert attributes[0x0613] == (ZclType.ENUM8, TierBlockMode.ACTIVE_BLOCK_PRICE_TIER)
    # Tier1Block1Price = 0x0410 (reference §3.1; NXP's header alike)
    assert {key: attributes[key] for key in (0x0410, 0x0411)} == {
        0x0410: (ZclType.UINT32, 11),
        0x0411: (ZclType.UINT32, 13),
    }
    assert 0x0400 not in attributes
    assert 0x0412 not in attributes


def test_attributes_refuse_blocks_that_do_not_fit_the_price() -> None:
    blocks = BlockPrices(thresholds=(7,), prices=(11, 13))
    with pytest.raises(PriceError, match="announces 2 block thresholds, 1 given"):
        price_server_attributes(_price(blocks=2), blocks)
    with pytest.raises(PriceError, match="announces 1 block thresholds, 0 given"):
        price_server_attributes(_price(blocks=1))
    with pytest.raises(PriceError, match="tier 16"):
        price_server_attributes(_price(tier=16, tiers=16, blocks=1), blocks)
    with pytest.raises(PriceError, match="not a PublishPrice"):
        price_server_attributes("price")  # type: ignore[arg-type]


@st.composite
def _block_prices(draw: st.DrawFn) -> tuple[BlockPrices, int]:
    count = draw(st.integers(1, MAX_BLOCK_THRESHOLDS))
    thresholds = sorted(
        draw(st.sets(st.integers(1, UINT48_MAX), min_size=count, max_size=count))
    )
    prices = draw(
        st.lists(st.integers(0, UINT32_MAX), min_size=count + 1, max_size=count + 1)
    )
    tier = draw(st.integers(0, 15))
    return BlockPrices(thresholds=tuple(thresholds), prices=tuple(prices)), tier


@given(_block_prices())
def test_blocks_survive_the_attribute_map(case: tuple[BlockPrices, int]) -> None:
    """Read back by the reference's attribute ids, the blocks are what was served."""
    blocks, tier = case
    count = len(blocks.thresholds)
    attributes = price_server_attributes(
        _price(tier=tier, tiers=tier, blocks=count), blocks
    )
    assert attributes[0x0612] == (ZclType.UINT8, count)
    assert tuple(
        attributes[0x0100 + n][1] for n in range(count)
    ) == blocks.thresholds and all(
        attributes[0x0100 + n][0] is ZclType.UINT48 for n in range(count)
    )
    assert (
        tuple(
            attributes[block_price_attribute_id(n, tier)][1]
            for n in range(1, count + 2)
        )
        == blocks.prices
    )
    assert 0x0100 + count not in attributes

"""Fuzz targets for the Smart Energy Price codec, wired into tests/protocol/fuzz.py."""

import random

from custom_components.zha_device_pack.protocol import se_price as price
from tests.protocol.fuzz import DecoderTarget


def _edge(rng: random.Random, low: int, high: int) -> int:
    """Mostly uniform, with the bounds over-represented."""
    roll = rng.random()
    if roll < 0.1:
        return low
    if roll < 0.2:
        return high
    return rng.randint(low, high)


def _optional(rng: random.Random, low: int, high: int) -> int | None:
    return None if rng.random() < 0.3 else _edge(rng, low, high)


def _rate_label(rng: random.Random) -> str:
    # ASCII, Latin-1, Euro sign and an astral character: 1 to 4 bytes each in UTF-8.
    alphabet = "Peak Nuit 0\x00é€\U0001f50c"
    label = ""
    while rng.random() < 0.8:
        longer = label + rng.choice(alphabet)
        if len(longer.encode()) > price.MAX_RATE_LABEL_BYTES:
            break
        label = longer
    return label


def random_publish_price(rng: random.Random) -> price.PublishPrice:
    """Build a valid PublishPrice of 11 to 24 fields."""
    field_count = _edge(rng, price.MANDATORY_FIELD_COUNT, price.SE12A_FIELD_COUNT)
    tail = {
        "price_ratio": _optional(rng, 1, 254),
        "generation_price": _optional(rng, 0, price.UINT32_MAX - 1),
        "generation_price_ratio": _optional(rng, 1, 254),
        "alternate_cost_delivered": _optional(rng, 0, price.UINT32_MAX - 1),
        "alternate_cost_unit": rng.choice(
            [None, price.AlternateCostUnit.KG_CO2_PER_UNIT_OF_MEASURE]
        ),
        "alternate_cost_trailing_digit": _edge(rng, 0, price.MAX_TRAILING_DIGIT),
        "number_of_block_thresholds": _edge(rng, 0, price.MAX_BLOCK_THRESHOLDS),
        "price_control": price.PriceControl(_edge(rng, 0, price.UINT8_MAX)),
        "number_of_generation_tiers": _edge(rng, 0, price.MAX_TIER),
        "generation_tier": _edge(rng, 0, price.MAX_TIER),
        "extended_number_of_price_tiers": _edge(rng, 0, price.MAX_EXTENDED_TIER),
        "extended_price_tier": _edge(rng, 0, price.MAX_EXTENDED_TIER),
        "extended_register_tier": _edge(rng, 0, price.MAX_EXTENDED_TIER),
    }
    present = list(tail)[: field_count - price.MANDATORY_FIELD_COUNT]
    return price.PublishPrice(
        provider_id=_edge(rng, 0, price.UINT32_MAX),
        rate_label=_rate_label(rng),
        issuer_event_id=_edge(rng, 0, price.UINT32_MAX),
        current_time=_edge(rng, 0, price.UINT32_MAX),
        unit_of_measure=rng.choice(list(price.UnitOfMeasure)),
        currency=_edge(rng, 0, price.MAX_ISO_4217_NUMERIC),
        price_trailing_digit=_edge(rng, 0, price.MAX_TRAILING_DIGIT),
        price_tier=rng.choice(list(price.PriceTier)),
        number_of_price_tiers=_edge(rng, 0, price.MAX_NIBBLE_TIER),
        register_tier=_edge(rng, 0, price.MAX_NIBBLE_TIER),
        start_time=_edge(rng, 0, price.UTC_TIME_INVALID - 1),
        duration_minutes=_edge(rng, 1, price.DURATION_UNTIL_CHANGED),
        price=_edge(rng, 0, price.UINT32_MAX),
        field_count=field_count,
        **{name: tail[name] for name in present},
    )


def random_get_current_price(rng: random.Random) -> price.GetCurrentPrice:
    """Build a valid GetCurrentPrice, reserved option bits included."""
    return price.GetCurrentPrice(
        price.GetCurrentPriceOptions(_edge(rng, 0, price.UINT8_MAX))
    )


def random_get_scheduled_prices(rng: random.Random) -> price.GetScheduledPrices:
    """Build a valid GetScheduledPrices."""
    return price.GetScheduledPrices(
        _edge(rng, 0, price.UTC_TIME_INVALID - 1), _edge(rng, 0, price.UINT8_MAX)
    )


def random_price_acknowledgement(rng: random.Random) -> price.PriceAcknowledgement:
    """Build a valid PriceAcknowledgement."""
    return price.PriceAcknowledgement(
        _edge(rng, 0, price.UINT32_MAX),
        _edge(rng, 0, price.UINT32_MAX),
        _edge(rng, 0, price.UINT32_MAX),
        price.PriceControl(_edge(rng, 0, price.UINT8_MAX)),
    )


TARGETS: tuple[DecoderTarget, ...] = (
    DecoderTarget(
        "se_price.decode_publish_price",
        price.decode_publish_price,
        price.encode_publish_price,
        price.PriceError,
        random_publish_price,
    ),
    DecoderTarget(
        "se_price.decode_get_current_price",
        price.decode_get_current_price,
        price.encode_get_current_price,
        price.PriceError,
        random_get_current_price,
    ),
    DecoderTarget(
        "se_price.decode_get_scheduled_prices",
        price.decode_get_scheduled_prices,
        price.encode_get_scheduled_prices,
        price.PriceError,
        random_get_scheduled_prices,
    ),
    DecoderTarget(
        "se_price.decode_price_acknowledgement",
        price.decode_price_acknowledgement,
        price.encode_price_acknowledgement,
        price.PriceError,
        random_price_acknowledgement,
    ),
)

"""Hypothesis strategies for valid Smart Energy Price values (reference §3.2)."""

from hypothesis import strategies as st

from custom_components.zha_device_pack.protocol.se_price import (
    MANDATORY_FIELD_COUNT,
    MAX_BLOCK_THRESHOLDS,
    MAX_DURATION_MINUTES,
    MAX_EXTENDED_TIER,
    MAX_RATE_LABEL_BYTES,
    MAX_TIER,
    SE12A_FIELD_COUNT,
    UINT32_MAX,
    UTC_TIME_INVALID,
    AlternateCostUnit,
    GetCurrentPrice,
    GetCurrentPriceOptions,
    GetScheduledPrices,
    PriceAcknowledgement,
    PriceControl,
    PriceTier,
    PublishPrice,
    UnitOfMeasure,
)

uint8 = st.integers(0, 0xFF)
uint32 = st.integers(0, UINT32_MAX)
utc_times = st.integers(0, UTC_TIME_INVALID - 1)
nibbles = st.integers(0, 15)
rate_labels = st.text(max_size=MAX_RATE_LABEL_BYTES).filter(
    lambda label: len(label.encode()) <= MAX_RATE_LABEL_BYTES
)
# Reserved bits included: they are kept as received.
price_controls = uint8.map(PriceControl)
durations = st.one_of(st.integers(1, MAX_DURATION_MINUTES), st.just(0xFFFF))
ratios = st.one_of(st.none(), st.integers(1, 254))
optional_uint32 = st.one_of(st.none(), st.integers(0, UINT32_MAX - 1))

# Fields 12-24 in wire order, with the strategy of each.
_TAIL_STRATEGIES = (
    ("price_ratio", ratios),
    ("generation_price", optional_uint32),
    ("generation_price_ratio", ratios),
    ("alternate_cost_delivered", optional_uint32),
    ("alternate_cost_unit", st.sampled_from([None, *AlternateCostUnit])),
    ("alternate_cost_trailing_digit", nibbles),
    ("number_of_block_thresholds", st.integers(0, MAX_BLOCK_THRESHOLDS)),
    ("price_control", price_controls),
    ("number_of_generation_tiers", st.integers(0, MAX_TIER)),
    ("generation_tier", st.integers(0, MAX_TIER)),
    ("extended_number_of_price_tiers", st.integers(0, MAX_EXTENDED_TIER)),
    ("extended_price_tier", st.integers(0, MAX_EXTENDED_TIER)),
    ("extended_register_tier", st.integers(0, MAX_EXTENDED_TIER)),
)


@st.composite
def publish_prices(draw: st.DrawFn) -> PublishPrice:
    """PublishPrice of any length 11-24 fields, the tail beyond it at its defaults."""
    field_count = draw(st.integers(MANDATORY_FIELD_COUNT, SE12A_FIELD_COUNT))
    tail = {
        name: draw(strategy)
        for name, strategy in _TAIL_STRATEGIES[: field_count - MANDATORY_FIELD_COUNT]
    }
    return PublishPrice(
        provider_id=draw(uint32),
        rate_label=draw(rate_labels),
        issuer_event_id=draw(uint32),
        current_time=draw(uint32),
        unit_of_measure=draw(st.sampled_from(UnitOfMeasure)),
        currency=draw(st.integers(0, 999)),
        price_trailing_digit=draw(nibbles),
        price_tier=draw(st.sampled_from(PriceTier)),
        number_of_price_tiers=draw(nibbles),
        register_tier=draw(nibbles),
        start_time=draw(utc_times),
        duration_minutes=draw(durations),
        price=draw(uint32),
        field_count=field_count,
        **tail,
    )


get_current_prices = st.builds(GetCurrentPrice, uint8.map(GetCurrentPriceOptions))
get_scheduled_prices = st.builds(GetScheduledPrices, utc_times, uint8)
price_acknowledgements = st.builds(
    PriceAcknowledgement, uint32, uint32, uint32, price_controls
)

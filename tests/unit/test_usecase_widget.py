"""Embed tokens and the widget exchange over the fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from epoch_domain.accounts import Organization
from epoch_domain.embed_tokens import EMBED_TOKEN_PREFIX, MIN_RANDOM_CHARS
from epoch_domain.errors import (
    Forbidden,
    LimitReached,
    NotAuthenticated,
    NotFound,
    PlanRequired,
    ValidationFailed,
)
from epoch_domain.plans import Tier
from epoch_domain.sessions import token_digest
from epoch_domain.usecases.widget import MAX_ACTIVE_TOKENS, EmbedTokens, WidgetTokens
from tests.unit.telephony_world import NOW, World

pytestmark = pytest.mark.anyio

SITE = "https://app.mysite.com"


@pytest.fixture
def world() -> World:
    return World()


def embed(world: World) -> EmbedTokens:
    return EmbedTokens(world.uow, world.clock, world.secrets)


def widget(world: World) -> WidgetTokens:
    return WidgetTokens(world.uow, world.clock, world.telephony)


def pro(world: World, org_id: str = "o1", tier: Tier = Tier.PRO) -> Organization:
    org = world.organization(org_id, tier)
    world.number(org_id)
    return org


# ---------------------------------------------------------------- tokens


async def test_a_new_token_is_shown_once_and_stored_as_digest_and_prefix(
    world: World,
) -> None:
    org = pro(world)
    created = await embed(world).create(org, " Main Website ", ["MySite.com"])
    assert created.raw.startswith(EMBED_TOKEN_PREFIX)
    assert len(created.raw) >= len(EMBED_TOKEN_PREFIX) + MIN_RANDOM_CHARS
    assert created.token.display_prefix == created.raw[:12]
    assert created.token.label == "Main Website"
    assert created.token.allowed_domains == ("mysite.com",)
    (row,) = world.t.embed_tokens.values()
    assert row.token_digest == token_digest(created.raw)
    assert created.raw not in repr(row)
    listed = await embed(world).list(org)
    assert [t.id for t in listed] == [created.token.id]


async def test_tokens_list_newest_first_and_only_active(world: World) -> None:
    org = pro(world)
    first = await embed(world).create(org, "a", None)
    world.clock.advance(timedelta(minutes=1))
    second = await embed(world).create(org, "b", None)
    world.clock.advance(timedelta(minutes=1))
    third = await embed(world).create(org, "c", None)
    await embed(world).revoke(org, second.token.id)
    listed = await embed(world).list(org)
    assert [t.id for t in listed] == [third.token.id, first.token.id]


async def test_listing_and_creating_are_pro_and_up_but_revoking_is_not(
    world: World,
) -> None:
    org = pro(world)
    created = await embed(world).create(org, None, None)
    downgraded = world.organization("o1", Tier.ADVANCED)
    with pytest.raises(PlanRequired):
        await embed(world).list(downgraded)
    with pytest.raises(PlanRequired):
        await embed(world).create(downgraded, None, None)
    await embed(world).revoke(downgraded, created.token.id)
    assert world.t.embed_tokens[created.token.id].token.revoked_at == NOW


async def test_bad_domains_and_labels_are_refused(world: World) -> None:
    org = pro(world)
    with pytest.raises(ValidationFailed) as domains:
        await embed(world).create(org, None, ["not a domain"])
    assert domains.value.field == "allowedDomains"
    with pytest.raises(ValidationFailed) as label:
        await embed(world).create(org, "x" * 101, None)
    assert label.value.field == "label"
    assert world.t.embed_tokens == {}


async def test_active_tokens_are_limited(world: World) -> None:
    org = pro(world)
    for _ in range(MAX_ACTIVE_TOKENS):
        await embed(world).create(org, None, None)
    with pytest.raises(LimitReached):
        await embed(world).create(org, None, None)


async def test_revoking_another_organizations_token_is_404(world: World) -> None:
    org = pro(world)
    other = pro(world, "o2")
    created = await embed(world).create(org, None, None)
    with pytest.raises(NotFound):
        await embed(world).revoke(other, created.token.id)
    with pytest.raises(NotFound):
        await embed(world).revoke(org, "nope")
    await embed(world).revoke(org, created.token.id)
    with pytest.raises(NotFound):
        await embed(world).revoke(org, created.token.id)


# ---------------------------------------------------------------- the widget


async def test_the_widget_gets_an_hour_long_voice_token_and_marks_use(
    world: World,
) -> None:
    org = pro(world)
    created = await embed(world).create(org, None, ["mysite.com"])
    world.clock.advance(timedelta(hours=2))
    session = await widget(world).exchange(f" {created.raw} ", SITE)
    assert session.identity == f"org_o1:widget_{created.token.id}"
    assert (session.expires_in, session.org_name) == (3600, "Org o1")
    assert session.phone_number == "+14155550100"
    assert world.telephony.tokens == [(session.identity, 3600)]
    stored = world.t.embed_tokens[created.token.id].token
    assert stored.last_used_at == NOW + timedelta(hours=2)


async def test_a_revoked_token_is_refused_at_once(world: World) -> None:
    org = pro(world)
    created = await embed(world).create(org, None, ["mysite.com"])
    await widget(world).exchange(created.raw, SITE)
    await embed(world).revoke(org, created.token.id)
    with pytest.raises(NotAuthenticated):
        await widget(world).exchange(created.raw, SITE)


@pytest.mark.parametrize(
    "raw", ["", "ept_short", "pk_" + "a" * 43, "ept_" + "a" * 43, "ept_" + "!" * 43]
)
async def test_unknown_or_malformed_tokens_are_refused(world: World, raw: str) -> None:
    pro(world)
    with pytest.raises(NotAuthenticated):
        await widget(world).exchange(raw, SITE)
    assert world.telephony.tokens == []


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "null",
        "https://evilmysite.com",
        "https://mysite.com.evil.com",
        "ftp://mysite.com",
    ],
)
async def test_an_origin_outside_the_allowed_domains_is_forbidden(
    world: World, origin: str | None
) -> None:
    org = pro(world)
    created = await embed(world).create(org, None, ["mysite.com"])
    with pytest.raises(Forbidden):
        await widget(world).exchange(created.raw, origin)
    assert world.t.embed_tokens[created.token.id].token.last_used_at is None


async def test_a_token_of_a_downgraded_organization_stops_working(
    world: World,
) -> None:
    org = pro(world)
    created = await embed(world).create(org, None, ["mysite.com"])
    world.organization("o1", Tier.ADVANCED)
    with pytest.raises(PlanRequired):
        await widget(world).exchange(created.raw, SITE)

"""Embed tokens and the web widget that exchanges them for a voice token.

* Listing and creating tokens needs the PRO plan; revoking does not, so an
  organization that moved down a plan can still withdraw its tokens.
* The raw token is returned once, at creation; only its digest and display
  prefix are stored (`embed_tokens`). At most `MAX_ACTIVE_TOKENS` are active.
* The widget presents a token from a web page. It is refused when unknown,
  malformed or revoked (401), when the page's Origin is not one of the
  token's allowed domains, or when the organization is no longer on a plan
  with the widget (403). A good exchange records when the token was last used
  and returns a voice access token for `org_<id>:widget_<token id>`, valid
  for an hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from epoch_domain.accounts import Organization
from epoch_domain.embed_tokens import (
    check_label,
    is_well_formed,
    issue_token,
    normalize_domains,
    origin_allowed,
)
from epoch_domain.errors import (
    Forbidden,
    LimitReached,
    NotAuthenticated,
    NotFound,
)
from epoch_domain.integrations import EmbedToken
from epoch_domain.plans import Tier, require_tier
from epoch_domain.ports import Clock, Secrets, UnitOfWorkFactory
from epoch_domain.sessions import token_digest
from epoch_domain.telephony_ports import VoiceTokens
from epoch_domain.usecases.outbound_calls import VOICE_TOKEN_TTL_SECONDS

EMBED_TIER = Tier.PRO
MAX_ACTIVE_TOKENS = 25


@dataclass(frozen=True, slots=True)
class CreatedEmbedToken:
    raw: str  # shown once
    token: EmbedToken


@dataclass(frozen=True, slots=True)
class WidgetSession:
    token: str
    identity: str
    phone_number: str | None
    org_name: str
    expires_in: int = VOICE_TOKEN_TTL_SECONDS


def widget_identity(org_id: str, token_id: str) -> str:
    return f"org_{org_id}:widget_{token_id}"


class EmbedTokens:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, secrets: Secrets) -> None:
        self._uow = uow
        self._clock = clock
        self._secrets = secrets

    async def list(self, org: Organization) -> Sequence[EmbedToken]:
        require_tier(org.tier, EMBED_TIER)
        async with self._uow() as uow:
            return await uow.embed_tokens.active(org.id)

    async def create(
        self,
        org: Organization,
        label: str | None,
        allowed_domains: Sequence[str] | None,
    ) -> CreatedEmbedToken:
        require_tier(org.tier, EMBED_TIER)
        checked_label = check_label(label)
        domains = normalize_domains(allowed_domains)
        issued = issue_token(self._secrets)
        token = EmbedToken(
            id=self._secrets.new_id(),
            organization_id=org.id,
            label=checked_label,
            display_prefix=issued.display_prefix,
            allowed_domains=domains,
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            await uow.organizations.lock(org.id)
            if len(await uow.embed_tokens.active(org.id)) >= MAX_ACTIVE_TOKENS:
                raise LimitReached("embed tokens", MAX_ACTIVE_TOKENS, org.tier.name)
            await uow.embed_tokens.add(token, issued.digest)
            await uow.commit()
        return CreatedEmbedToken(issued.raw, token)

    async def revoke(self, org: Organization, token_id: str) -> None:
        async with self._uow() as uow:
            if not await uow.embed_tokens.revoke(org.id, token_id, self._clock.now()):
                raise NotFound("embed token", token_id)
            await uow.commit()


class WidgetTokens:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, telephony: VoiceTokens
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._telephony = telephony

    async def exchange(self, raw_token: str, origin: str | None) -> WidgetSession:
        presented = raw_token.strip()
        if not is_well_formed(presented):
            raise NotAuthenticated("The embed token is not valid")
        async with self._uow() as uow:
            token = await uow.embed_tokens.by_digest(token_digest(presented))
            if token is None or not token.active:
                raise NotAuthenticated("The embed token is not valid")
            org = await uow.organizations.get(token.organization_id)
            if org is None:
                raise NotAuthenticated("The embed token is not valid")
            if not origin_allowed(origin, token.allowed_domains):
                raise Forbidden("This page's origin may not use the embed token")
            require_tier(org.tier, EMBED_TIER)
            number = await uow.phone_numbers.get(org.id)
            await uow.embed_tokens.touch(token.id, self._clock.now())
            await uow.commit()
        identity = widget_identity(org.id, token.id)
        voice = await self._telephony.voice_access_token(
            identity, VOICE_TOKEN_TTL_SECONDS
        )
        return WidgetSession(voice, identity, number.phone_number, org.name)

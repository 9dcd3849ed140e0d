"""Onboarding (GET/POST /api/onboarding, POST /api/onboarding/analyze).

Completing stores the data, the refreshed profile and the completion first,
then runs the provisioning pipeline: create the assistant on the voice
platform with the built prompt, register it, and provision a phone number for
it. A step that fails is reported in `provisioning_errors` instead of failing
the request; whatever succeeded stays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from epoch_domain import onboarding
from epoch_domain.accounts import Organization
from epoch_domain.assistants import Assistant, AssistantStatus
from epoch_domain.business import check_website_url
from epoch_domain.errors import (
    EpochError,
    OnboardingAlreadyCompleted,
    ProviderUnavailable,
    ValidationFailed,
)
from epoch_domain.ports import Clock, Secrets, UnitOfWorkFactory
from epoch_domain.receptionist import (
    OnboardingState,
    ReceptionistProfile,
    assistant_config,
)
from epoch_domain.receptionist_ports import (
    LanguageModel,
    NumberProvisioner,
    VoicePlatform,
    WebsiteFetcher,
)
from epoch_domain.usecases.receptionist_sync import (
    ReceptionistSync,
    load_profile,
    store,
)

MAX_PAGES = 5


@dataclass(frozen=True, slots=True)
class OnboardingView:
    completed: bool
    completed_at: datetime | None
    data: Mapping[str, object]
    phone_number: str | None
    organization_name: str


@dataclass(frozen=True, slots=True)
class ProvisioningError:
    step: str  # "assistant" or "phone-number"
    message: str


@dataclass(frozen=True, slots=True)
class OnboardingResult:
    completed: bool
    phone_number: str | None = None
    provisioning_errors: Sequence[ProvisioningError] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Analysis:
    extracted_data: Mapping[str, object]
    business_name: str | None
    pages_scraped: int
    scrape_warnings: Sequence[str]


class Onboarding:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secrets: Secrets,
        platform: VoicePlatform,
        numbers: NumberProvisioner,
        fetcher: WebsiteFetcher,
        model: LanguageModel,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._secrets = secrets
        self._platform = platform
        self._numbers = numbers
        self._fetcher = fetcher
        self._model = model
        self._sync = ReceptionistSync(uow, platform)

    async def status(self, org: Organization) -> OnboardingView:
        async with self._uow() as uow:
            profile = await load_profile(uow, org)
            stored = await uow.organizations.get(org.id)
        current = stored or org
        state = profile.onboarding
        return OnboardingView(
            state.completed,
            state.completed_at,
            state.data,
            current.phone_number,
            current.name,
        )

    async def save(
        self, org: Organization, data: Mapping[str, object], complete: bool = False
    ) -> OnboardingResult:
        checked = onboarding.check_data(data, org.tier)
        async with self._uow() as uow:
            current = await load_profile(uow, org, lock=True)
            if current.onboarding.completed:
                raise OnboardingAlreadyCompleted
            merged = onboarding.merge_data(current.onboarding.data, checked)
            updated = replace(current, onboarding=OnboardingState(None, merged))
            if complete:
                sections = await uow.knowledge_base.sections(org.id)
                updated = onboarding.apply_data(updated, merged, sections)
                done = OnboardingState(self._clock.now(), merged)
                updated = replace(updated, onboarding=done)
            saved = await store(uow, current, updated)
            await uow.commit()
        if not complete:
            return OnboardingResult(completed=False)
        return await self._provision(org, saved, onboarding.area_code(merged))

    async def _provision(
        self, org: Organization, profile: ReceptionistProfile, area_code: str | None
    ) -> OnboardingResult:
        errors: list[ProvisioningError] = []
        try:
            await self._create_assistant(org, profile)
        except ProviderUnavailable as error:
            errors.append(ProvisioningError("assistant", error.message))
            return OnboardingResult(True, None, tuple(errors))
        number: str | None = None
        try:
            number = (await self._numbers.provision(org, area_code)).phone_number
        except EpochError as error:
            errors.append(ProvisioningError("phone-number", error.message))
        return OnboardingResult(True, number, tuple(errors))

    async def _create_assistant(
        self, org: Organization, profile: ReceptionistProfile
    ) -> str:
        if profile.vapi_assistant_id is not None:
            return profile.vapi_assistant_id
        platform_id = await self._platform.create_assistant(assistant_config(profile))
        assistant = Assistant(
            id=self._secrets.new_id(),
            organization_id=org.id,
            vapi_assistant_id=platform_id,
            name=profile.name,
            status=AssistantStatus.ACTIVE,
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            current = await load_profile(uow, org, lock=True)
            await uow.assistants.add(assistant)
            linked = replace(
                current, assistant_id=assistant.id, vapi_assistant_id=platform_id
            )
            saved = await store(uow, current, linked)
            # The platform holds `profile`; the link itself changes nothing it
            # sees, unless another change or knowledge files came in between.
            files = await uow.knowledge_base.sections(org.id)
            unchanged = current.revision == profile.revision and not files
            pushed = saved.revision if unchanged else profile.revision
            await uow.receptionists.mark_synced(org.id, pushed)
            await uow.commit()
        if not unchanged:
            await self._sync.push(org.id)  # a failure stays pending, retried later
        return platform_id

    async def analyze(self, org: Organization, url: str) -> Analysis:
        """Read the website and have the language model pull business data
        from it; only before onboarding is completed."""
        address = check_website_url(url, "url")
        async with self._uow() as uow:
            if (await load_profile(uow, org)).onboarding.completed:
                raise OnboardingAlreadyCompleted
        site = await self._fetcher.fetch(address, MAX_PAGES)
        if not site.pages:
            reason = site.warnings[0] if site.warnings else "no page could be read"
            raise ValidationFailed("url", f"could not be read: {reason}")
        found = await self._model.extract_business(address, site.pages)
        data, problems = onboarding.clean_extraction(found)
        name = data.get("businessName")
        return Analysis(
            data,
            name if isinstance(name, str) else None,
            len(site.pages),
            (*site.warnings, *problems),
        )

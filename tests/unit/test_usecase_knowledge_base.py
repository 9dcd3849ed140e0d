"""The knowledge base over the fakes: sections from text or uploads, files on
the voice platform replaced and deleted, nothing lost when the platform fails."""

from __future__ import annotations

import pytest

from epoch_domain import prompt_sections
from epoch_domain.errors import (
    NotFound,
    PlanRequired,
    ProviderUnavailable,
    ValidationFailed,
)
from epoch_domain.knowledge_base import MAX_UPLOAD_BYTES
from epoch_domain.plans import Tier
from epoch_domain.usecases.receptionist_sync import SyncStatus
from tests.unit.receptionist_world import NOW, World

pytestmark = pytest.mark.anyio

FAQ = "Q: What are your hours?\nA: We're open Mon-Fri 9am-5pm."


@pytest.fixture
def world() -> World:
    return World()


def _kb_section(world: World) -> str | None:
    return prompt_sections.parse(world.profile().system_prompt).sections.get(
        "knowledge-base"
    )


async def test_the_spec_example_uploads_faqs_md_and_attaches_it(world: World) -> None:
    org = world.organization(tier=Tier.STARTER)
    platform_id = await world.live(org)
    saved = await world.kb.put(org, "faqs", text=FAQ)
    section = saved.section
    assert (section.key, section.file_name, section.label) == (
        "faqs",
        "faqs.md",
        "FAQs",
    )
    assert saved.sync is SyncStatus.SYNCED
    (file_id,) = world.platform.files
    name, content, content_type = world.platform.files[file_id]
    assert (name, content_type) == ("faqs.md", "text/markdown")
    assert content.decode() == f"# FAQs\n\n{FAQ}\n"
    assert world.config(platform_id).knowledge_file_ids == (file_id,)
    assert "FAQs" in (_kb_section(world) or "")
    view = await world.kb.list(org)
    assert view.can_edit
    assert view.vapi_assistant_id == platform_id
    assert [(s.key, s.file_id, s.updated_at) for s in view.sections] == [
        ("faqs", file_id, NOW)
    ]


async def test_rewriting_a_section_replaces_its_file_and_deletes_the_old(
    world: World,
) -> None:
    org = world.organization()
    platform_id = await world.live(org)
    await world.kb.put(org, "faqs", text=FAQ)
    (old,) = world.platform.files
    await world.kb.put(org, "faqs", text="Q: Parking?\nA: Behind the building.")
    (new,) = world.platform.files
    assert new != old
    assert world.config(platform_id).knowledge_file_ids == (new,)
    assert world.db.tables.kb_retired == {}


async def test_a_failing_platform_keeps_the_text_and_a_retry_uploads_it(
    world: World,
) -> None:
    org = world.organization()
    platform_id = await world.live(org)
    world.platform.failing = True
    saved = await world.kb.put(org, "pricing", text="Cleaning: $120")
    assert saved.sync is SyncStatus.PENDING
    (stored,) = (await world.kb.list(org)).sections
    assert (stored.text, stored.file_id) == ("Cleaning: $120", None)

    world.platform.failing = False
    assert (await world.sync.retry_pending())["synced"] == 1
    (stored,) = (await world.kb.list(org)).sections
    assert stored.file_id is not None
    assert world.config(platform_id).knowledge_file_ids == (stored.file_id,)


async def test_deleting_a_section_detaches_and_deletes_its_file(world: World) -> None:
    org = world.organization()
    platform_id = await world.live(org)
    await world.kb.put(org, "faqs", text=FAQ)
    await world.kb.delete(org, "faqs")
    assert world.platform.files == {}
    assert world.config(platform_id).knowledge_file_ids == ()
    assert (await world.kb.list(org)).sections == []
    assert _kb_section(world) is None


async def test_a_file_is_deleted_only_after_the_assistant_stops_using_it(
    world: World,
) -> None:
    org = world.organization()
    platform_id = await world.live(org)
    await world.kb.put(org, "faqs", text=FAQ)
    (file_id,) = world.platform.files
    world.platform.failing = True
    await world.kb.delete(org, "faqs")
    assert file_id in world.platform.files
    assert world.config(platform_id).knowledge_file_ids == (file_id,)
    world.platform.failing = False
    await world.sync.retry_pending()
    assert world.platform.files == {}
    assert world.config(platform_id).knowledge_file_ids == ()


async def test_deleting_a_missing_section_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await world.kb.delete(world.organization(), "faqs")


async def test_writes_need_starter_while_reading_shows_can_edit(world: World) -> None:
    org = world.organization(tier=Tier.FREE)
    assert not (await world.kb.list(org)).can_edit
    with pytest.raises(PlanRequired):
        await world.kb.put(org, "faqs", text=FAQ)
    with pytest.raises(PlanRequired):
        await world.kb.delete(org, "faqs")


@pytest.mark.parametrize(
    ("key", "text", "file_id", "field"),
    [
        ("recipes", FAQ, None, "sectionKey"),
        ("faqs", None, None, "text"),
        ("faqs", FAQ, "file_1", "text"),
        ("faqs", "  ", None, "text"),
    ],
)
async def test_a_put_needs_a_known_section_and_either_text_or_a_file(
    world: World, key: str, text: str | None, file_id: str | None, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await world.kb.put(world.organization(), key, text=text, file_id=file_id)
    assert caught.value.field == field


async def test_an_uploaded_file_becomes_a_section_with_its_text(world: World) -> None:
    org = world.organization()
    platform_id = await world.live(org)
    pdf = b"%PDF-1.7\nStaff handbook: parking is free."
    uploaded = await world.kb.upload(org, "company-info", "C:\\docs\\handbook.pdf", pdf)
    assert (uploaded.file_name, uploaded.size_bytes) == ("handbook.pdf", len(pdf))
    assert world.platform.files[uploaded.file_id][2] == "application/pdf"

    saved = await world.kb.put(org, "company-info", file_id=uploaded.file_id)
    section = saved.section
    assert (section.text, section.file_id, section.file_name) == (
        "Staff handbook: parking is free.",
        uploaded.file_id,
        "handbook.pdf",
    )
    assert world.config(platform_id).knowledge_file_ids == (uploaded.file_id,)
    assert world.db.tables.kb_uploads == {}


async def test_a_text_upload_is_read_without_the_document_reader(world: World) -> None:
    org = world.organization()
    uploaded = await world.kb.upload(org, "faqs", "faq.csv", b"\xef\xbb\xbfq,a\nx,y\n")
    saved = await world.kb.put(org, "faqs", file_id=uploaded.file_id, file_name="FAQ")
    assert (saved.section.text, saved.section.file_name) == ("q,a\nx,y", "FAQ")


async def test_another_organizations_upload_cannot_be_claimed(world: World) -> None:
    mine, theirs = world.organization("o1"), world.organization("o2")
    uploaded = await world.kb.upload(theirs, "faqs", "faq.txt", b"secret answers")
    with pytest.raises(ValidationFailed) as caught:
        await world.kb.put(mine, "faqs", file_id=uploaded.file_id)
    assert caught.value.field == "vapiFileId"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.exe", b"MZ"),
        ("notes.pdf", b"not a pdf"),
        ("notes.docx", b"%PDF-1.4"),
        ("notes.txt", b""),
        ("notes.txt", b"\xff\xfe\x00bad"),
        ("big.txt", b"a" * (MAX_UPLOAD_BYTES + 1)),
    ],
)
async def test_uploads_outside_the_four_types_or_10_mb_are_refused_before_upload(
    world: World, name: str, content: bytes
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await world.kb.upload(world.organization(), "faqs", name, content)
    assert caught.value.field == "file"
    assert world.platform.files == {}


async def test_an_upload_the_platform_refuses_keeps_nothing(world: World) -> None:
    world.platform.failing = True
    with pytest.raises(ProviderUnavailable):
        await world.kb.upload(world.organization(), "faqs", "a.txt", b"hello")
    assert world.db.tables.kb_uploads == {}


async def test_the_prompt_lists_sections_in_catalog_order(world: World) -> None:
    org = world.organization()
    await world.kb.put(org, "faqs", text=FAQ)
    await world.kb.put(org, "company-info", text="Founded 1990")
    assert (_kb_section(world) or "").startswith(
        "A knowledge base is available with: Company information, FAQs."
    )

"""The pure rules under the receptionist use cases: business info, address,
transfer and knowledge-base sections, uploads, onboarding data, regeneration."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_domain import business, onboarding, prompt_sections
from epoch_domain.business import BusinessInfo
from epoch_domain.errors import PlanRequired, ProviderUnavailable, ValidationFailed
from epoch_domain.knowledge_base import (
    DocumentKind,
    check_file_name,
    check_kb_key,
    check_upload,
    markdown_file,
    plain_text,
)
from epoch_domain.plans import Tier
from epoch_domain.prompt_writing import check_generated, sections_to_regenerate
from epoch_domain.receptionist import new_profile
from epoch_domain.receptionist_ports import ExtractedBusiness
from tests.unit.helpers import attempt

_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_HOSTS = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(_LABEL, min_size=1, max_size=3),
    st.sampled_from(["com", "org", "co", "dental"]),
)
_PATHS = st.from_regex(r"(/[A-Za-z0-9._~-]{0,8}){0,3}", fullmatch=True)


# ------------------------------------------------------------ websites


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("https://acmedental.com", "https://acmedental.com/"),
        ("acmedental.com", "https://acmedental.com/"),
        ("  HTTP://WWW.Acme.COM/About?x=1#top ", "http://www.acme.com/About?x=1"),
        ("https://acme.com:8443/a", "https://acme.com:8443/a"),
    ],
)
def test_website_addresses_are_normalised(raw: str, url: str) -> None:
    assert business.check_website_url(raw) == url


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ftp://acme.com",
        "https://localhost",
        "https://a b.com",
        "https://u:p@a.com",
        "https://acme",
        "https://acme.com:99999",
        "javascript:alert(1)",
    ],
)
def test_website_addresses_that_are_not_web_pages_are_refused(raw: str) -> None:
    _, error = attempt(business.check_website_url, raw)
    assert error is not None
    assert error.field == "websiteUrl"


@given(st.sampled_from(["", "http://", "https://", "HTTPS://"]), _HOSTS, _PATHS)
def test_normalising_a_website_twice_changes_nothing(
    scheme: str, host: str, path: str
) -> None:
    once = business.check_website_url(scheme + host.upper() + path)
    assert business.check_website_url(once) == once
    assert once.startswith(("http://", "https://"))
    assert host in once


# ------------------------------------------------------------ info and address


def test_in_an_info_update_none_keeps_and_blank_clears() -> None:
    current = BusinessInfo("dental_office", "Family dental practice", "https://a.com/")
    assert business.change_business_info(current) == current
    changed = business.change_business_info(current, business_type="", website_url="")
    assert changed == BusinessInfo(None, "Family dental practice", None)


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("123 Main St, Suite 100, San Francisco, CA 94102",) * 2,
        (
            "123 Main St\r\n  Suite 100,\n\nSan Francisco",
            "123 Main St, Suite 100, San Francisco",
        ),
        ("   ", None),
    ],
)
def test_addresses_are_one_trimmed_line(raw: str, address: str | None) -> None:
    assert business.check_address(raw) == address


@given(st.text(max_size=80))
def test_an_accepted_address_is_one_line_and_stable(raw: str) -> None:
    address, error = attempt(business.check_address, raw)
    if error is None and address is not None:
        assert "\n" not in address
        assert business.check_address(address) == address


def test_the_context_names_what_is_known() -> None:
    info = BusinessInfo("dental_office", "Family dental practice", "https://a.com/")
    text = business.context_text("Acme Dental", info)
    assert text.splitlines()[:4] == [
        "Business name: Acme Dental",
        "Type of business: dental office",
        "About the business: Family dental practice",
        "Website: https://a.com/",
    ]
    assert business.context_text(None, BusinessInfo()).startswith("No business details")


_OWNER = st.text(alphabet="ab <!-/:\n", max_size=30)


@given(
    _OWNER, st.sampled_from([None, "+15559876543"]), st.sampled_from([None, "1 Main"])
)
def test_transfer_and_address_touch_only_their_sections_and_are_idempotent(
    owner: str, number: str | None, address: str | None
) -> None:
    base = new_profile("o1", "Acme").system_prompt + "\n" + owner
    before = prompt_sections.parse(base)
    once = business.apply_address(business.apply_transfer(base, number), address)
    assert (
        business.apply_address(business.apply_transfer(once, number), address) == once
    )
    after = prompt_sections.parse(once)
    assert "".join(after.owner_text) == "".join(before.owner_text)
    untouched = {"persona", "context"}
    assert {k: v for k, v in after.sections.items() if k in untouched} == {
        k: v for k, v in before.sections.items() if k in untouched
    }
    assert ("transfer" in after.sections) == (number is not None)
    assert ("address" in after.sections) == (address is not None)


# ------------------------------------------------------------ knowledge base


def test_knowledge_base_keys_are_the_catalog_only() -> None:
    assert check_kb_key(" FAQs ") == "faqs"
    _, error = attempt(check_kb_key, "recipes")
    assert error is not None
    assert "company-info" in error.problem


def test_a_section_becomes_a_markdown_file_headed_by_its_label() -> None:
    assert markdown_file("company-info", "Founded 1990") == (
        b"# Company information\n\nFounded 1990\n"
    )


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("Handbook.PDF", b"%PDF-1.4 ...", DocumentKind.PDF),
        ("menu.docx", b"PK\x03\x04...", DocumentKind.DOCX),
        ("prices.csv", b"item,price\n", DocumentKind.CSV),
        ("notes.txt", "café".encode(), DocumentKind.TXT),
    ],
)
def test_the_four_accepted_types(name: str, content: bytes, kind: DocumentKind) -> None:
    assert check_upload(name, content) is kind


@given(st.binary(max_size=200))
def test_text_files_must_be_utf8_without_nul(content: bytes) -> None:
    text = plain_text(content)
    accepted = attempt(check_upload, "a.txt", content)[1] is None
    assert accepted == (bool(content) and text is not None)


@pytest.mark.parametrize(
    ("raw", "name"),
    [("C:\\Users\\me\\faq.txt", "faq.txt"), ("../../etc/passwd.txt", "passwd.txt")],
)
def test_uploaded_file_names_lose_their_folders(raw: str, name: str) -> None:
    assert check_file_name(raw) == name


# ------------------------------------------------------------ onboarding data


def test_onboarding_steps_merge_later_values_over_earlier_ones() -> None:
    merged = onboarding.merge_data({"a": 1, "b": 2}, {"b": 3, "c": 4})
    assert merged == {"a": 1, "b": 3, "c": 4}
    _, error = attempt(onboarding.merge_data, {str(i): i for i in range(50)}, {"x": 1})
    assert error is not None


_DATA = st.fixed_dictionaries(
    {},
    optional={
        "businessName": st.sampled_from(["Acme", " Zoë's Café "]),
        "websiteUrl": st.sampled_from(["acme.com", "https://a.co/x", ""]),
        "businessAddress": st.sampled_from(["1 Main St\nSuite 2", ""]),
        "transferNumber": st.sampled_from(["(415) 555-2671", "+44 20 7183 8750", ""]),
        "timezone": st.sampled_from(["Europe/Paris", " America/New_York "]),
        "businessHours": st.just({"Monday": {"open": "09:00", "close": "02:00"}}),
        "areaCode": st.sampled_from(["415", "212"]),
        "extra": st.integers(),
    },
)


@given(_DATA)
def test_checked_onboarding_data_checks_to_itself(data: dict[str, object]) -> None:
    once = onboarding.check_data(data, Tier.ENTERPRISE)
    assert onboarding.check_data(once, Tier.ENTERPRISE) == once
    assert set(once) == set(data)


def test_gated_onboarding_fields_need_their_plan() -> None:
    with pytest.raises(PlanRequired):
        onboarding.check_data({"assistantName": "Alex"}, Tier.ADVANCED)
    assert onboarding.check_data({"assistantName": " "}, Tier.FREE) == {
        "assistantName": None
    }


def test_the_area_code_comes_from_the_choice_else_the_transfer_number() -> None:
    assert onboarding.area_code(
        {"areaCode": "212", "transferNumber": "+14155552671"}
    ) == ("212")
    assert onboarding.area_code({"transferNumber": "+14155552671"}) == "415"
    assert onboarding.area_code({}) is None


_FOUND = st.builds(
    ExtractedBusiness,
    business_name=st.one_of(st.none(), st.text(max_size=150)),
    business_type=st.one_of(st.none(), st.text(max_size=70)),
    description=st.one_of(st.none(), st.text(max_size=50)),
    hours=st.one_of(
        st.none(),
        st.just({"monday": {"open": "9am"}}),
        st.just({"friday": {"open": "20:00", "close": "02:00"}}),
    ),
    timezone=st.one_of(st.none(), st.sampled_from(["Europe/Paris", "PST", "EST5EDT"])),
    address=st.one_of(st.none(), st.text(max_size=50)),
    phone=st.one_of(st.none(), st.text(alphabet="+0123456789 ()-", max_size=16)),
)


@given(_FOUND)
def test_whatever_the_model_extracts_the_report_is_valid_onboarding_data(
    found: ExtractedBusiness,
) -> None:
    data, warnings = onboarding.clean_extraction(found)
    as_onboarding = {
        {
            "description": "businessDescription",
            "hours": "businessHours",
            "address": "businessAddress",
            "phone": "transferNumber",
        }.get(k, k): v
        for k, v in data.items()
    }
    assert onboarding.check_data(as_onboarding, Tier.ENTERPRISE) == as_onboarding
    given_values = sum(
        v is not None
        for v in (
            found.business_name,
            found.business_type,
            found.description,
            found.hours,
            found.timezone,
            found.address,
            found.phone,
        )
    )
    assert len(data) + len(warnings) <= given_values


# ------------------------------------------------------------ regeneration


@pytest.mark.parametrize(
    ("requested", "keys"),
    [
        (None, ["persona", "context"]),
        ([], ["persona", "context"]),
        (["context", " persona", "context"], ["persona", "context"]),
        (["context"], ["context"]),
    ],
)
def test_regeneration_defaults_to_both_sections(
    requested: list[str] | None, keys: list[str]
) -> None:
    assert sections_to_regenerate(requested) == keys


def test_a_blank_model_answer_is_a_failed_provider() -> None:
    assert check_generated("  You are Alex.  ") == "You are Alex."
    with pytest.raises(ProviderUnavailable):
        check_generated(" \n ")
    with pytest.raises(ValidationFailed):
        sections_to_regenerate(["hours"])

"""A provider other than payments failing is a 502 naming the provider, and
an SMS refused for its A2P status is a 403."""

from __future__ import annotations

from typing import Any, cast

from litestar import Request

from epoch_domain.errors import ProviderUnavailable
from epoch_domain.sms import SmsNotAllowed
from epoch_http.errors import domain_error_response

REQUEST = cast(Request[Any, Any, Any], None)


def test_an_unavailable_provider_is_a_502() -> None:
    response = domain_error_response(
        REQUEST, ProviderUnavailable("SMS carrier", "timed out")
    )
    assert response.status_code == 502
    assert response.content["detail"] == "The SMS carrier is unavailable: timed out"
    assert response.content["error"] == "ProviderUnavailable"


def test_sms_without_an_approved_campaign_is_a_403() -> None:
    response = domain_error_response(REQUEST, SmsNotAllowed("BRAND_PENDING"))
    assert response.status_code == 403
    assert "CAMPAIGN_APPROVED" in response.content["detail"]

"""Voice access tokens for browser callers (the web widget), signed with the
official Twilio SDK (`AccessToken` + `VoiceGrant`).

Live when TWILIO_ACCOUNT_SID, TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET and
TWILIO_TWIML_APP_SID are all set. Otherwise the sandbox signs the same kind of
JWT with a sandbox account and a random per-process secret: a developer can
decode it and see the identity, grant and lifetime, but Twilio would refuse it.
"""

from __future__ import annotations

import secrets

import structlog
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from epoch_adapters.settings import Settings

log = structlog.get_logger()

SANDBOX_ACCOUNT_SID = "AC" + "0" * 32
SANDBOX_API_KEY_SID = "SK" + "0" * 32
SANDBOX_TWIML_APP_SID = "AP" + "0" * 32
# PyJWT warns on HMAC keys shorter than 32 bytes; Twilio's secrets are 32.
MIN_SECRET_BYTES = 32


class TwilioVoiceTokens:
    """Implements `telephony_ports.VoiceTokens`."""

    def __init__(
        self,
        account_sid: str,
        api_key_sid: str,
        api_key_secret: str,
        twiml_app_sid: str,
        sandbox: bool = False,
    ) -> None:
        if len(api_key_secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError("the API key secret must be at least 32 bytes")
        self._account_sid = account_sid
        self._api_key_sid = api_key_sid
        self._secret = api_key_secret
        self._twiml_app_sid = twiml_app_sid
        self.sandbox = sandbox

    @property
    def sandbox_secret(self) -> str | None:
        """The signing key, for checking sandbox tokens; None when live."""
        return self._secret if self.sandbox else None

    async def voice_access_token(self, identity: str, ttl_seconds: int) -> str:
        token = AccessToken(
            self._account_sid,
            self._api_key_sid,
            self._secret,
            identity=identity,
            ttl=ttl_seconds,
        )
        token.add_grant(
            VoiceGrant(
                outgoing_application_sid=self._twiml_app_sid, incoming_allow=True
            )
        )
        jwt: str = token.to_jwt()
        return jwt


def build_voice_tokens(settings: Settings) -> TwilioVoiceTokens:
    configured = (
        settings.twilio_account_sid,
        settings.twilio_api_key_sid,
        settings.twilio_api_key_secret,
        settings.twilio_twiml_app_sid,
    )
    account, key_sid, key_secret, app_sid = configured
    if account and key_sid and key_secret and app_sid:
        return TwilioVoiceTokens(account, key_sid, key_secret, app_sid)
    if any(configured):
        log.warning("twilio.tokens.partly_configured", mode="sandbox")
    return TwilioVoiceTokens(
        SANDBOX_ACCOUNT_SID,
        SANDBOX_API_KEY_SID,
        secrets.token_urlsafe(MIN_SECRET_BYTES),
        SANDBOX_TWIML_APP_SID,
        sandbox=True,
    )

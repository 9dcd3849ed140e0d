"""Password reset, password change and magic sign-in links.

Every mailed token is single-use, short-lived and stored as a digest only.
Answers to "send me a link" never depend on whether the account exists: the
use case reports what happened (for the logs), and the caller answers the same
way whatever it is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from epoch_domain.accounts import User, check_password, normalize_email
from epoch_domain.auth_tokens import PREFIX, AuthToken, TokenKind, check_token
from epoch_domain.errors import NotAuthenticated, TokenRejected, ValidationFailed
from epoch_domain.ports import (
    Clock,
    MailDeliveryFailed,
    Mailer,
    OutgoingMail,
    PasswordHasher,
    Secrets,
    UnitOfWorkFactory,
)
from epoch_domain.sessions import token_digest
from epoch_domain.usecases.accounts import Accounts, LoginResult, SessionContext


class LinkOutcome(enum.StrEnum):
    """What a "mail me a link" request did; for logs, never for the answer."""

    SENT = "sent"
    MAIL_FAILED = "mail_failed"
    NO_ACCOUNT = "no_account"


@dataclass(frozen=True, slots=True)
class LinkRequest:
    outcome: LinkOutcome
    user_id: str | None = None


class Credentials:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        mailer: Mailer,
        clock: Clock,
        secrets: Secrets,
        accounts: Accounts,
        app_url: str,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._mailer = mailer
        self._clock = clock
        self._secrets = secrets
        self._accounts = accounts
        self._app_url = app_url.rstrip("/")

    # -- mailed links -----------------------------------------------------

    async def forgot_password(self, email: str) -> LinkRequest:
        return await self._mail_link(email, TokenKind.PASSWORD_RESET)

    async def request_magic_link(self, email: str) -> LinkRequest:
        return await self._mail_link(email, TokenKind.MAGIC_LINK)

    async def _mail_link(self, email: str, kind: TokenKind) -> LinkRequest:
        address = normalize_email(email)
        now = self._clock.now()
        raw = self._secrets.token(PREFIX[kind])
        async with self._uow() as uow:
            user = await uow.users.by_email(address)
            if user is None:
                return LinkRequest(LinkOutcome.NO_ACCOUNT)
            # Only the newest link of a kind works: an older mail left in an
            # inbox stops being a way in once a new one is asked for.
            await uow.auth_tokens.spend_unused(user.id, now, kind)
            token = AuthToken.issue(self._secrets.new_id(), kind, user.id, now)
            await uow.auth_tokens.add(token, token_digest(raw))
            await uow.commit()
        # The token is stored before the mail goes out: a mail failure loses
        # nothing, and asking again issues a fresh link.
        try:
            await self._mailer.send(self._link_mail(user, kind, raw))
        except MailDeliveryFailed:
            return LinkRequest(LinkOutcome.MAIL_FAILED, user.id)
        return LinkRequest(LinkOutcome.SENT, user.id)

    def _link_mail(self, user: User, kind: TokenKind, raw: str) -> OutgoingMail:
        if kind is TokenKind.PASSWORD_RESET:
            link = f"{self._app_url}/reset-password?token={raw}"
            return OutgoingMail(
                to=user.email,
                subject="Reset your Epoch Voice password",
                text=(
                    f"Hi {user.name},\n\nSomeone asked to reset the password of "
                    f"this account. To choose a new one, open:\n\n{link}\n\n"
                    "The link works once, within an hour. If it was not you, "
                    "ignore this mail: your password stays as it is.\n"
                ),
                tags={"kind": "password-reset"},
            )
        link = f"{self._app_url}/api/auth/magic-link?token={raw}"
        return OutgoingMail(
            to=user.email,
            subject="Your Epoch Voice sign-in link",
            text=(
                f"Hi {user.name},\n\nOpen this link to sign in:\n\n{link}\n\n"
                "It works once, within 15 minutes. If you did not ask for it, "
                "ignore this mail.\n"
            ),
            tags={"kind": "magic-link"},
        )

    # -- spending tokens --------------------------------------------------

    async def reset_password(self, raw_token: str, password: str) -> str:
        """Set a new password from a reset token; every session of the user
        ends. Returns the user's id."""
        check_password(password)
        digest = token_digest(raw_token)
        async with self._uow() as uow:
            # A cheap look first, so a junk token costs no password hashing.
            check_token(
                await uow.auth_tokens.lock_by_digest(digest),
                TokenKind.PASSWORD_RESET,
                self._clock.now(),
            )
        password_hash = await self._hasher.hash(password)
        async with self._uow() as uow:
            now = self._clock.now()
            token = check_token(
                await uow.auth_tokens.lock_by_digest(digest),
                TokenKind.PASSWORD_RESET,
                now,
            )
            await uow.auth_tokens.mark_used(token.id, now)
            await uow.auth_tokens.spend_unused(token.user_id, now)
            await uow.credentials.set_password(token.user_id, password_hash, now)
            await uow.sessions.revoke_all_for_user(token.user_id, now)
            await uow.commit()
        return token.user_id

    async def redeem_magic_link(self, raw_token: str) -> LoginResult:
        digest = token_digest(raw_token)
        async with self._uow() as uow:
            now = self._clock.now()
            token = check_token(
                await uow.auth_tokens.lock_by_digest(digest),
                TokenKind.MAGIC_LINK,
                now,
            )
            user = await uow.users.get(token.user_id)
            if user is None:
                raise TokenRejected("invalid")
            await uow.auth_tokens.mark_used(token.id, now)
            await uow.commit()
        return await self._accounts.start_session(user)

    # -- changing a known password -----------------------------------------

    async def change_password(
        self,
        ctx: SessionContext,
        current_password: str | None,
        new_password: str,
        forced: bool,
    ) -> int:
        """Change the caller's password; the other sessions of the user end.

        `forced` skips the current-password check only when the account is
        flagged for a forced change: a client cannot grant itself the skip.
        Returns how many other sessions were revoked.
        """
        check_password(new_password, "newPassword")
        async with self._uow() as uow:
            user = await uow.users.get(ctx.user.id)
        if user is None:
            raise NotAuthenticated()
        skip_check = forced and user.must_change_password
        if not skip_check:
            ok = bool(current_password) and await self._hasher.verify(
                user.password_hash, current_password or ""
            )
            if not ok:
                raise ValidationFailed("currentPassword", "is incorrect")
        password_hash = await self._hasher.hash(new_password)
        async with self._uow() as uow:
            now = self._clock.now()
            await uow.credentials.set_password(user.id, password_hash, now)
            await uow.auth_tokens.spend_unused(user.id, now)
            revoked = await uow.sessions.revoke_all_for_user(
                user.id, now, keep=ctx.session.id
            )
            await uow.commit()
        return revoked

"""Delivering the outbox to Slack: supplier messages in the case's thread, owner alerts in the
owner channel, acknowledgements where the supplier spoke.

The first message of a case is posted top-level in its supplier's channel and becomes the
case's thread; everything after is a reply in that thread. Each outbox row is posted once: its
idempotency key is recorded with the ``ts`` Slack gave it right after the post, so a second
delivery of the same row posts nothing. No Slack call runs inside a database transaction:
what is read before a call and written after it each take their own short one.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.slack import blocks as slack_blocks
from bot.slack import text as slack_text
from graph.supplier_answers import ACK_CHANNEL
from ledger import outbox
from ledger.db import transaction
from ledger.models import OutboxRow, PhotoRow
from ledger.slack_models import SlackPostRow, SlackThreadRow, case_thread, posted
from policies.models import Store

log = logging.getLogger("returnbridge.slack")
Uploader = Callable[[str, bytes], None]
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "thread_not_found",
        "not_in_channel",
        "is_archived",
        "message_not_found",
        "invalid_blocks",
        "msg_too_long",
    }
)


def http_upload(url: str, data: bytes) -> None:
    """Send a file's bytes to the upload URL Slack handed out."""
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


class SlackOutbox:
    """Posts outbox rows to Slack; knows which channel is whose."""

    def __init__(
        self,
        client: WebClient,
        store: Store,
        *,
        owner_channel: str | None = None,
        channels: Mapping[str, str] | None = None,
        uploader: Uploader = http_upload,
    ) -> None:
        self.client = client
        self.store = store
        self.owner_channel = owner_channel
        self.uploader = uploader
        self._channels = {
            supplier_id: agreement.slack_channel
            for supplier_id, agreement in store.suppliers.items()
            if agreement.slack_channel
        }
        self._channels.update(channels or {})
        self._suppliers = {channel: supplier for supplier, channel in self._channels.items()}

    def channel_for(self, supplier_id: str) -> str | None:
        return self._channels.get(supplier_id)

    def supplier_for(self, channel: str | None) -> str | None:
        return self._suppliers.get(channel or "")

    # -- delivery --------------------------------------------------------------------------------

    def deliver(self, sessions: sessionmaker[Session], row: OutboxRow) -> bool:
        """Post one row if it is Slack's to carry. False: it failed and stays queued. ``row``
        is a detached copy; ``row.last_error`` tells why it failed."""
        try:
            if row.channel == outbox.SUPPLIER:
                self._to_supplier(sessions, row)
            elif row.channel == ACK_CHANNEL:
                self._acknowledgement(sessions, row)
            elif row.channel == outbox.OWNER and self.owner_channel:
                self._post_once(sessions, row, channel=self.owner_channel, text=row.text)
            return True
        except SlackApiError as error:
            row.last_error = f"slack: {error.response.get('error')}"[:2000]
            if error.response.get("error") in PERMANENT_ERRORS:
                # Retrying cannot help (an archived channel, a thread that is not there):
                # the message stays in the outbox and on the inbox page, marked with why.
                log.info("slack gave up on %s: %s", row.idempotency_key, row.last_error)
                return True
            log.warning("slack delivery of %s failed: %s", row.idempotency_key, row.last_error)
            return False
        except (SlackClientError, OSError, ValueError) as error:
            row.last_error = f"slack: {error}"[:2000]
            log.warning("slack delivery of %s failed: %s", row.idempotency_key, error)
            return False

    def _post_once(
        self,
        sessions: sessionmaker[Session],
        row: OutboxRow,
        *,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        thread_for: str | None = None,
    ) -> str:
        """Post once per outbox key. ``thread_for`` (a supplier id): the post opens the case's
        thread, recorded in the same short transaction as the post itself."""
        with transaction(sessions) as session:
            done = posted(session, row.idempotency_key)
            if done is not None:
                return done.ts
        # The fallback text is what notifications and old clients show: as inert as the blocks.
        args: dict[str, Any] = {"channel": channel, "text": slack_text.escape(text)}
        if thread_ts:
            args["thread_ts"] = thread_ts
        if blocks:
            args["blocks"] = blocks
        response = self.client.chat_postMessage(**args)
        ts = str(response["ts"])
        with transaction(sessions) as session:
            session.add(
                SlackPostRow(
                    outbox_key=row.idempotency_key,
                    case_code=row.case_code,
                    channel=str(response.get("channel") or channel),
                    ts=ts,
                    at=row.created_at,
                )
            )
            if thread_for is not None and row.case_code is not None:
                session.add(
                    SlackThreadRow(
                        case_code=row.case_code,
                        supplier_id=thread_for,
                        channel=channel,
                        thread_ts=ts,
                        created_at=row.created_at,
                    )
                )
        return ts

    def _to_supplier(self, sessions: sessionmaker[Session], row: OutboxRow) -> None:
        channel = self.channel_for(row.recipient)
        if channel is None or row.case_code is None:
            return  # no Slack channel for this supplier: the inbox page shows it
        blocks = slack_blocks.message_blocks(row.kind, row.text, dict(row.payload))
        with transaction(sessions) as session:
            thread = case_thread(session, row.case_code)
            place = None if thread is None else (thread.channel, thread.thread_ts)
        if place is None:
            ts = self._post_once(
                sessions,
                row,
                channel=channel,
                text=row.text,
                blocks=blocks,
                thread_for=row.recipient,
            )
            if row.kind == "authorisation_request":
                self._upload_photos(sessions, row.case_code, channel, ts)
            return
        self._post_once(
            sessions,
            row,
            channel=place[0],
            text=row.text,
            thread_ts=place[1],
            blocks=blocks,
        )

    def _upload_photos(
        self, sessions: sessionmaker[Session], code: str, channel: str, thread_ts: str
    ) -> None:
        """The customer's photos, uploaded into the thread. A failed upload is logged; the
        request itself stands."""
        with transaction(sessions) as session:
            photos = list(
                session.execute(
                    select(PhotoRow).where(PhotoRow.case_code == code).order_by(PhotoRow.id)
                ).scalars()
            )
        for number, photo in enumerate(photos, start=1):
            name = f"{code}-photo-{number}.jpg"
            try:
                ticket = self.client.files_getUploadURLExternal(
                    filename=name, length=len(photo.data)
                )
                self.uploader(str(ticket["upload_url"]), photo.data)
                self.client.files_completeUploadExternal(
                    files=[{"id": ticket["file_id"], "title": photo.description or name}],
                    channel_id=channel,
                    thread_ts=thread_ts,
                    initial_comment="Customer's photo" if number == 1 else None,
                )
            except (SlackApiError, SlackClientError, OSError, ValueError) as error:
                log.warning("photo upload for %s failed: %s", code, error)

    def _acknowledgement(self, sessions: sessionmaker[Session], row: OutboxRow) -> None:
        payload = dict(row.payload)
        channel, thread_ts = payload.get("channel"), payload.get("thread_ts")
        if not channel or not thread_ts:
            return  # said on the inbox page, shown there
        self._post_once(sessions, row, channel=str(channel), text=row.text, thread_ts=thread_ts)
        decided = payload.get("decided")
        if decided and row.case_code:
            kind = (
                "inspection_request"
                if str(decided).startswith("inspected")
                else ("authorisation_request")
            )
            self._close_buttons(sessions, row.case_code, kind, row.text)

    def _close_buttons(
        self, sessions: sessionmaker[Session], code: str, kind: str, outcome: str
    ) -> None:
        """Take the buttons off the request just answered, so nobody presses them again."""
        with transaction(sessions) as session:
            rows = list(
                session.execute(
                    select(SlackPostRow, OutboxRow)
                    .join(OutboxRow, OutboxRow.idempotency_key == SlackPostRow.outbox_key)
                    .where(SlackPostRow.case_code == code, OutboxRow.kind == kind)
                ).all()
            )
        for post, request in rows:
            blocks = slack_blocks.message_blocks(request.kind, request.text, dict(request.payload))
            if blocks is None:
                continue
            self.client.chat_update(
                channel=post.channel,
                ts=post.ts,
                text=slack_text.escape(request.text),
                blocks=slack_blocks.decided_blocks(blocks, outcome),
            )

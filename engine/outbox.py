"""E-mail and SMS leave only after commit: written with the state change, sent by a job.

``queue`` adds the message and its delivery job in the caller's transaction (never
commits). ``transmit`` talks to the outside world (SMTP, an SMS gateway) with no
transaction open; a crash between sending and marking sent sends once more on restart,
never zero times. The default SMS sender writes ``sms_outbox`` rows for a gateway to
collect.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import jobs
from engine.deadline_config import DeadlineConfig
from engine.errors import ScriptFailed
from engine.models import OutboxMessage, SmsOutbox

SEND = "send_outbox"
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,30}$")
SMS_LIMIT = 500


class Channel(str, Enum):
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to send, read out of its row so no transaction stays open."""

    id: int
    channel: Channel
    recipient: str
    subject: str
    body: str


def queue(
    session: Session,
    channel: Channel,
    recipient: str,
    subject: str,
    body: str,
    *,
    language: str,
    instance_id: int | None,
    now: datetime,
    config: DeadlineConfig,
) -> OutboxMessage:
    """Write the message and the job that sends it, in the caller's transaction."""
    row = OutboxMessage(
        channel=channel.value,
        recipient=recipient[:255],
        subject=subject[:255],
        body=body,
        language=language,
        instance_id=instance_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    jobs.enqueue(
        session,
        SEND,
        run_at=now,
        now=now,
        key=f"outbox:{row.id}",
        payload={"outbox_id": row.id},
        instance_id=instance_id,
        max_attempts=config.job_max_attempts,
    )
    return row


def queue_sms_list(
    session: Session,
    entries: object,
    *,
    instance_id: int,
    bpmn_id: str,
    now: datetime,
    config: DeadlineConfig,
) -> int:
    """Queue the texts a model composed, a list of ``{"to": phone, "text": ...}``.

    Raises:
        ScriptFailed: the list is malformed (the instance goes to error, none is sent).
    """
    if entries is None:
        return 0
    if not isinstance(entries, list):
        raise ScriptFailed("smsOutbox must name a list of {to, text}", bpmn_id=bpmn_id)
    for number, entry in enumerate(entries, 1):
        phone = entry.get("to") if isinstance(entry, dict) else None
        text = entry.get("text") if isinstance(entry, dict) else None
        if not isinstance(phone, str) or not PHONE.match(phone.strip()):
            raise ScriptFailed(
                f"smsOutbox entry {number}: 'to' is not a phone number", bpmn_id=bpmn_id
            )
        if not isinstance(text, str) or not text.strip() or len(text) > SMS_LIMIT:
            raise ScriptFailed(
                f"smsOutbox entry {number}: 'text' must be 1 to "
                f"{SMS_LIMIT} characters",
                bpmn_id=bpmn_id,
            )
        queue(
            session,
            Channel.SMS,
            phone.strip(),
            "",
            text,
            language="",
            now=now,
            instance_id=instance_id,
            config=config,
        )
    return len(entries)


def mark_sent(session: Session, outbox_id: int, now: datetime) -> None:
    row = session.get(OutboxMessage, outbox_id)
    if row is not None:
        row.sent_at = now


def prepare(
    session: Session, outbox_id: int, now: datetime, config: DeadlineConfig
) -> Outgoing | None:
    """What still has to go out over the network; None when nothing is left to do.

    The default SMS sender only writes a row, so it is done right here, in the same
    transaction that marks the message sent.
    """
    row = session.get(OutboxMessage, outbox_id)
    if row is None or row.sent_at is not None:
        return None
    if row.channel == Channel.SMS.value and config.sms_sender is None:
        session.add(SmsOutbox(phone=row.recipient[:32], text=row.body, created_at=now))
        row.sent_at = now
        return None
    return Outgoing(
        id=row.id,
        channel=Channel(row.channel),
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
    )


def transmit(message: Outgoing, config: DeadlineConfig) -> None:
    """Send by SMTP or the configured SMS sender; raise on failure (the job retries)."""
    if message.channel is Channel.SMS:
        if config.sms_sender is None:
            raise RuntimeError("the default SMS sender works inside a transaction")
        config.sms_sender(message.recipient, message.body)
        return
    if not config.smtp_host:
        raise RuntimeError("SIGNOFF_SMTP_HOST is not set; e-mail cannot be sent")
    email = EmailMessage()
    email["From"] = config.smtp_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"signoff-{message.id}")
    email.set_content(message.body)
    with smtplib.SMTP(
        config.smtp_host, config.smtp_port, timeout=config.smtp_timeout
    ) as smtp:
        smtp.send_message(email)


def list_sms(session: Session) -> list[tuple[str, str]]:
    """(phone, text) of the SMS the default sender has stored, oldest first."""
    query = select(SmsOutbox.phone, SmsOutbox.text).order_by(SmsOutbox.id)
    return [(phone, text) for phone, text in session.execute(query)]

"""What a notice says, in Chinese and English: its kinds, templates and rendering.

Pure text: no database. ``engine/notifications.py`` writes the rendered notices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from engine.deadline_config import DeadlineConfig


class Kind(str, Enum):
    TASK_CREATED = "task_created"
    TASK_REMINDER = "task_reminder"
    TASK_OVERDUE = "task_overdue"
    TASK_ESCALATED = "task_escalated"
    INSTANCE_COMPLETED = "instance_completed"


# (title, body) per language; {task}, {process}, {ref} (the request's number, so two
# requests of one process tell apart), {key} and {due} are filled in.
TEMPLATES: dict[Kind, dict[str, tuple[str, str]]] = {
    Kind.TASK_CREATED: {
        "zh": (
            "新任务：{task}",
            "「{process}」{ref}{key}有一项新任务「{task}」等待处理。{due}",
        ),
        "en": (
            "New task: {task}",
            '{process}{ref}{key}: the task "{task}" is waiting for you.' "{due}",
        ),
    },
    Kind.TASK_REMINDER: {
        "zh": (
            "任务即将到期：{task}",
            "「{process}」{ref}{key}的任务「{task}」即将到期。{due}",
        ),
        "en": (
            "Task due soon: {task}",
            '{process}{ref}{key}: the task "{task}" is due soon.' "{due}",
        ),
    },
    Kind.TASK_OVERDUE: {
        "zh": (
            "任务已逾期：{task}",
            "「{process}」{ref}{key}的任务「{task}」已超过期限。{due}",
        ),
        "en": (
            "Task overdue: {task}",
            '{process}{ref}{key}: the task "{task}" is overdue.' "{due}",
        ),
    },
    Kind.TASK_ESCALATED: {
        "zh": (
            "逾期督办：{task}",
            "「{process}」{ref}{key}的任务「{task}」已逾期，已升级给您督办。" "{due}",
        ),
        "en": (
            "Escalated: {task}",
            '{process}{ref}{key}: the task "{task}" is overdue and has '
            "been escalated to you.{due}",
        ),
    },
    Kind.INSTANCE_COMPLETED: {
        "zh": ("{ended}：{process}", "您发起的「{process}」#{number}{key}已办结{result}。"),
        "en": (
            "{ended}: {process}",
            'Your request "{process}" #{number}{key} has finished{result}.',
        ),
    },
}
DUE = {"zh": "截止时间：{at}", "en": " Due {at}."}
# How a finished instance ended ({ended} in a title, {result} in a body), by outcome;
# None: it ended at an end event naming no outcome. "done" says no more than finished.
ENDED: dict[str | None, dict[str, tuple[str, str]]] = {
    None: {"zh": ("已办结", ""), "en": ("Finished", "")},
    "done": {"zh": ("已办结", ""), "en": ("Finished", "")},
    "approved": {"zh": ("已批准", "，结果：已批准"), "en": ("Approved", ": approved")},
    "rejected": {"zh": ("已驳回", "，结果：已驳回"), "en": ("Rejected", ": rejected")},
    "withdrawn": {"zh": ("已撤回", "，结果：已撤回"), "en": ("Withdrawn", ": withdrawn")},
}


@dataclass(frozen=True, slots=True)
class Subject:
    """What a notice is about, with the names in both languages."""

    process: str
    process_en: str | None
    task: str = ""
    task_en: str | None = None
    business_key: str | None = None
    due_at: datetime | None = None
    instance_id: int | None = None
    task_id: str | None = None
    outcome: str | None = None  # how a finished instance ended (records.Outcome)


def render(
    kind: Kind, subject: Subject, language: str, config: DeadlineConfig
) -> tuple[str, str]:
    lang = "en" if language == "en" else "zh"
    title, body = TEMPLATES[kind][lang]
    english = lang == "en"
    key = f" ({subject.business_key})" if subject.business_key else ""
    due = ""
    if subject.due_at is not None:
        local = subject.due_at.astimezone(config.zone)
        due = DUE[lang].format(at=f"{local:%Y-%m-%d %H:%M}")
    values = {
        "task": (subject.task_en if english and subject.task_en else subject.task),
        "process": (
            subject.process_en if english and subject.process_en else subject.process
        ),
        "key": key,
        "due": due,
        "number": str(subject.instance_id or ""),
        "ref": f"{' ' if english else ''}#{subject.instance_id}"
        if subject.instance_id
        else "",
    }
    ended, result = ENDED.get(subject.outcome, ENDED[None])[lang]
    values.update(ended=ended, result=result)
    return title.format(**values)[:255], body.format(**values)

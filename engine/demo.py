"""Demo groups and users for a fresh installation (``make run``) and for tests.

One person per lane of the shipped processes, plus an admin and an auditor. The
password is the same for all and printed by ``signoff init --demo``; change it in production.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.core import Engine
from engine.errors import InvalidInput
from engine.records import SYSTEM, Role, TaskState

DEMO_PASSWORD = "signoff-demo"

GROUPS: tuple[tuple[str, str, str], ...] = (
    ("account_staff", "大客户服务人员", "Account staff"),
    ("account_manager", "大客户经理", "Account manager"),
    ("supervisor", "大客户部主管", "Supervisor"),
    ("department_manager", "大客户部经理", "Department manager"),
    ("director", "大客户总监", "Director"),
    ("general_manager", "总经理", "General manager"),
    ("finance", "财务部", "Finance"),
    ("customer_service", "客服", "Customer service"),
    ("county_bureau", "县局（电子商务局/金融业务局）", "County bureau"),
    ("county_platform_office", "县局平台办", "County platform office"),
    ("city_platform_office", "市公司平台办", "City platform office"),
    ("city_bureau", "市局（电子商务局/金融业务局）", "City e-commerce and financial bureau"),
    ("marketing", "市场部", "Marketing department"),
    ("county_finance", "县局财务", "County finance"),
    ("station_maintainer", "便民站维护人员", "Station maintainer"),
)


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    display_name: str
    groups: tuple[str, ...]
    role: Role = Role.STAFF
    language: str = "zh"


USERS: tuple[DemoUser, ...] = (
    DemoUser("zhao.min", "赵敏", ("account_staff",)),
    DemoUser("zhang.wei", "张伟", ("account_manager", "account_staff")),
    DemoUser("li.na", "李娜", ("supervisor",)),
    DemoUser("wang.fang", "王芳", ("department_manager",)),
    DemoUser("liu.yang", "刘洋", ("director",)),
    DemoUser("chen.jie", "陈杰", ("general_manager",)),
    DemoUser("yang.li", "杨丽", ("finance",)),
    DemoUser("huang.lei", "黄磊", ("customer_service",)),
    DemoUser("sun.qiang", "孙强", ("city_bureau",)),
    DemoUser("zhou.tao", "周涛", ("county_bureau",)),
    DemoUser("wu.hao", "吴昊", ("county_platform_office",)),
    DemoUser("xu.jing", "徐静", ("city_platform_office",)),
    DemoUser("ma.lin", "马琳", ("marketing",)),
    DemoUser("zhu.hong", "朱红", ("county_finance",)),
    DemoUser("hu.bin", "胡斌", ("station_maintainer",)),
    DemoUser("guo.ping", "郭平", ("station_maintainer",)),
    DemoUser("admin", "系统管理员", (), Role.ADMIN, "en"),
    DemoUser("auditor", "审计员", (), Role.AUDITOR, "en"),
)


def user_for(group: str) -> str:
    """The first demo user working in ``group`` (handy in tests and docs)."""
    return next(u.username for u in USERS if group in u.groups)


def ensure_groups(engine: Engine) -> None:
    for name, title, title_en in GROUPS:
        engine.ensure_group(name, title=title, title_en=title_en, actor=SYSTEM)


def ensure_users(engine: Engine, password: str = DEMO_PASSWORD) -> list[str]:
    """Create the demo groups and any missing demo user; return the names created."""
    ensure_groups(engine)
    created = []
    for user in USERS:
        try:
            engine.add_user(user.username, password=password, groups=user.groups,
                            role=user.role, display_name=user.display_name,
                            language=user.language, actor=SYSTEM)
        except InvalidInput as exc:
            if "already exists" not in exc.message:
                raise
            continue
        created.append(user.username)
    return created


def seed_instances(engine: Engine, path: Path) -> int:
    """Start the demo instances described in ``path`` unless instances already exist.

    Each entry names a process, its starter, start data and the steps to complete, so a
    new installation opens with real work waiting in several demo users' inboxes.
    ``"@file"`` values are read from the file next to ``path``.
    """
    if engine.list_instances(actor=SYSTEM, limit=1):
        return 0
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    for entry in entries:
        starter = engine.get_actor(entry["starter"])
        instance = engine.start_instance(entry["process_id"], _load(entry["data"], path),
                                         actor=starter, business_key=entry["business_key"])
        for step in entry["steps"]:
            actor = engine.get_actor(step["user"])
            task = next(t for t in engine.inbox(actor, state=TaskState.READY, limit=500)
                        if t.instance_id == instance.id and t.bpmn_id == step["bpmn_id"])
            engine.complete_task(task.id, _load(step["data"], path), actor=actor)
    return len(entries)


def _load(data: dict[str, Any], path: Path) -> dict[str, Any]:
    return {k: (path.parent / v[1:]).read_text(encoding="utf-8")
            if isinstance(v, str) and v.startswith("@") else v for k, v in data.items()}

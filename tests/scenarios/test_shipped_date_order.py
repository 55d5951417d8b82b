"""Dates on the shipped forms must come in the order the office works in.

A date before the one it follows (an activity ending before it started, a resolution
promised before the complaint came in) used to be accepted; the deadlines computed from
it were then overdue at once and escalated to a manager for nothing.
"""

from __future__ import annotations

from datetime import date

import pytest

import forms

TODAY = date(2026, 11, 23)
# form, submitted data, earlier instance data, field refused when the order is wrong
CASES = [
    ("service_delivery",
     {"activity_type": "technical_seminar", "activity_start_date": "2026-11-20",
      "activity_end_date": "2026-11-10", "service_summary": "完成讲座"},
     {}, "activity_end_date"),
    ("visit_application",
     {"customer_name": "宏达化工", "contact_person": "刘总", "visit_purpose": "了解计划",
      "visit_date": "2026-11-01", "visit_participants": "张伟", "gift_budget": "0",
      "travel_budget": "0", "meal_budget": "0", "other_budget": "0",
      "application_date": "2026-11-20"},
     {}, "visit_date"),
    ("visit_application_revision",
     {"revision_action": "resubmit", "revision_note": "改期", "customer_name": "宏达化工",
      "contact_person": "刘总", "visit_purpose": "了解计划", "visit_date": "2026-11-01",
      "visit_participants": "张伟", "gift_budget": "0", "travel_budget": "0",
      "meal_budget": "0", "other_budget": "0",
      "application_date": "2026-11-20"},
     {}, "visit_date"),
    ("reception_application",
     {"customer_name": "宏达化工", "reception_purpose": "考察", "reception_date": "2026-11-01",
      "guests": "刘总等 3 人", "reception_plan": "参观工厂", "gift_budget": "0",
      "travel_budget": "0", "meal_budget": "0", "other_budget": "0",
      "application_date": "2026-11-20"},
     {}, "reception_date"),
    ("visit_record",
     {"visit_actual_date": "2026-11-20", "needs_learned": "扩产", "next_visit_agreed": True,
      "next_visit_date": "2026-11-01"},
     {}, "next_visit_date"),
    ("visit_feedback",
     {"feedback_date": "2026-11-01", "feedback_method": "phone", "customer_feedback": "满意"},
     {"visit_actual_date": "2026-11-20"}, "feedback_date"),
    ("complaint_first_contact",
     {"first_contact_date": "2026-11-10", "first_contact_method": "phone",
      "complaint_details_confirmed": "延迟", "promised_resolution_date": "2026-11-25"},
     {"complaint_received_date": "2026-11-20"}, "first_contact_date"),
    ("complaint_first_contact",
     {"first_contact_date": "2026-11-20", "first_contact_method": "phone",
      "complaint_details_confirmed": "延迟", "promised_resolution_date": "2026-11-01"},
     {"complaint_received_date": "2026-11-20"}, "promised_resolution_date"),
    ("complaint_follow_up",
     {"follow_up_date": "2026-11-01", "follow_up_satisfaction": "satisfied"},
     {"resolution_implemented_date": "2026-11-20"}, "follow_up_date"),
    ("service_request_revision",
     {"customer_name": "华远物流", "support_content": "研讨会",
      "planned_activity_type": "technical_seminar", "customer_deep_needs": "降本",
      "application_date": "2026-12-01", "applicant_name": "赵敏", "revision_note": "补充"},
     {}, "application_date"),
]


def refused(form_key: str, data: dict[str, object],
            earlier: dict[str, object]) -> forms.FormErrors | None:
    spec = forms.load(form_key)
    try:
        forms.validate(spec, data, forms.Context(data=earlier, today=TODAY))
    except forms.FormErrors as exc:
        return exc
    return None


@pytest.mark.parametrize(("form_key", "data", "earlier", "field"), CASES,
                         ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_a_date_out_of_order_is_refused_in_both_languages(
    form_key: str, data: dict[str, object], earlier: dict[str, object], field: str
) -> None:
    error = refused(form_key, data, earlier)
    assert error is not None, f"{form_key} accepted {field} out of order"
    assert list(error.errors) == [field]
    assert list(error.errors_zh) == [field]
    assert all("{than}" not in text for text in error.errors_zh[field])


@pytest.mark.parametrize(("form_key", "data", "earlier", "field"), CASES,
                         ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_the_same_dates_in_order_are_accepted(
    form_key: str, data: dict[str, object], earlier: dict[str, object], field: str
) -> None:
    fixed = dict(data)
    later = {"activity_end_date": "2026-11-21", "visit_date": "2026-11-21",
             "reception_date": "2026-11-21", "next_visit_date": "2026-11-21",
             "feedback_date": "2026-11-21", "first_contact_date": "2026-11-20",
             "promised_resolution_date": "2026-11-25", "follow_up_date": "2026-11-21",
             "application_date": "2026-11-20"}
    fixed[field] = later[field]
    assert refused(form_key, fixed, earlier) is None

"""The complaints queue's rows (a Jinja2 partial, templates/jinja2/complaints/_queue_rows.html), read
from the rendered page: the reference's link and escaped summary, the clock chips with their due
time, the customer and the conversation's link, the receipt, the regime, the categories, the status."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from complaints import selectors, services
from complaints.models import Category
from complaints.templatetags.complaint_tags import due_time, received_time
from tests.html_tree import parse

HOSTILE = "<script>alert(\"x\")</script> & <b onmouseover='y'> and a long tail of words after it"


def test_the_queue_prints_each_complaints_row(client, agent, unhappy):
    product = Category.objects.get(kind="product", name="Debit card")
    complaint = services.complaint_confirm(
        actor=agent, conversation=unhappy, product=product.pk, summary=HOSTILE
    )
    client.force_login(agent)
    html = client.get(reverse("complaints:queue")).content.decode()

    assert "<script>alert" not in html
    row = parse(html).find("tr", **{"data-complaint": str(complaint.pk)})
    cells = row.find_all("td")
    link = cells[0].find("a")
    assert link.attrs["href"] == reverse("complaints:detail", args=[complaint.pk])
    assert link.text() == complaint.reference
    assert cells[0].find("span", "muted").text() == HOSTILE[:59] + "…"
    chips = cells[1].find_all("span", "complaint-chip")
    owed = selectors.chips(complaint, cal=services.calendar(), now=timezone.now())
    assert [c.text() for c in chips] == [f"{c.label}: {c.text}" for c in owed]
    assert [c.label for c in owed] == ["Acknowledgement", "Final response"]  # received in August
    assert chips[-1].attrs["title"] == f"Final response due {due_time(complaint.final_due_at)}"
    assert chips[-1].attrs["class"] == f"sla-chip sla-{owed[-1].state} complaint-chip"
    assert cells[2].text().startswith(unhappy.customer.label)
    assert cells[2].find("a").attrs["href"] == reverse("inbox:detail", args=[unhappy.pk])
    assert cells[3].text() == date_format(timezone.localtime(complaint.received_at), "D j M H:i")
    assert cells[4].text() == complaint.regime.name
    assert cells[5].text() == "Debit card · —"
    assert cells[6].text() == "Open"


def test_the_received_column_reads_as_djangos_date_filter_in_summer_and_winter():
    for instant in (
        dt.datetime(2026, 7, 4, 23, 30, tzinfo=dt.UTC),  # already Sunday in London
        dt.datetime(2026, 12, 31, 8, 5, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC),  # the hour before the clocks go forward
    ):
        assert received_time(instant) == date_format(timezone.localtime(instant), "D j M H:i")

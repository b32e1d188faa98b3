"""Complaints and retention.

* A complaint record is kept for the regulator's record-keeping period: when its conversation is
  deleted by retention the complaint stays (its foreign key is set to null); when the
  conversation is anonymised, the letters' words go with the conversation's (the dates,
  categories and outcome stay for the return).
* A vulnerability flag is special-category data: it is deleted once no complaint of the customer
  is open and it has not been touched for the retention period ("complaints.vulnerability"), and
  at once on the customer's erasure request (nothing obliges the bank to keep it).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from bankbuzz.audit import erasure
from bankbuzz.audit import retention as r
from complaints.models import Complaint, Letter, Vulnerability


def _anonymise(conversation_ids: list[int]) -> None:
    complaints = Complaint.objects.filter(conversation_id__in=conversation_ids)
    Letter.objects.filter(complaint__in=complaints).exclude(text=r.REMOVED).update(text=r.REMOVED)
    complaints.exclude(summary="").update(summary="")


def _delete(conversation_ids: list[int]) -> None:
    _anonymise(conversation_ids)


def _stale_flags(cutoff):
    return Vulnerability.objects.filter(updated_at__lt=cutoff).exclude(
        Exists(Complaint.objects.filter(customer_id=OuterRef("customer_id"), status=Complaint.Status.OPEN))
    )


def erase_person(context: erasure.ErasureContext) -> None:
    author = context.subject
    if author.pk in context.holds.ids("listening.author"):
        if Vulnerability.objects.filter(customer=author).exists():
            context.report.keep(
                f"listening.author:{author.pk}", "vulnerability flag", r.hold_reason(r.active_hold(author))
            )
        deleted = 0
    else:
        deleted, _ = Vulnerability.objects.filter(customer=author).delete()
    if deleted:
        context.report.did(f"listening.author:{author.pk}", "vulnerability flag", "deleted")
    complaints = list(Complaint.objects.filter(customer=author).values_list("pk", flat=True))
    for pk in complaints:
        context.report.keep(
            f"complaints.complaint:{pk}",
            "complaint record (dates, categories, outcome)",
            "the regulator's complaint record-keeping rules (DISP 1.9)",
        )
    context.audit_refs.append(("complaints.complaint", complaints))


def register() -> None:
    r.register_dependents("inbox.conversation", on_delete=_delete, on_anonymise=_anonymise)
    r.register_kind(
        r.Kind(
            key="complaints.vulnerability",
            label="Vulnerability flags",
            covers="customers flagged as potentially vulnerable (drivers and note), once no complaint "
            "of theirs is open",
            action=r.DELETE,
            default_days=365 * 3,
            minimum_days=90,
            since="the flag's last change",
            candidates=_stale_flags,
            held=lambda holds: Q(customer_id__in=holds.ids("listening.author")),
            apply=r.deleter(Vulnerability),
        )
    )
    erasure.register_eraser(erase_person)

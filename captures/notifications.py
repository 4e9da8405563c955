"""E-mails a capture's owner when a job they wait for ends: "Your 3D model of <name> is ready", or "<name> could
not be made into a 3D model" with the reason. Sent through Django's mail backend (the embedded default writes
.eml files under var/mail/), from the worker, by listening to gallery's item_finished signal (connected in
captures/signals.py): the job engine knows nothing of captures or e-mail.

Which ends are told:
- the reconstruction (any pipeline but the automatic preview), done or failed; a cancelled run is not told (its
  owner stopped it);
- the automatic preview only when it failed and it is the capture's only news: no other job of the capture is
  waiting, running or done, and none was told already (when the preview fails, the reconstruction usually fails
  on the same input a little later, and that is the e-mail sent);
- never to an account that turned the e-mails off on its profile page, nor to an inactive one or one without an
  address.

Each run is told once: gallery.services.claim_notification marks the item (Item.notified_at) before sending, so
a second delivery of the same end (a re-delivered task, finish called twice, a signal sent again) sends nothing;
Retry on a failed item clears the mark, so its new end is told again.
"""

import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from gallery import pipelines
from gallery import services as gallery
from gallery.models import Item

from .models import Capture

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Atlas] "


def capture_of(item):
    """The capture `item` was made from, or None for an item of another domain."""
    if item.source_type_id != ContentType.objects.get_for_model(Capture).pk:
        return None
    return Capture.objects.select_related("owner").filter(pk=item.source_id).first()


def is_preview(item):
    return pipelines.is_registered(item.pipeline) and pipelines.get(item.pipeline).category == "preview"


def worth_telling(item, capture):
    """Whether this end of `item` is news its owner waits for (see the module's docstring)."""
    owner = capture.owner
    if not (owner.is_active and owner.email and getattr(owner, "notify_job_emails", True)):
        return False
    if item.status == Item.Status.DONE:
        return not is_preview(item)
    if item.status != Item.Status.FAILED:
        return False
    if not is_preview(item):
        return True
    others = capture.items.exclude(pk=item.pk)
    return not (others.filter(status__in=[Item.Status.QUEUED, Item.Status.PROCESSING, Item.Status.DONE]).exists()
                or others.filter(notified_at__isnull=False).exists())


def message_for(item, capture):
    """The e-mail (plain text and HTML) telling `capture`'s owner how `item` ended."""
    ready = item.status == Item.Status.DONE
    context = {
        "name": capture.name,
        "ready": ready,
        "reason": item.failure_reason or "The job stopped without a reason.",
        "method": pipelines.label_of(item.pipeline),
        "link": settings.SITE_URL + reverse("dashboard:capture_detail", kwargs={"eid": capture.eid}),
        "settings_link": settings.SITE_URL + reverse("dashboard:profile") + "#id_notify_job_emails",
        "user": capture.owner,
    }
    subject = (f"Your 3D model of {capture.name} is ready" if ready
               else f"{capture.name} could not be made into a 3D model")
    template = "ready" if ready else "failed"
    message = EmailMultiAlternatives(
        SUBJECT_PREFIX + subject.replace("\n", " "),
        render_to_string(f"emails/captures/{template}.txt", context), None, [capture.owner.email])
    message.attach_alternative(render_to_string(f"emails/captures/{template}.html", context), "text/html")
    return message


def tell_owner(item):
    """Sends the e-mail for this end of `item` when it is worth telling and not told yet; True when sent."""
    capture = capture_of(item)
    if capture is None or not worth_telling(item, capture):
        return False
    if not gallery.claim_notification(item):
        return False
    try:
        message_for(item, capture).send()
    except Exception:
        gallery.release_notification(item)
        raise
    log.info("Told %s that item %s of capture %s is %s", capture.owner.email, item.pk, capture.eid, item.status)
    return True

"""A capture's owner is e-mailed when the job they wait for ends (captures/notifications.py): once per run, with
the link to the capture and, on failure, the reason; never when the account opted out on its profile page."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from captures import notifications, services
from gallery import services as gallery
from gallery.models import Item
from gallery.signals import item_finished
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://atlas.example.org"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit():` runs, on leaving, what waited for the commit (item_finished is sent once an end is
    committed; the test's own transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def capture_with_jobs(owner, name="Armchair", preview=Item.Status.DONE, reconstruction=Item.Status.PROCESSING):
    """An uploaded capture with its preview and reconstruction items in the given states."""
    capture = services.start_multipart(owner=owner, name=name, bytesize=1000, input_data_format="video",
                                       original_filename="chair.mp4")
    capture.uploaded_at = timezone.now()
    capture.save()
    items = [Item.objects.create(owner=owner, name=name, pipeline=pipeline, source=capture, status=status,
                                 overall_size=3)
             for pipeline, status in (("preview", preview), ("gaussian-splatting", reconstruction))]
    return capture, *items


def link_of(capture):
    return f"{SITE}/captures/{capture.eid}/"


def html_of(message):
    (html, content_type), = message.alternatives
    assert content_type == "text/html"
    return html


def test_a_finished_reconstruction_mails_its_owner_the_link(user, commit):
    capture, _, reconstruction = capture_with_jobs(user)
    with commit():
        assert gallery.finish(reconstruction, [])
    message, = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "[Atlas] Your 3D model of Armchair is ready"
    assert link_of(capture) in message.body
    assert f'href="{link_of(capture)}"' in html_of(message)
    # The way to turn these e-mails off, in both parts.
    assert f"{SITE}/profile/#id_notify_job_emails" in message.body
    assert f'href="{SITE}/profile/#id_notify_job_emails"' in html_of(message)
    reconstruction.refresh_from_db()
    assert reconstruction.notified_at is not None


def test_a_failed_reconstruction_mails_the_reason_and_the_link(user, commit):
    capture, _, reconstruction = capture_with_jobs(user, name="Teapot <b>")
    reason = "Fewer than 20 frames could be registered: film more slowly, all around the object."
    with commit():
        assert gallery.fail(reconstruction, reason)
    message, = mail.outbox
    assert message.subject == "[Atlas] Teapot <b> could not be made into a 3D model"
    assert reason in message.body and link_of(capture) in message.body
    html = html_of(message)
    assert reason in html and "Teapot &lt;b&gt;" in html and "Teapot <b>" not in html
    assert "Your 3D model" not in message.body


def test_one_mail_per_run_however_often_its_end_is_delivered(user, commit):
    _, _, reconstruction = capture_with_jobs(user)
    with commit():
        assert gallery.finish(reconstruction, [])
    with commit():
        assert not gallery.finish(reconstruction, [])  # a re-delivered task finds the item done already
    reconstruction.refresh_from_db()
    item_finished.send(sender=Item, item=reconstruction)  # the signal itself delivered again
    with commit():
        gallery.announce_finished(reconstruction.pk)
    assert not notifications.tell_owner(reconstruction)
    assert len(mail.outbox) == 1


def test_a_retried_run_is_told_again_when_it_ends(user, commit):
    _, _, reconstruction = capture_with_jobs(user)
    with commit():
        gallery.fail(reconstruction, "The worker stopped.")
    reconstruction.refresh_from_db()
    assert gallery.retry_item(reconstruction)
    assert reconstruction.notified_at is None
    Item.objects.filter(pk=reconstruction.pk).update(status=Item.Status.PROCESSING)
    with commit():
        gallery.finish(reconstruction, [])
    assert [m.subject for m in mail.outbox] == ["[Atlas] Armchair could not be made into a 3D model",
                                                "[Atlas] Your 3D model of Armchair is ready"]


def test_no_mail_when_the_account_opted_out(user, commit):
    user.notify_job_emails = False
    user.save()
    _, _, reconstruction = capture_with_jobs(user)
    with commit():
        gallery.finish(reconstruction, [])
    other = capture_with_jobs(user, name="Other")[2]
    with commit():
        gallery.fail(other, "No.")
    assert mail.outbox == []
    assert Item.objects.filter(notified_at__isnull=False).count() == 0


def test_only_the_owner_is_mailed(user, other_user, commit):
    capture_with_jobs(other_user, name="Theirs")
    capture, _, reconstruction = capture_with_jobs(user)
    with commit():
        gallery.finish(reconstruction, [])
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert other_user.email not in mail.outbox[0].recipients()


def test_the_automatic_preview_is_not_news_unless_it_failed_alone(user, commit):
    # Done: never told.
    _, preview, _ = capture_with_jobs(user, preview=Item.Status.PROCESSING, reconstruction=Item.Status.QUEUED)
    with commit():
        gallery.finish(preview, [])
    # Failed while the reconstruction still waits: the reconstruction's end is the news.
    _, preview, reconstruction = capture_with_jobs(user, name="Waits", preview=Item.Status.PROCESSING,
                                                   reconstruction=Item.Status.QUEUED)
    with commit():
        gallery.fail(preview, "The video cannot be read.")
    assert mail.outbox == []
    # Failed after the reconstruction failed and was told: nothing more.
    Item.objects.filter(pk=reconstruction.pk).update(status=Item.Status.PROCESSING)
    with commit():
        gallery.fail(reconstruction, "The video cannot be read.")
    assert len(mail.outbox) == 1
    # Failed with nothing else running, done or told: the only news there is.
    capture, preview, reconstruction = capture_with_jobs(user, name="Alone", preview=Item.Status.PROCESSING,
                                                         reconstruction=Item.Status.CANCELLED)
    with commit():
        gallery.fail(preview, "The video cannot be read.")
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "[Atlas] Alone could not be made into a 3D model"
    assert "The video cannot be read." in mail.outbox[1].body and link_of(capture) in mail.outbox[1].body


def test_cancelled_runs_and_items_of_other_domains_tell_nobody(user, commit):
    _, _, reconstruction = capture_with_jobs(user)
    gallery.cancel_item(reconstruction)
    loose = Item.objects.create(owner=user, name="Loose", pipeline="preview", status=Item.Status.PROCESSING)
    with commit():
        gallery.finish(loose, [])
    assert mail.outbox == []


def test_a_refused_mail_leaves_the_run_untold_and_never_fails_the_job(user, commit, monkeypatch):
    _, _, reconstruction = capture_with_jobs(user)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with commit():
        assert gallery.finish(reconstruction, [])
    reconstruction.refresh_from_db()
    assert reconstruction.status == Item.Status.DONE and reconstruction.notified_at is None
    monkeypatch.undo()
    assert notifications.tell_owner(reconstruction)
    assert len(mail.outbox) == 1


def test_a_job_recovered_as_failed_is_told(user, commit, settings):
    _, _, reconstruction = capture_with_jobs(user)
    long_ago = timezone.now() - timezone.timedelta(days=1)
    Item.objects.filter(pk=reconstruction.pk).update(started_at=long_ago, heartbeat_at=long_ago, attempts=2,
                                                     worker="elsewhere:1")
    with commit():
        gallery.recover_stale_items()
    message, = mail.outbox
    assert "could not be made" in message.subject and "took longer than" in message.body


# --- the opt-out on the profile page --------------------------------------------------------------------

def test_the_profile_page_turns_the_mails_off_and_on(client, user):
    client.force_login(user)
    page = client.get("/profile/").content.decode()
    checkbox = re.search(r'<input[^>]*name="notify_job_emails"[^>]*>', page).group(0)
    assert "checked" in checkbox, "on by default"
    assert "E-mail me when a model is ready or fails" in page

    response = client.post("/profile/", {"nickname": "Robin"})  # the box left unticked
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.notify_job_emails is False and user.nickname == "Robin"
    checkbox = re.search(r'<input[^>]*name="notify_job_emails"[^>]*>', client.get("/profile/").content.decode())
    assert "checked" not in checkbox.group(0)

    client.post("/profile/", {"nickname": "Robin", "notify_job_emails": "on"})
    user.refresh_from_db()
    assert user.notify_job_emails is True


def test_someone_elses_choice_is_not_touched(client, user):
    other = UserFactory()
    client.force_login(user)
    client.post("/profile/", {"nickname": "Me"})
    other.refresh_from_db()
    assert other.notify_job_emails is True

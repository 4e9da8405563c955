"""The embedded default's e-mail: each message becomes an .eml file under var/mail/ and is echoed."""

import sys
from datetime import UTC, datetime

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class FolderEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = settings.MAIL_DIR
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
            recipient = (message.to or ["nobody"])[0].replace("@", "_at_").replace("/", "_")
            path = folder / f"{stamp}-{recipient}.eml"
            path.write_bytes(message.message().as_bytes())
            sys.stdout.write(
                f"\n[mail] to {', '.join(message.to)}: {message.subject}\n[mail] saved as {path}\n"
                f"{message.body}\n"
            )
            sys.stdout.flush()
            sent += 1
        return sent

from email import message_from_bytes

from django.core.mail import get_connection, send_mail


def test_the_embedded_default_writes_each_mail_to_a_file(settings, tmp_path, capsys):
    settings.MAIL_DIR = tmp_path / "mail"
    connection = get_connection("accounts.mail.FolderEmailBackend")
    send_mail("Hello", "Open http://x/confirm", "atlas@example.com", ["Pat@example.com"], connection=connection)
    [path] = list((tmp_path / "mail").glob("*.eml"))
    assert "Pat_at_example.com" in path.name
    message = message_from_bytes(path.read_bytes())
    assert message["Subject"] == "Hello" and message["To"] == "Pat@example.com"
    assert "http://x/confirm" in capsys.readouterr().out

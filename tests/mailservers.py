"""Real mail servers on 127.0.0.1 for the tests: Dovecot (IMAP, IMAPS, LMTP) started from the
test run, and an SMTP server (aiosmtpd, STARTTLS + AUTH) that hands each mail to Dovecot over
LMTP, as a production MTA would. Recipe: ../shared/docs/mail-servers-for-tests.md."""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from imapclient import IMAPClient

USERS = {
    "complaints@example.test": "deskpw",
    "alice@example.test": "alicepw",
    "bob@example.test": "bobpw",
    "manager@example.test": "managerpw",
    "desk-sender@example.test": "senderpw",
}
# The rule file's roles and people, moved to the test domain so their mail arrives too.
STAFF = (
    "gm",
    "sales.director",
    "service.director",
    "service.manager",
    "care",
    "claims",
    "quality",
    "tech.manager",
    "zhang.wei",
    "li.na",
)
USERS.update({f"{name}@example.test": "staffpw" for name in STAFF})
OAUTH_TOKENS = {"ya29.desk-token": "complaints@example.test"}

DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = dc-{unique}
log_path = {root}/log/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
default_internal_user = root
default_internal_group = root
default_login_user = nobody
mail_uid = mail
mail_gid = mail
first_valid_uid = 8
ssl = yes
ssl_cert = <{root}/ssl/cert.pem
ssl_key = <{root}/ssl/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
mail_fsync = never
mail_max_userip_connections = 100
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/etc/oauth2.conf
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/etc/users
}}
userdb {{
  driver = static
  args = home={root}/mail/%d/%n
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):  # noqa: ANN001, ANN201
    """Poll with a deadline, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


@dataclass
class Dovecot:
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dc-", dir="/tmp")))
    imap: int = 0
    imaps: int = 0
    lmtp: int = 0
    process: subprocess.Popen | None = None
    introspection: ThreadingHTTPServer | None = None
    relays: list = field(
        default_factory=list
    )  # SMTP relays delivering here: waited for before a read

    @property
    def conf(self) -> Path:
        return self.root / "etc" / "dovecot.conf"

    @property
    def cert(self) -> Path:
        return self.root / "ssl" / "cert.pem"

    def prepare(self) -> None:
        os.chmod(self.root, 0o755)
        for sub in ("etc", "ssl", "run", "state", "log", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        shutil.chown(self.root / "mail", "mail", "mail")
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(self.root / "ssl" / "key.pem"),
                "-out",
                str(self.cert),
            ],
            check=True,
            capture_output=True,
        )
        (self.root / "etc" / "users").write_text(
            "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in USERS.items())
        )
        self.imap, self.imaps, self.lmtp = free_port(), free_port(), free_port()
        self.conf.write_text(
            DOVECOT_CONF.format(
                root=self.root,
                unique=self.root.name[3:],
                imap=self.imap,
                imaps=self.imaps,
                lmtp=self.lmtp,
            )
        )
        self.introspection = start_token_introspection()
        (self.root / "etc" / "oauth2.conf").write_text(
            f"introspection_mode = post\nintrospection_url = http://127.0.0.1:{self.introspection.server_port}/introspect\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["setpriv", "--pdeathsig", "TERM", "--", "dovecot", "-F", "-c", str(self.conf)],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

        def greets() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"dovecot exited: {self.process.stderr.read().decode(errors='replace')}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.imap), timeout=1) as connection:
                    return connection.recv(64).startswith(b"* OK")
            except OSError:
                return False

        wait_for(greets)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def doveadm(self, *args: str) -> str:
        return subprocess.run(
            ["doveadm", "-c", str(self.conf), *args], check=True, capture_output=True, text=True
        ).stdout

    def client(self, user: str, folder: str = "INBOX") -> IMAPClient:
        self.settle()
        client = IMAPClient("127.0.0.1", port=self.imap, ssl=False, timeout=10)
        client.login(user, USERS[user])
        client.select_folder(folder)
        return client

    def messages(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """Every message in a folder, raw (empty when the folder does not exist yet)."""
        self.settle()
        client = IMAPClient("127.0.0.1", port=self.imap, ssl=False, timeout=10)
        try:
            client.login(user, USERS[user])
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            return (
                [data[b"RFC822"] for _, data in sorted(client.fetch(uids, ["RFC822"]).items())]
                if uids
                else []
            )
        finally:
            client.logout()

    def empty(self) -> None:
        for user in USERS:
            try:
                self.doveadm("expunge", "-u", user, "mailbox", "*", "all")
            except subprocess.CalledProcessError:
                pass

    def settle(self) -> None:
        """What the SMTP relays accepted is delivered first: a read sees every mail sent."""
        for relay in self.relays:
            relay.flush()

    def deliver(self, raw: bytes, to: str, sender: str = "alice@example.test") -> None:
        with smtplib.LMTP("127.0.0.1", self.lmtp) as lmtp:
            lmtp.sendmail(sender, [to], raw)

    def cleanup(self) -> None:
        self.stop()
        if self.introspection is not None:
            self.introspection.shutdown()
        shutil.rmtree(self.root, ignore_errors=True)


class TokenIntrospection(BaseHTTPRequestHandler):
    """An OAuth2 provider's token introspection endpoint (RFC 7662), which Dovecot's oauth2
    passdb asks whether an XOAUTH2 token is valid, as Microsoft 365 or Google would answer."""

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        token = urllib.parse.parse_qs(body).get("token", [""])[0]
        user = OAUTH_TOKENS.get(token)
        answer = json.dumps(
            {"active": True, "username": user} if user else {"active": False}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


def start_token_introspection() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenIntrospection)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class LmtpRelay:
    """An SMTP server's handlers, as a production MTA behaves: an unknown local recipient is
    refused at RCPT, an accepted mail is queued and answered 250 at once, and a thread hands
    the queue to Dovecot over LMTP (RFC 1047: the sooner the answer after the final dot, the
    narrower the moment in which a client that dies sends a mail twice). `refuse` makes DATA
    answer a temporary failure that many times first (a server in trouble); `flush()` waits
    until the queue is delivered."""

    def __init__(self, dovecot: Dovecot) -> None:
        self.dovecot = dovecot
        self.refuse = 0
        self.accepted: list[tuple[str, list[str]]] = []
        self.queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._deliver_forever, daemon=True, name="lmtp-relay").start()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        if address.lower() not in USERS:
            return f"550 5.1.1 <{address}>: user unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        self.queue.put((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        self.accepted.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 OK: queued"

    def flush(self) -> None:
        self.queue.join()

    def _deliver_forever(self) -> None:
        while True:
            mail_from, recipients, content = self.queue.get()
            try:
                for (
                    recipient
                ) in recipients:  # one LMTP transaction each: smtplib reads one reply after DATA
                    self._deliver(mail_from, recipient, content)
            finally:
                self.queue.task_done()

    def _deliver(self, mail_from: str, recipient: str, content: bytes) -> None:
        for _ in range(150):  # Dovecot restarting (a test stops it): try again for half a minute
            try:
                with smtplib.LMTP("127.0.0.1", self.dovecot.lmtp) as lmtp:
                    lmtp.sendmail(mail_from, [recipient], content)
                return
            except smtplib.SMTPRecipientsRefused:
                return  # known at RCPT already; a real MTA would bounce it
            except (smtplib.SMTPException, OSError):
                time.sleep(0.2)

    async def auth_XOAUTH2(self, server, args):  # noqa: ANN001, ANN201, N802
        """SASL XOAUTH2 as Microsoft 365 and Gmail take it: user and bearer token, base64."""
        try:
            raw = base64.b64decode(args[1]).decode()
        except (IndexError, ValueError):
            return AuthResult(success=False, handled=False)
        fields = dict(part.split("=", 1) for part in raw.split("\1") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        return AuthResult(success=OAUTH_TOKENS.get(token) == fields.get("user"), handled=False)


def _authenticate(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
    ok = USERS.get(auth_data.login.decode()) == auth_data.password.decode()
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    dovecot: Dovecot
    port: int = 0
    controller: Controller | None = None
    relay: LmtpRelay | None = None

    def start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.dovecot.cert, self.dovecot.root / "ssl" / "key.pem")
        self.relay = LmtpRelay(self.dovecot)
        self.dovecot.relays.append(self.relay)
        self.port = self.port or free_port()
        self.controller = Controller(
            self.relay,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="mail.example.test",
            tls_context=context,
            authenticator=_authenticate,
            auth_required=True,
            auth_require_tls=True,
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def send(self, raw: bytes, to: list[str], sender: str = "alice@example.test") -> None:
        """A customer's mail program sending through the server."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
            client.starttls(context=ssl.create_default_context(cafile=str(self.dovecot.cert)))
            client.login(sender, USERS[sender])
            client.sendmail(sender, to, raw)

"""A minimal SMTP server for tests: enough of RFC 5321 for ``smtplib`` to
hand it a message (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), on
127.0.0.1 in the test process, keeping what it received."""
from email import message_from_bytes, policy

import eventlet


class SmtpCapture:
    def __init__(self):
        self.messages = []     # {"from", "to": [...], "message": email.message.EmailMessage}
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = eventlet.spawn(self._serve)

    def _serve(self):
        while True:
            conn, _ = self.listener.accept()
            eventlet.spawn(self._session, conn)

    def _session(self, conn):
        f = conn.makefile("rwb")

        def say(line):
            f.write(line.encode() + b"\r\n")
            f.flush()

        sender, recipients = None, []
        try:
            say("220 capture ESMTP")
            while True:
                line = f.readline()
                if not line:
                    return
                command = line.decode(errors="replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    say("250 capture")
                elif verb == "MAIL":
                    sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                    say("250 OK")
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip(" <>"))
                    say("250 OK")
                elif verb == "DATA":
                    say("354 end with <CRLF>.<CRLF>")
                    data = []
                    while True:
                        chunk = f.readline()
                        if chunk in (b".\r\n", b".\n", b""):
                            break
                        data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    self.messages.append({
                        "from": sender, "to": recipients,
                        "message": message_from_bytes(b"".join(data), policy=policy.default)})
                    say("250 OK queued")
                elif verb == "QUIT":
                    say("221 bye")
                    return
                elif verb in ("RSET", "NOOP"):
                    say("250 OK")
                else:
                    say("502 not implemented")
        except OSError:
            pass
        finally:
            conn.close()

    def wait_for(self, count, timeout=10.0):
        deadline = eventlet.hubs.get_hub().clock() + timeout
        while len(self.messages) < count:
            if eventlet.hubs.get_hub().clock() > deadline:
                raise AssertionError(f"SMTP capture: expected {count} message(s), got {len(self.messages)}")
            eventlet.sleep(0.05)
        return self.messages

    def close(self):
        self.thread.kill()
        self.listener.close()

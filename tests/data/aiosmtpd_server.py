# A real SMTP server for the live tests: Python's aiosmtpd with STARTTLS (the demo
# certificate) and AUTH PLAIN/LOGIN for alice/wonderland; each message is appended to OUT.
# usage: aiosmtpd_server.py CERT KEY OUT SECONDS [cleartext-auth]
# Prints "ready PORT" once it listens on 127.0.0.1.
import asyncio, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

class Handler:
    def __init__(self, out):
        self.out = out
    async def handle_DATA(self, server, session, envelope):
        with open(self.out, 'ab') as f:
            f.write(b'FROM ' + envelope.mail_from.encode() + b'\n')
            f.write(envelope.original_content or envelope.content)
        return '250 OK delivered'

def auth(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == b'alice' and data.password == b'wonderland'
    return AuthResult(success=ok)

cert, key, out = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
import socket
probe = socket.socket(); probe.bind(('127.0.0.1', 0)); port = probe.getsockname()[1]; probe.close()
c = Controller(Handler(out), hostname='127.0.0.1', port=port, server_hostname='mail.example.test',
               tls_context=ctx, require_starttls=False, authenticator=auth, auth_require_tls=len(sys.argv) < 6 or sys.argv[5] != 'cleartext-auth')
c.start()
print('ready', port, flush=True)
try:
    time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 30)
finally:
    c.stop()

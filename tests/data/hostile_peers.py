# Hostile peers against `smtps-sim serve` on 127.0.0.1:PORT: many slow connections, a 10 MB
# line, a peer that never reads its replies; then a real SMTP session must still complete.
# usage: hostile_peers.py PORT SLOW_CONNECTIONS
# Prints one line per check ("ok ..." or "FAIL ..."); exit status 0 when all passed.
import smtplib, socket, sys, time

port, nslow = int(sys.argv[1]), int(sys.argv[2])
failed = 0

def check(ok, what):
    global failed
    print(('ok ' if ok else 'FAIL ') + what, flush=True)
    failed += not ok

def session(timeout):
    t0 = time.monotonic()
    s = smtplib.SMTP('127.0.0.1', port, local_hostname='late.example', timeout=timeout)
    s.ehlo()
    code, _ = s.noop()
    s.quit()
    return code == 250, time.monotonic() - t0

# 1. slow connections: each sends a byte of EHLO and then nothing
slow = []
for i in range(nslow):
    try:
        c = socket.create_connection(('127.0.0.1', port), timeout=5)
        c.setblocking(False)
        try:
            c.send(b'E')
        except OSError:
            pass
        slow.append(c)
    except OSError as e:
        check(False, 'slow connection %d: %s' % (i, e))
        break
check(len(slow) == nslow, '%d slow connections opened' % len(slow))
ok, secs = session(20)
check(ok, 'a real session completes after %d slow connections (%.1f s)' % (nslow, secs))

# 2. a 10 MB line with no end
big = socket.create_connection(('127.0.0.1', port), timeout=5)
big.recv(1000)
big.settimeout(30)
line = b'EHLO ' + b'a' * (10 * 1000 * 1000)
sent = 0
try:
    while sent < len(line):
        sent += big.send(line[sent:sent + 65536])
except OSError:
    pass
check(sent > 0, 'a 10 MB line: %d bytes taken' % sent)
ok, secs = session(20)
check(ok, 'a real session completes beside the 10 MB line (%.1f s)' % secs)

# 3. a peer that never reads: commands until its socket stops taking them
deaf = socket.create_connection(('127.0.0.1', port), timeout=5)
deaf.setblocking(False)
pushed = 0
t0 = time.monotonic()
while time.monotonic() - t0 < 5:
    try:
        pushed += deaf.send(b'NOOP\r\n' * 1000)
    except BlockingIOError:
        break
    except OSError:
        break
check(pushed > 0, 'a peer that never reads pushed %d bytes before the server stopped reading' % pushed)
ok, secs = session(20)
check(ok, 'a real session completes beside the deaf peer (%.1f s)' % secs)

# the deaf peer and the 10 MB line stay open past the server's idle limit (5 s)
time.sleep(6.5)
for c in slow:
    c.close()
big.close()
deaf.close()
sys.exit(1 if failed else 0)

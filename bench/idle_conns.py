#!/usr/bin/env python3
"""Idle connections for bench/footprint.sh (standard library only).

  idle_conns.py http N HOST PORT PATH   N keep-alive connections, one GET each (its response read
                                         in full), then left open and idle
  idle_conns.py ws N HOST PORT PATH     N WebSocket upgrades (101 read), then left open and idle
  idle_conns.py ws-upstream PORT        a WebSocket upstream: answers every upgrade with 101 and
                                         holds the connection, reading and dropping what comes

The client prints "open N" once every connection is up, then waits until stdin closes (or a line
arrives), then closes them all and prints "closed".
"""
import base64
import hashlib
import os
import selectors
import socket
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def open_all(kind, n, host, port, path):
    socks = []
    sel = selectors.DefaultSelector()
    key = base64.b64encode(os.urandom(16)).decode()
    if kind == "http":
        req = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: footprint\r\n\r\n"
    else:
        req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
    req = req.encode()
    pending = {}
    # connect in batches so the listen backlog is never overrun
    batch = 100
    for start in range(0, n, batch):
        for _ in range(min(batch, n - start)):
            s = socket.create_connection((host, port), timeout=30)
            s.sendall(req)
            s.setblocking(False)
            socks.append(s)
            pending[s] = b""
            sel.register(s, selectors.EVENT_READ)
        # read the answers of this batch before the next one
        while pending:
            events = sel.select(timeout=30)
            if not events:
                raise SystemExit(f"timed out waiting for {len(pending)} answer(s)")
            for k, _ in events:
                s = k.fileobj
                data = s.recv(65536)
                if not data:
                    raise SystemExit("connection closed by the gateway: " + pending[s][:200].decode(errors="replace"))
                buf = pending[s] + data
                if done(kind, buf):
                    del pending[s]
                    sel.unregister(s)
                else:
                    pending[s] = buf
    return socks


def done(kind, buf):
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    head = buf[:head_end].decode(errors="replace")
    status = head.split(" ", 2)[1]
    if kind == "ws":
        if status != "101":
            raise SystemExit("upgrade refused: " + head.splitlines()[0])
        return True
    if not status.startswith("2"):
        raise SystemExit("request failed: " + head.splitlines()[0])
    length = None
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length is None:
        raise SystemExit("response without Content-Length")
    return len(buf) - head_end - 4 >= length


def ws_upstream(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(4096)
    srv.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    bufs = {}
    while True:
        for k, _ in sel.select():
            s = k.fileobj
            if s is srv:
                try:
                    c, _ = srv.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                bufs[c] = b""
                sel.register(c, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(65536)
            except ConnectionError:
                data = b""
            if not data:
                sel.unregister(s)
                bufs.pop(s, None)
                s.close()
                continue
            if bufs.get(s) is None:
                continue  # upgraded: frames are read and dropped
            buf = bufs[s] + data
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                bufs[s] = buf
                continue
            key = b""
            for line in buf[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"sec-websocket-key":
                    key = value.strip()
            if key:
                accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
                s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
                bufs[s] = None
            else:
                body = b'{"ok":true}'
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                          + str(len(body)).encode() + b"\r\n\r\n" + body)
                bufs[s] = b""


def main():
    kind = sys.argv[1]
    if kind == "ws-upstream":
        ws_upstream(int(sys.argv[2]))
        return
    n, host, port, path = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
    socks = open_all(kind, n, host, port, path)
    print(f"open {len(socks)}", flush=True)
    sys.stdin.readline()
    for s in socks:
        s.close()
    print("closed", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A browser-style gRPC-Web client (stdlib only), for GrpcWebIT.

Sends gRPC-Web requests over HTTP/1.1 as a browser's grpc-web library does (binary
application/grpc-web+proto and text application/grpc-web-text, x-grpc-web, x-user-agent, Origin),
decodes the replies (base64 for text, in padded chunks or not), splits them into frames and parses
the trailer frame. Prints one JSON object per call:
  {"case", "http", "contentType", "messages": [utf-8 strings], "trailers": {name: value}}
Usage: grpc_web_client.py HOST PORT ORIGIN
"""
import base64
import http.client
import json
import struct
import sys

HOST, PORT, ORIGIN = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def frame(message: bytes) -> bytes:
    return b"\x00" + struct.pack(">I", len(message)) + message


def b64_chunks(data: bytes, cut: int) -> bytes:
    """The body in two base64 chunks, each padded on its own (as a client that encodes per write)."""
    return base64.b64encode(data[:cut]) + base64.b64encode(data[cut:])


def b64_decode_stream(text: bytes) -> bytes:
    """Decodes base64 that may be several padded chunks one after the other."""
    text = text.replace(b"\r", b"").replace(b"\n", b"")
    out = bytearray()
    for i in range(0, len(text), 4):
        group = text[i:i + 4]
        if len(group) < 4:
            group += b"=" * (4 - len(group))
        out += base64.b64decode(group, validate=True)
    return bytes(out)


def parse(body: bytes):
    """The messages and the trailers of a gRPC-Web body; the trailer frame must come last."""
    messages, trailers, i = [], None, 0
    while i < len(body):
        if trailers is not None:
            raise ValueError("a frame after the trailer frame")
        flag = body[i]
        (length,) = struct.unpack(">I", body[i + 1:i + 5])
        payload = body[i + 5:i + 5 + length]
        if len(payload) != length:
            raise ValueError("a truncated frame")
        i += 5 + length
        if flag & 0x80:
            trailers = {}
            for line in payload.decode("utf-8").split("\r\n"):
                if not line:
                    continue
                name, _, value = line.partition(":")
                trailers[name.strip().lower()] = value.strip()
        else:
            messages.append(payload.decode("utf-8"))
    return messages, trailers


def call(case: str, path: str, message: bytes, text: bool, cut: int = 0):
    body = frame(message)
    if text:
        body = b64_chunks(body, cut) if cut else base64.b64encode(body)
    headers = {
        "Content-Type": "application/grpc-web-text" if text else "application/grpc-web+proto",
        "Accept": "application/grpc-web-text" if text else "application/grpc-web",
        "X-Grpc-Web": "1",
        "X-User-Agent": "grpc-web-javascript/0.1",
        "Origin": ORIGIN,
    }
    conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        content_type = resp.getheader("Content-Type")
        payload = b64_decode_stream(raw) if text else raw
        messages, trailers = parse(payload)
        print(json.dumps({
            "case": case,
            "http": resp.status,
            "contentType": content_type,
            "allowOrigin": resp.getheader("Access-Control-Allow-Origin"),
            "messages": messages,
            "trailers": trailers,
        }), flush=True)
    finally:
        conn.close()


call("binary-unary", "/test.Echo/Unary", b"hello from python", text=False)
call("text-unary", "/test.Echo/Unary", b"hello in base64", text=True, cut=7)
call("text-stream", "/test.Echo/Split", b"7", text=True)
call("binary-error", "/test.Echo/Fail", b"x", text=False)
call("text-no-route", "/other.Service/Call", b"x", text=True)

#!/usr/bin/env python3
"""A static file server for the page and its tests, on 127.0.0.1 only: serves Range requests (206, one range),
answers 416 past the end, and logs every request as one JSON line (path, range, status, bytes sent) to --log.

  server.py ROOT [--port N] [--log FILE] [--no-range PREFIX] [--no-cors]

Paths under --no-range PREFIX ignore Range (200 with the whole file, like some servers do). Ctrl-C stops it.
"""
import argparse
import http.server
import json
import os
import re
import sys
import threading

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def make_handler(root, log, no_range, lock):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=root, **k)

        def log_message(self, fmt, *args):  # quiet: the JSON log is the record
            pass

        def record(self, status, sent, rng):
            if log is None:
                return
            with lock, open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"path": self.path, "range": rng, "status": status, "bytes": sent}) + "\n")

        def end_headers(self):
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Expose-Headers", "Content-Range, Content-Length, Accept-Ranges")
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def do_OPTIONS(self):
            self.send_response(204)
            self.send_header("Access-Control-Allow-Headers", "Range")
            self.end_headers()

        def do_GET(self):
            path = self.translate_path(self.path)
            rng = self.headers.get("Range")
            if not os.path.isfile(path):
                self.send_error(404)
                self.record(404, 0, rng)
                return
            size = os.path.getsize(path)
            ctype = self.guess_type(path)
            if path.endswith(".wasm"):
                ctype = "application/wasm"
            elif path.endswith(".js") or path.endswith(".mjs"):
                ctype = "text/javascript"
            m = RANGE.match(rng or "")
            honour = m is not None and not any(self.path.startswith(p) for p in no_range)
            start, end, status = 0, size - 1, 200
            if honour:
                a, b = m.group(1), m.group(2)
                if a == "":
                    start, end = max(0, size - int(b or 0)), size - 1
                else:
                    start, end = int(a), min(int(b) if b else size - 1, size - 1)
                if start >= size or start > end:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    self.record(416, 0, rng)
                    return
                status = 206
            n = end - start + 1
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Accept-Ranges", "none" if not honour and rng else "bytes")
            self.send_header("Content-Length", str(n))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            sent = 0
            try:
                with open(path, "rb") as f:
                    f.seek(start)
                    while sent < n:
                        chunk = f.read(min(1 << 16, n - sent))
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                        sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client cancelled (a header read from a server that ignores Range)
            self.record(status, sent, rng)

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--port", type=int, default=8023)
    ap.add_argument("--log")
    ap.add_argument("--no-range", action="append", default=[])
    args = ap.parse_args()
    handler = make_handler(os.path.abspath(args.root), args.log, args.no_range, threading.Lock())
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    print(f"serving {args.root} on http://127.0.0.1:{httpd.server_address[1]}/", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())

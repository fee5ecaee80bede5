#!/usr/bin/env python3
"""fixnet web: a small static server for the demo page.

Serves the page (web/), the WebAssembly build (/wasm/) and MNIST (/data/) on
127.0.0.1, with the Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy
headers that make the page cross-origin isolated (so SharedArrayBuffer, and with
it WebAssembly threads, are available).

Usage: server.py --port N --web DIR --wasm DIR --data DIR [--models DIR]
(--models serves a directory of model files at /models/, for the benchmark.)
"""
import argparse
import functools
import http.server
import os
import posixpath
import sys
import urllib.parse

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".gz": "application/octet-stream",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    """Maps /wasm/, /data/ (and /models/) to their directories, everything else to the page."""

    def __init__(self, *args, roots, **kwargs):
        self.roots = roots
        super().__init__(*args, directory=roots["/"], **kwargs)

    def translate_path(self, path):
        path = posixpath.normpath(urllib.parse.unquote(urllib.parse.urlsplit(path).path))
        for prefix in ("/wasm/", "/data/", "/models/"):
            if path.startswith(prefix) and prefix in self.roots:
                root, rest = self.roots[prefix], path[len(prefix):]
                break
        else:
            root, rest = self.roots["/"], path.lstrip("/")
        parts = [p for p in rest.split("/") if p not in ("", ".", "..")]
        return os.path.join(root, *parts)

    def guess_type(self, path):
        return TYPES.get(os.path.splitext(path)[1], "application/octet-stream")

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, fmt, *args):
        if os.environ.get("FIXNET_SERVER_LOG"):
            super().log_message(fmt, *args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--web", required=True)
    parser.add_argument("--wasm", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--models")
    args = parser.parse_args()
    roots = {"/": os.path.abspath(args.web), "/wasm/": os.path.abspath(args.wasm), "/data/": os.path.abspath(args.data)}
    if args.models:
        roots["/models/"] = os.path.abspath(args.models)
    handler = functools.partial(Handler, roots=roots)
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    except OSError as e:
        sys.exit("fixnet serve: cannot listen on 127.0.0.1:%d: %s" % (args.port, e.strerror))
    print("fixnet: serving the demo at http://127.0.0.1:%d/ (Ctrl-C stops)" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A tiny webhook receiver for plinth's alert notifications (standard library only).

Usage: python3 examples/webhook_receiver.py [--port 9000] [--out events.jsonl]

Prints one line per notification (alert.fired / alert.resolved) and, with --out, appends each
JSON body to a file. Answers 204, so plinth marks the delivery `delivered`. With --port 0 the OS
picks a port; the chosen one is printed first ("listening on http://127.0.0.1:PORT/hook").
"""

import argparse
import http.server
import json
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--out", help="append each notification's JSON to this file")
    args = parser.parse_args()

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                event = json.loads(body)
                alert = event.get("alert", {})
                print(f"{event.get('event')}: monitor {event.get('monitor')} rule "
                      f"{alert.get('rule')} - {alert.get('reason')}", flush=True)
                if args.out:
                    with open(args.out, "a") as f:
                        f.write(json.dumps(event) + "\n")
                self.send_response(204)
            except ValueError:
                self.send_response(400)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer((args.host, args.port), Hook)
    print(f"listening on http://{args.host}:{server.server_address[1]}/hook", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()

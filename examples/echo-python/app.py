"""A minimal agent following the AgentCore runtime contract: port 8080, GET /ping,
POST /invocations. Replace answer() with your framework (Strands, LangGraph, CrewAI...)."""
import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def answer(prompt: str) -> str:
    return f"You said: {prompt}" if prompt else 'Send {"prompt": "..."} and I will answer.'


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/ping":
            self.send_error(404)
            return
        self._json(200, {"status": "Healthy", "time_of_last_update": int(time.time())})

    def do_POST(self):
        if self.path != "/invocations":
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length", 0))
        try:
            req = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._json(400, {"error": "the payload must be JSON"})
            return
        session = self.headers.get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", "")
        self._json(200, {"response": answer(req.get("prompt", "")), "session_id": session})

    def _json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    # PORT is set by the local endpoint for host processes; AgentCore runs the agent on 8080.
    ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()

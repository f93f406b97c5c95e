"""A refusing OAuth token endpoint and a service-account key file, for wrong-credential tests.

The GCS emulator accepts any credentials, so refusals are tested where Google refuses a
revoked or wrong key in reality: the token endpoint named in the key file, here a real local
HTTP server answering ``invalid_grant``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class RefusingTokenEndpoint(BaseHTTPRequestHandler):
    """Google's OAuth token endpoint refusing a revoked service-account key."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        """Quiet: the test reads the error, not the access log."""


@pytest.fixture(scope="module")
def token_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingTokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def refused_key_file(tmp_path: Path, private_key_pem: str, token_endpoint: str) -> Path:
    """A service-account key file the (local) token endpoint refuses."""
    key_file = tmp_path / "service-account.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "test",
                "private_key_id": "0123456789abcdef",
                "private_key": private_key_pem,
                "client_email": "loader@test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": token_endpoint,
            }
        )
    )
    return key_file


@pytest.fixture
def refused_key_line(private_key_pem: str) -> str:
    """A line from the middle of the refused private key: it must never appear in a message."""
    return private_key_pem.splitlines()[5]

"""`epoch-http`: serve the API (HOST and PORT override 127.0.0.1:8000)."""

from __future__ import annotations

import os

import uvicorn


def main() -> None:
    uvicorn.run(
        "epoch_http.app:create_app",
        factory=True,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        log_config=None,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()

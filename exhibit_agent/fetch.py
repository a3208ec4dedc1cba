"""HTTP from the exhibit to the controller: manifests, blobs and screenshot uploads; the only module that imports httpx.

Blobs are resumed with `Range: bytes=N-` from whatever the store already holds in
`partial/`, so a download cut by a power loss or a dropped Wi-Fi link continues where it
stopped instead of starting 200 MB over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urljoin

import httpx

from content_packs.errors import IntegrityError
from content_packs.store import BlobStore

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
MAX_MANIFEST = 4 * 1024 * 1024
MAX_SIGNATURE = 4096


class FetchError(Exception):
    """The controller could not be reached or answered with an error; retry later."""


class Fetcher:
    """Talks to one controller; `transport` lets tests swap the network for a handler."""

    def __init__(
        self,
        controller: str,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        token: str | None = None,
    ):
        self.controller = controller.rstrip("/") + "/"
        # The device token, when configured, goes with every request (closed pack reads, uploads).
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True, headers=headers)
        self.bytes_downloaded = 0  # body bytes received, for the benchmark and health

    def close(self) -> None:
        self.client.close()

    def url(self, path_or_url: str) -> str:
        """An absolute URL; desired-state URLs may be relative to the controller."""
        return urljoin(self.controller, path_or_url)

    def blob_url(self, sha: str) -> str:
        return self.url(f"api/v1/blobs/{sha}")

    def get_small(self, url: str, limit: int) -> bytes:
        """GET a small document (manifest, signature), refusing anything larger than `limit`."""
        try:
            with self.client.stream("GET", self.url(url)) as response:
                if response.status_code != 200:
                    raise FetchError(f"GET {url}: HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise FetchError(f"GET {url}: larger than {limit:,} bytes; refusing")
                self.bytes_downloaded += len(body)
                return bytes(body)
        except httpx.HTTPError as exc:
            raise FetchError(f"GET {url}: {exc}") from exc

    def fetch_manifest(self, url: str) -> tuple[bytes, bytes]:
        """The exact signed manifest bytes at `url` and its signature at `url + ".sig"`."""
        return self.get_small(url, MAX_MANIFEST), self.get_small(url + ".sig", MAX_SIGNATURE)

    def download_blob(
        self, store: BlobStore, sha: str, size: int, on_bytes: Callable[[int], None] | None = None
    ) -> None:
        """Download one blob into the store, resuming a partial; raise FetchError or IntegrityError."""
        for attempt in (1, 2):
            have = store.partial_size(sha)
            if have > size:
                store.discard_partial(sha)
                have = 0
            if have < size:
                self._download_from(store, sha, have, size, on_bytes)
            try:
                store.commit_partial(sha, expected_size=size)
                return
            except IntegrityError:
                # The store deleted the bad bytes; one fresh full download before giving up.
                if attempt == 2:
                    raise
                log.warning("blob %s failed verification; downloading it again", sha[:12])

    def _download_from(
        self, store: BlobStore, sha: str, offset: int, size: int, on_bytes: Callable[[int], None] | None
    ) -> None:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        url = self.blob_url(sha)
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                if response.status_code == 416:
                    # Nothing left to send: the partial is complete (or wrong, which commit will catch).
                    return
                if response.status_code == 200 and offset:
                    # The server ignored Range and sends the whole blob: start over.
                    store.discard_partial(sha)
                    offset = 0
                elif response.status_code not in (200, 206):
                    raise FetchError(f"GET {url}: HTTP {response.status_code}")
                written = offset
                for chunk in response.iter_bytes(CHUNK):
                    if written + len(chunk) > size:
                        raise IntegrityError(f"blob {sha} is longer than the manifest's {size:,} bytes")
                    written = store.append_partial(sha, chunk)
                    self.bytes_downloaded += len(chunk)
                    if on_bytes:
                        on_bytes(len(chunk))
        except httpx.HTTPError as exc:
            raise FetchError(f"GET {url}: {exc}") from exc

    def upload_screenshot(self, exhibit: str, command: str, png: bytes) -> dict:
        """PUT the PNG that answers `command`; the controller's JSON reply (with its `url`), or FetchError."""
        path = f"api/v1/exhibits/{exhibit}/screenshots/{command}"
        try:
            response = self.client.put(self.url(path), content=png, headers={"Content-Type": "image/png"})
        except httpx.HTTPError as exc:
            raise FetchError(f"PUT {path}: {exc}") from exc
        if response.status_code not in (200, 201):
            detail = response.text[:300].strip()
            raise FetchError(f"PUT {path}: HTTP {response.status_code} {detail}".rstrip())
        try:
            reply = response.json()
        except ValueError:
            reply = {}
        return reply if isinstance(reply, dict) else {}

"""The upload page, looked at as a person would: in a real browser when one is installed,
and always through its HTML: both languages, escaped text, safe headers, and a working form."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from vault_testing import TestMember


def test_page_speaks_french_or_english(client: TestClient) -> None:
    fr = client.get("/upload", headers={"Accept-Language": "fr-ML,fr;q=0.9"})
    assert fr.status_code == 200
    assert fr.headers["content-language"] == "fr"
    assert "Envoyer des éléments de preuve au coffre-fort" in fr.text
    assert '<html lang="fr">' in fr.text
    en = client.get("/upload?lang=en")
    assert "Send evidence to the vault" in en.text
    assert "{{" not in fr.text and "{{" not in en.text  # every placeholder was filled


def test_page_headers_keep_it_safe(client: TestClient) -> None:
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_the_form_posts_what_the_api_accepts(
    client: TestClient, make_member: Callable[..., TestMember], make_case: Callable[..., str]
) -> None:
    # The page's script sends multipart with a "file" part, a bearer token, an
    # Idempotency-Key and Accept-Language: do exactly that and expect a receipt.
    page = client.get("/upload?lang=fr").text
    assert 'form.append("file"' in page and "/items" in page
    assert re.search(r'setRequestHeader\("Idempotency-Key"', page)
    investigator = make_member("investigator")
    case_id = make_case(investigator)
    r = client.post(
        f"/v1/cases/{case_id}/items",
        files={"file": ("photo.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg")},
        headers={**investigator.headers, "Accept-Language": "fr", "Idempotency-Key": "page-1"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["size"] == len(b"\xff\xd8\xff\xe0 not really a jpeg")


def test_notes_go_only_into_the_sealed_metadata(
    vault: object,
    client: TestClient,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
) -> None:
    from crypto.age import X25519Identity, decrypt
    from vault.context import Vault
    from vault.db import session_scope
    from vault.models import Item

    assert isinstance(vault, Vault)
    investigator, lawyer = make_member("investigator"), make_member("lawyer")
    case_id = make_case(investigator, lawyer)
    r = client.post(
        f"/v1/cases/{case_id}/items",
        data={"notes": "témoin rencontré à Gao"},
        files={"file": ("x.txt", b"content", "text/plain")},
        headers=investigator.headers,
    )
    assert r.status_code == 201, r.text
    sealed_key = client.get(f"/v1/cases/{case_id}/key", headers=lawyer.headers).content
    assert isinstance(lawyer.identity, X25519Identity)
    case_identity = X25519Identity.parse(decrypt(sealed_key, [lawyer.identity]).decode().strip())
    with session_scope(vault.engine) as session:
        item = session.get(Item, r.json()["item_id"])
        assert item is not None and item.sealed_metadata is not None
        metadata = decrypt(item.sealed_metadata, [case_identity])
    assert json.loads(metadata)["notes"] == "témoin rencontré à Gao"
    assert json.loads(metadata)["filename"] == "x.txt"
    too_long = client.post(
        f"/v1/cases/{case_id}/items",
        data={"notes": "n" * 70_000},
        files={"file": ("x.txt", b"c", "text/plain")},
        headers={**investigator.headers, "Accept-Language": "fr"},
    )
    assert too_long.status_code == 400
    assert too_long.json()["error"]["code"] == "upload.notes_too_long"

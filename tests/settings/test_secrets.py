"""Secrets go to a credential store when one exists, else into the owner-only settings file."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

from ictray.errors import ValidationError
from ictray.settings import open_settings, sites
from ictray.settings.models import StoredSecret


@pytest.fixture
def file_keyring(tmp_path: Path) -> PlaintextKeyring:
    """A real keyring backend that keeps its data in a file of this test."""
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    return backend


def test_secrets_go_to_the_credential_store_not_the_file(
    tmp_path: Path, file_keyring: PlaintextKeyring
) -> None:
    path = tmp_path / "settings.db"
    with open_settings(path, create=True, credential_store=file_keyring) as settings:
        site, _ = sites.add_site(
            settings,
            name="main",
            host="support.example.com",
            client_id="cid",
            client_secret="s3cret-value-1-long-enough",
            backup_password="backup-pass-2",
        )
        assert StoredSecret.select().count() == 0
        assert "OS credential store" in settings.secrets.description
        assert (
            file_keyring.get_password(settings.secrets.service, site.client_secret_ref)
            == "s3cret-value-1-long-enough"
        )
        credentials = sites.site_credentials(settings, site)
        assert credentials.client_secret == "s3cret-value-1-long-enough"
        assert credentials.backup_password == "backup-pass-2"
        assert "s3cret" not in repr(credentials)
    raw = path.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("settings.db-*"))
    assert b"s3cret-value-1-long-enough" not in raw and b"backup-pass-2" not in raw


def test_without_a_store_secrets_live_in_the_file_and_the_user_is_told(tmp_path: Path) -> None:
    with open_settings(tmp_path / "s.db", create=True, credential_store=None) as settings:
        site, _ = sites.add_site(
            settings,
            name="main",
            host="support.example.com",
            client_id="cid",
            client_secret="in-file-secret-long-enough",
        )
        assert settings.secrets.in_settings_file
        assert StoredSecret.get_by_id(site.client_secret_ref).value == "in-file-secret-long-enough"
        shown = sites.describe_site(settings, site)
        assert shown["client_secret"] == sites.MASK
        assert "settings file" in shown["secrets_stored"]
        assert "owner only" in shown["secrets_stored"]


def test_removing_a_site_removes_its_secrets(
    tmp_path: Path, file_keyring: PlaintextKeyring
) -> None:
    with open_settings(tmp_path / "s.db", create=True, credential_store=file_keyring) as settings:
        site, _ = sites.add_site(
            settings,
            name="main",
            host="h.example.com",
            client_id="c",
            client_secret="client-secret-value-x1",
            backup_password="y2",
        )
        ref = site.client_secret_ref
        sites.remove_site(settings, "main")
        assert file_keyring.get_password(settings.secrets.service, ref) is None


def test_a_lost_secret_is_reported_with_the_fix(
    tmp_path: Path, file_keyring: PlaintextKeyring
) -> None:
    with open_settings(tmp_path / "s.db", create=True, credential_store=file_keyring) as settings:
        site, _ = sites.add_site(
            settings,
            name="main",
            host="h.example.com",
            client_id="c",
            client_secret="client-secret-value-x1",
        )
        file_keyring.delete_password(settings.secrets.service, site.client_secret_ref)
        with pytest.raises(ValidationError, match="ictray site edit"):
            sites.site_credentials(settings, site)


def test_two_settings_files_do_not_share_secrets(
    tmp_path: Path, file_keyring: PlaintextKeyring
) -> None:
    values = []
    for index in range(2):
        with open_settings(
            tmp_path / f"s{index}.db", create=True, credential_store=file_keyring
        ) as settings:
            site, _ = sites.add_site(
                settings,
                name="main",
                host="h.example.com",
                client_id="c",
                client_secret=f"client-secret-value-{index}",
            )
            values.append((settings.path, site.id))
    for index, (path, _) in enumerate(values):
        with open_settings(path, credential_store=file_keyring) as settings:
            site = sites.get_site("main")
            assert (
                sites.site_credentials(settings, site).client_secret
                == f"client-secret-value-{index}"
            )


def test_a_client_secret_stored_too_short_is_refused_before_it_is_used(tmp_path: Path) -> None:
    """A settings file from an ictray that did not check the length: the site is not used with
    it (its letters would be masked inside every message) and the user is told the fix."""
    with open_settings(tmp_path / "s.db", create=True, credential_store=None) as settings:
        site, _ = sites.add_site(
            settings,
            name="main",
            host="h.example.com",
            client_id="c",
            client_secret="client-secret-value-x1",
        )
        settings.secrets.set(site.client_secret_ref, "e")
        with pytest.raises(ValidationError) as caught:
            sites.site_credentials(settings, site)
        assert caught.value.field == "client secret"
        assert "too short to be one" in caught.value.message
        assert "ictray site edit" in caught.value.message

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from dlwp_suite.datafiles import DataConfig, DatasetFile, locate, mirror_manifest
from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable

PAYLOAD = b"canonical bytes\n" * 100


def spec_for(payload: bytes, origin: str = "https://example.invalid/data.bin") -> DatasetFile:
    return DatasetFile("data.bin", origin, "sha256:" + hashlib.sha256(payload).hexdigest())


def test_mirror_copy_with_official_hash(data_config: DataConfig):
    data_config.data_dir.mkdir()
    (data_config.data_dir / "data.bin").write_bytes(PAYLOAD)
    found = locate(spec_for(PAYLOAD), data_config)
    assert (found.location, found.vouched_by) == ("mirror", "official sha256")


def test_mirror_vouches_for_other_bytes_through_its_manifest(data_config: DataConfig):
    mirror = data_config.data_dir
    mirror.mkdir()
    other = b"same arrays, other zip metadata"
    (mirror / "data.bin").write_bytes(other)
    digest = hashlib.sha256(other).hexdigest()
    (mirror / "SHA256SUMS").write_text(f"{digest}  data.bin\n")
    found = locate(spec_for(PAYLOAD), data_config)
    assert found.vouched_by == "mirror SHA256SUMS"
    assert found.sha256 == digest
    assert mirror_manifest(mirror) == {"data.bin": digest}


@pytest.mark.parametrize("manifest", [True, False])
def test_truncated_mirror_file_fails_naming_the_file(data_config: DataConfig, manifest: bool):
    mirror = data_config.data_dir
    mirror.mkdir()
    if manifest:
        (mirror / "SHA256SUMS").write_text(f"{hashlib.sha256(PAYLOAD).hexdigest()}  data.bin\n")
    (mirror / "data.bin").write_bytes(PAYLOAD[:50])
    with pytest.raises(DatasetCorrupt, match=r"data\.bin \(50 bytes.*(corrupt|is damaged)"):
        locate(spec_for(b"official"), data_config)


def test_a_wrong_manifest_line_is_named_instead_of_blaming_the_file(data_config: DataConfig):
    mirror = data_config.data_dir
    mirror.mkdir()
    (mirror / "data.bin").write_bytes(PAYLOAD)  # intact, but no official hash to prove it
    (mirror / "SHA256SUMS").write_text(f"# made by hand\n{'0' * 64}  data.bin\n")
    with pytest.raises(DatasetCorrupt, match=r"line 2 of .*SHA256SUMS.*or that line is wrong"):
        locate(spec_for(b"official"), data_config)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"abc123  data.bin\n", r"SHA256SUMS line 1 is not '<64 hex digits>  <file name>'"),
        (b"\xff\xfe" + "data.bin".encode("utf-16"), r"SHA256SUMS is not a sha256sum manifest"),
    ],
    ids=["malformed line", "not UTF-8"],
)
def test_a_broken_manifest_is_named(data_config: DataConfig, content: bytes, message: str):
    mirror = data_config.data_dir
    mirror.mkdir()
    (mirror / "data.bin").write_bytes(PAYLOAD[:50])
    (mirror / "SHA256SUMS").write_bytes(content)
    with pytest.raises(DatasetCorrupt, match=message):
        locate(spec_for(b"official"), data_config)


def test_wrong_hash_in_keras_cache_says_how_to_fix(data_config: DataConfig):
    data_config.downloads.mkdir(parents=True)
    (data_config.downloads / "data.bin").write_bytes(b"tampered")
    with pytest.raises(DatasetCorrupt, match="Delete it so it is fetched again"):
        locate(spec_for(PAYLOAD), data_config)


def test_offline_with_nothing_cached_lists_where_it_looked(data_config: DataConfig):
    with pytest.raises(DatasetUnavailable) as error:
        locate(spec_for(PAYLOAD), data_config)
    message = str(error.value)
    assert str(data_config.data_dir / "data.bin") in message
    assert str(data_config.downloads / "data.bin") in message
    assert "DLWP_DATA_DIR" in message and "--dlwp-offline" in message


@pytest.fixture
def http_root(tmp_path: Path):
    root = tmp_path / "served"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_into_keras_cache(data_config: DataConfig, http_root):
    root, url = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    online = DataConfig(None, data_config.keras_datasets_dir, data_config.cache_dir)
    found = locate(spec_for(PAYLOAD, f"{url}/data.bin"), online)
    assert found.location == "download"
    assert found.path == data_config.downloads / "data.bin"


def test_download_with_wrong_hash_leaves_nothing_behind(data_config: DataConfig, http_root):
    root, url = http_root
    (root / "data.bin").write_bytes(PAYLOAD[:10])  # a truncated upstream file
    online = DataConfig(None, data_config.keras_datasets_dir, data_config.cache_dir)
    with pytest.raises(DatasetCorrupt, match=r"data\.bin"):
        locate(spec_for(PAYLOAD, f"{url}/data.bin"), online)
    leftovers = list(data_config.downloads.iterdir()) if data_config.downloads.exists() else []
    assert leftovers == []


def test_unreachable_download_is_unavailable(data_config: DataConfig, http_root):
    _, url = http_root
    online = DataConfig(None, data_config.keras_datasets_dir, data_config.cache_dir)
    with pytest.raises(DatasetUnavailable, match="could not be downloaded"):
        locate(spec_for(PAYLOAD, f"{url}/missing.bin"), online)


def test_settings_come_from_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("DLWP_DATA_DIR", str(tmp_path / "m"))
    monkeypatch.setenv("DLWP_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    config = DataConfig.from_settings()
    assert config.data_dir == tmp_path / "m"
    assert config.derived == tmp_path / "c"
    assert config.downloads == tmp_path / "k" / "datasets"
    assert not config.offline


def test_a_download_base_serves_the_files_by_name(data_config, http_root, monkeypatch):
    root, url = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    monkeypatch.setenv("DLWP_DOWNLOAD_BASE", url + "/")
    monkeypatch.setenv("KERAS_HOME", str(data_config.downloads.parent))
    online = DataConfig.from_settings()
    found = locate(spec_for(PAYLOAD), online)  # its origin is unreachable: the base serves
    assert found.location == "download" and found.path.read_bytes() == PAYLOAD


def _sums(root: Path, **digests: str) -> None:
    lines = "".join(f"{digest}  {name.replace('_', '.')}\n" for name, digest in digests.items())
    (root / "SHA256SUMS").write_text(lines)


def test_a_download_base_vouches_for_other_bytes_through_its_sha256sums(data_config, http_root):
    """A mirror's copy with the canonical arrays but other bytes (zip metadata) is
    accepted where the base's own SHA256SUMS lists it, as a mirror directory's does, and
    the cached copy is accepted again on the next run."""
    root, url = http_root
    other = b"same arrays, other zip metadata"
    (root / "data.bin").write_bytes(other)
    _sums(root, data_bin=hashlib.sha256(other).hexdigest())
    online = DataConfig(
        None, data_config.keras_datasets_dir, data_config.cache_dir, download_base=url
    )
    found = locate(spec_for(PAYLOAD), online)
    assert (found.location, found.vouched_by) == ("download", f"mirror {url}/SHA256SUMS")
    again = locate(spec_for(PAYLOAD), online)
    assert (again.location, again.path.read_bytes()) == ("keras-cache", other)


@pytest.mark.parametrize("listed", [False, True])
def test_a_download_base_file_its_sums_do_not_vouch_for_is_refused(
    data_config, http_root, listed: bool
):
    """Bytes that are neither official nor those the base's SHA256SUMS lists (no line, or
    a line for other bytes) are refused with the file's name, and nothing is cached."""
    root, url = http_root
    (root / "data.bin").write_bytes(b"damaged")
    _sums(root, **({"data_bin": hashlib.sha256(b"intact").hexdigest()} if listed else {}))
    online = DataConfig(
        None, data_config.keras_datasets_dir, data_config.cache_dir, download_base=url
    )
    with pytest.raises(DatasetCorrupt, match=r"data\.bin"):
        locate(spec_for(PAYLOAD), online)
    leftovers = list(data_config.downloads.iterdir()) if data_config.downloads.exists() else []
    assert leftovers == []


def test_a_missing_file_on_the_server_names_its_url(data_config: DataConfig, http_root):
    _, url = http_root
    online = DataConfig(
        None, data_config.keras_datasets_dir, data_config.cache_dir, download_base=url
    )
    with pytest.raises(DatasetUnavailable, match=rf"{url}/data\.bin .*404"):
        locate(spec_for(PAYLOAD), online)


def test_a_connection_dropped_mid_file_leaves_nothing_half_written(data_config: DataConfig):
    """The server promises the whole file, sends a third and hangs up."""

    class Cut(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 3])
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Cut)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        online = DataConfig(
            None,
            data_config.keras_datasets_dir,
            data_config.cache_dir,
            download_base=f"http://127.0.0.1:{server.server_address[1]}",
        )
        with pytest.raises((DatasetUnavailable, DatasetCorrupt), match=r"data\.bin"):
            locate(spec_for(PAYLOAD), online)
    finally:
        server.shutdown()
    cached = data_config.downloads
    assert not cached.exists() or list(cached.iterdir()) == []


@pytest.mark.parametrize("where", ["mirror", "keras-cache"])
def test_a_pickled_archive_with_the_wrong_bytes_never_reaches_the_unpickler(
    data_config: DataConfig, tmp_path: Path, monkeypatch, where: str
):
    """CIFAR-10's canonical format is pickles: a file with the right name and other bytes
    (here the suite's own generated archive) is refused by its hash before any load."""
    from dlwp_suite import synthetic
    from dlwp_suite.datasets import cifar10

    made = tmp_path / "made"
    synthetic.write_cifar10(made, per_batch=2)
    folder = data_config.data_dir if where == "mirror" else data_config.downloads
    folder.mkdir(parents=True, exist_ok=True)
    (folder / cifar10.CIFAR10_TAR.name).write_bytes((made / cifar10.CIFAR10_TAR.name).read_bytes())
    unpickled = []
    monkeypatch.setattr(cifar10.pickle, "load", lambda *a, **k: unpickled.append(a))
    with pytest.raises(DatasetCorrupt, match="cifar-10-python"):
        cifar10.load(data_config)
    assert unpickled == []

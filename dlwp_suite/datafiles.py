"""Find, verify and fetch canonical dataset files.

Lookup order: the mirror directory (``--dlwp-data-dir`` / ``DLWP_DATA_DIR``), then the
Keras cache (``$KERAS_HOME/datasets``, as ``keras.utils.get_file`` uses it), then a
download with pooch (atomic: a failed or mismatching download leaves nothing behind),
unless offline. A mirror may vouch for files whose bytes differ from the official ones
through its ``SHA256SUMS`` manifest (``sha256sum`` format).
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable

MANIFEST_NAME = "SHA256SUMS"
# A mirror's list of files written by ``dlwp_suite.synthetic`` or ``dlwp-suite
# generate-jena`` (one name a line): runs on them are labelled GENERATED.
GENERATED_LIST = "GENERATED"


def mark_generated(directory: Path, name: str) -> None:
    """Add ``name`` to ``directory``'s list of generated files."""
    marker = directory / GENERATED_LIST
    listed = set(marker.read_text().split()) if marker.is_file() else set()
    marker.write_text("\n".join(sorted(listed | {name})) + "\n")


def is_generated(path: Path) -> bool:
    """Whether the list beside ``path`` names it as generated data."""
    marker = path.parent / GENERATED_LIST
    return marker.is_file() and path.name in marker.read_text().split()


@dataclass(frozen=True)
class DatasetFile:
    """One canonical file: its name, where it is published and its published hash."""

    name: str
    origin: str
    # "sha256:<hex>" or "md5:<hex>" (Keras publishes md5 for some files); None where
    # nobody publishes one (some pretrained weights): then only a mirror manifest vouches.
    file_hash: str | None
    cache_subdir: str = "datasets"  # Keras keeps pretrained weights under "models"


@dataclass(frozen=True)
class ResolvedFile:
    """A verified local copy of a `DatasetFile`, and how it was vouched for."""

    path: Path
    location: str  # mirror, keras-cache or download
    sha256: str
    vouched_by: str  # official hash, or the mirror's manifest

    @property
    def verification(self) -> str:
        """What vouched for the bytes, for cache keys: official, mirror or unverified."""
        return self.vouched_by.split(" ", 1)[0]


def keras_home() -> Path:
    """The Keras cache root, as Keras computes it (``KERAS_HOME`` or ``~/.keras``)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()


@dataclass(frozen=True)
class DataConfig:
    """Where datasets come from and where derived files go."""

    data_dir: Path | None = None
    keras_datasets_dir: Path | None = None
    cache_dir: Path | None = None
    offline: bool = False
    # An HTTP mirror of the canonical files (``DLWP_DOWNLOAD_BASE``): downloads come from
    # ``<base>/<file name>`` instead of each file's origin, verified by the same hash or
    # by the ``<base>/SHA256SUMS`` it serves.
    download_base: str | None = None

    @classmethod
    def from_settings(
        cls, data_dir: str | os.PathLike[str] | None = None, offline: bool = False
    ) -> DataConfig:
        """Build a config from explicit settings, falling back to the environment."""
        mirror = data_dir or os.environ.get("DLWP_DATA_DIR") or None
        cache = os.environ.get("DLWP_CACHE_DIR")
        return cls(
            data_dir=Path(mirror).expanduser() if mirror else None,
            keras_datasets_dir=keras_home() / "datasets",
            cache_dir=Path(cache).expanduser() if cache else keras_home() / "dlwp_suite",
            offline=offline or os.environ.get("DLWP_OFFLINE", "") not in ("", "0"),
            download_base=os.environ.get("DLWP_DOWNLOAD_BASE") or None,
        )

    def url(self, spec: DatasetFile) -> str:
        """Where ``spec`` is downloaded from: the download base's copy, or its origin."""
        if self.download_base:
            return f"{self.download_base.rstrip('/')}/{spec.name}"
        return spec.origin

    @property
    def downloads(self) -> Path:
        """Directory for downloaded canonical files."""
        return self.keras_datasets_dir or keras_home() / "datasets"

    def keras_cache(self, spec: DatasetFile) -> Path:
        """Where Keras' ``get_file`` keeps ``spec`` (``datasets/`` or ``models/``)."""
        if spec.cache_subdir == "datasets":
            return self.downloads / spec.name
        return self.downloads.parent / spec.cache_subdir / spec.name

    @property
    def derived(self) -> Path:
        """Directory for extracted and vectorised data (never inside the mirror)."""
        return self.cache_dir or keras_home() / "dlwp_suite"


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of a file, read in chunks."""
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@functools.lru_cache(maxsize=16)
def _manifest(directory: Path, mtime_ns: int) -> dict[str, tuple[str, int]]:
    path = directory / MANIFEST_NAME
    return _parse_manifest(path.read_bytes(), str(path))


def _parse_manifest(content: bytes, where: str) -> dict[str, tuple[str, int]]:
    """A ``sha256sum`` manifest's ``{name: (sha256, line number)}``; ``where`` names it."""
    try:
        text = content.decode("utf-8-sig")  # a BOM is not part of line 1
    except UnicodeDecodeError as error:
        raise DatasetCorrupt(
            f"{where} is not a sha256sum manifest: byte {error.start} is not UTF-8 text. "
            f"Regenerate it in its directory with `sha256sum FILES > {MANIFEST_NAME}`."
        ) from None
    entries: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, _, name = line.strip().partition(" ")
        name = name.strip().lstrip("*").removeprefix("./")
        if not name or len(digest) != 64 or not all(c in _HEX for c in digest.lower()):
            raise DatasetCorrupt(
                f"{where} line {number} is not '<64 hex digits>  <file name>': {line[:120]!r}. "
                f"Fix or remove that line (`sha256sum FILE` prints a correct one)."
            )
        entries[name] = (digest.lower(), number)
    return entries


@functools.lru_cache(maxsize=4)
def served_manifest(base: str) -> dict[str, str]:
    """The download base's ``SHA256SUMS`` as ``{name: sha256}``, read once a process;
    empty where the server has none. Like a mirror directory's, it vouches for files
    whose bytes differ from the official ones (the same arrays, other zip metadata)."""
    import http.client
    import urllib.error
    import urllib.request

    url = f"{base.rstrip('/')}/{MANIFEST_NAME}"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            content = response.read()
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        return {}  # none served (or cut short): official hashes only
    return {name: digest for name, (digest, _) in _parse_manifest(content, url).items()}


_HEX = frozenset("0123456789abcdef")


def _manifest_entries(directory: Path) -> dict[str, tuple[str, int]]:
    manifest = directory / MANIFEST_NAME
    if not manifest.is_file():
        return {}
    return _manifest(directory, manifest.stat().st_mtime_ns)


def mirror_manifest(directory: Path) -> dict[str, str]:
    """The mirror's ``SHA256SUMS`` as ``{relative name: sha256}`` (empty if absent).

    A manifest that is not UTF-8 text or has a malformed line raises `DatasetCorrupt`
    naming the manifest and the line, not a data file.
    """
    return {name: digest for name, (digest, _) in _manifest_entries(directory).items()}


def _matches_official(path: Path, spec: DatasetFile) -> bool:
    if spec.file_hash is None:
        return False
    algorithm, _, expected = spec.file_hash.partition(":")
    return file_digest(path, algorithm) == expected.lower()


def _verify_mirror_copy(path: Path, spec: DatasetFile, mirror: Path) -> ResolvedFile:
    sha256 = file_digest(path, "sha256")
    if spec.file_hash is not None and _matches_official(path, spec):
        return ResolvedFile(path, "mirror", sha256, f"official {spec.file_hash.split(':')[0]}")
    entry = _manifest_entries(mirror).get(spec.name)
    if entry is not None and entry[0] == sha256:
        return ResolvedFile(path, "mirror", sha256, f"mirror {MANIFEST_NAME}")
    size = f"{path} ({path.stat().st_size:,} bytes, sha256 {sha256})"
    if entry is None:
        raise DatasetCorrupt(
            f"{size} failed verification: it is not the official file and "
            f"{mirror / MANIFEST_NAME} has no entry for it. It is truncated or corrupt; "
            f"replace it with a good copy from {spec.origin}."
        )
    raise DatasetCorrupt(
        f"{size} does not match line {entry[1]} of {mirror / MANIFEST_NAME} "
        f"(sha256 {entry[0]}), nor the official file. Either the file is damaged (replace "
        f"it with a good copy from {spec.origin}) or that line is wrong (if the file is "
        f"good, correct the line with `sha256sum {spec.name}`)."
    )


def _verify_cached_copy(path: Path, spec: DatasetFile, config: DataConfig) -> ResolvedFile:
    if (vouched := _served_vouch(path, spec, config)) is not None:
        return ResolvedFile(path, "keras-cache", file_digest(path, "sha256"), vouched)
    if spec.file_hash is None:
        # Keras itself loads such a file unchecked; the record says it was not verified.
        return ResolvedFile(path, "keras-cache", file_digest(path, "sha256"), "unverified")
    if not _matches_official(path, spec):
        raise DatasetCorrupt(
            f"{path} ({path.stat().st_size:,} bytes) does not match the official "
            f"{spec.file_hash}: it is truncated or corrupt. Delete it so it is fetched "
            f"again from {spec.origin}, or put a good copy in DLWP_DATA_DIR."
        )
    return ResolvedFile(path, "keras-cache", file_digest(path, "sha256"), "official hash")


def _served_vouch(path: Path, spec: DatasetFile, config: DataConfig) -> str | None:
    """ "mirror <base>/SHA256SUMS" where the download base's manifest vouches for the
    bytes of ``path`` and the official hash does not; else None."""
    if not config.download_base or spec.name not in served_manifest(config.download_base):
        return None
    if _matches_official(path, spec):
        return None
    if served_manifest(config.download_base)[spec.name] != file_digest(path, "sha256"):
        return None
    return f"mirror {config.download_base.rstrip('/')}/{MANIFEST_NAME}"


def _download(spec: DatasetFile, config: DataConfig) -> ResolvedFile:
    import pooch  # imported late: only downloads need it

    url = config.url(spec)
    # A download base's own SHA256SUMS vouches for its copy, as a mirror directory's does.
    served = served_manifest(config.download_base) if config.download_base else {}
    known = f"sha256:{served[spec.name]}" if spec.name in served else spec.file_hash
    try:
        # pooch writes to a temporary file and moves it in only once the hash matches:
        # a refused, cut or wrong download leaves nothing in the cache.
        fetched = pooch.retrieve(
            url,
            known_hash=known,
            fname=spec.name,
            path=config.keras_cache(spec).parent,
            progressbar=True,
        )
    except ValueError as error:  # pooch's hash mismatch; it removed the temporary file
        raise DatasetCorrupt(f"download of {spec.name} from {url}: {error}") from error
    except Exception as error:  # network errors come in many types
        raise DatasetUnavailable(
            f"{spec.name} is not at hand and could not be downloaded from {url} "
            f"({type(error).__name__}: {error}). {_how_to_fix(spec, config)}"
        ) from error
    path = Path(fetched)
    vouched = _served_vouch(path, spec, config) or "official hash"
    return ResolvedFile(path, "download", file_digest(path, "sha256"), vouched)


def _how_to_fix(spec: DatasetFile, config: DataConfig) -> str:
    return (
        f"Put {spec.name} in a mirror directory given by --dlwp-data-dir or DLWP_DATA_DIR, "
        f"or into {config.keras_cache(spec).parent}, or run online so it is downloaded "
        f"from {spec.origin}."
    )


def locate(spec: DatasetFile, config: DataConfig) -> ResolvedFile:
    """Return a verified local copy of ``spec``, downloading it if allowed.

    Raises `DatasetUnavailable` when it is nowhere to be found and `DatasetCorrupt`
    when a copy exists but fails verification.
    """
    if config.data_dir is not None and (config.data_dir / spec.name).is_file():
        return _verify_mirror_copy(config.data_dir / spec.name, spec, config.data_dir)
    cached = config.keras_cache(spec)
    if cached.is_file():
        return _verify_cached_copy(cached, spec, config)
    if config.offline:
        looked = [str(config.data_dir / spec.name)] if config.data_dir else []
        looked.append(str(cached))
        raise DatasetUnavailable(
            f"{spec.name} not found (looked in {', '.join(looked)}) and downloads are off "
            f"(--dlwp-offline). {_how_to_fix(spec, config)}"
        )
    return _download(spec, config)


def is_present(spec: DatasetFile, config: DataConfig) -> bool:
    """Whether a local copy exists (unverified): used to choose between sources."""
    in_mirror = config.data_dir is not None and (config.data_dir / spec.name).is_file()
    return in_mirror or config.keras_cache(spec).is_file()

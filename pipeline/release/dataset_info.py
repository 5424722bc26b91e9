"""What a publisher says of the dataset: its title, data licence, citation, creators and
sources, from `dataset.yaml` in the releases folder (optional; one releases folder is one
dataset). Every release's manifest, dataset card, datapackage.json and croissant.json carry
it; without the file they say that the input articles' licence applies and cite the
dataset by name and version.

    title: US election coverage 2016: who said what
    description: Stances of candidates and groups in 924 news articles.
    license:                # the data's licence (the code's is MIT)
      id: CC-BY-NC-4.0      # an SPDX identifier, or your own short name
      url: https://creativecommons.org/licenses/by-nc/4.0/
    citation: Doe, J. (2026). US election coverage 2016 [Data set].
    url: https://example.org/data/us-election
    creators:
      - name: Jane Doe
        affiliation: Example University
        orcid: 0000-0002-1825-0097
    sources:
      - title: PolNeAR corpus
        url: https://example.org/polnear
        description: News articles from seven US outlets, 2015-2016.

Every key is optional; a key the format does not have, or a value of the wrong kind, is
refused with the file and the key named (`DatasetInfoError`)."""

from __future__ import annotations

from pathlib import Path

FILE = "dataset.yaml"
_TEXT_KEYS = ("title", "description", "citation", "url")
_KEYS = (*_TEXT_KEYS, "license", "creators", "sources")
_LICENSE_KEYS = ("id", "url", "title")
_CREATOR_KEYS = ("name", "affiliation", "orcid", "email", "url")
_SOURCE_KEYS = ("title", "url", "description")


class DatasetInfoError(ValueError):
    """dataset.yaml cannot be read or holds what the format does not (the message says where)."""


def dataset_info_path(releases_dir: Path) -> Path:
    return Path(releases_dir) / FILE


def load_dataset_info(releases_dir: Path) -> dict:
    """The releases folder's dataset.yaml, checked and normalised ({} without the file)."""
    import yaml

    path = dataset_info_path(releases_dir)
    try:
        if not path.is_file():
            return {}
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise DatasetInfoError(f"{path}: cannot be read as YAML ({e})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DatasetInfoError(f"{path}: expected keys ({', '.join(_KEYS)}), found a {type(data).__name__}")
    _known(path, data, _KEYS, "")
    out: dict = {}
    for key in _TEXT_KEYS:
        if data.get(key) is not None:
            out[key] = _text(path, key, data[key])
    if data.get("license") is not None:
        lic = data["license"]
        if isinstance(lic, str):
            lic = {"id": lic}
        if not isinstance(lic, dict) or not lic.get("id"):
            raise DatasetInfoError(f"{path}: license needs an id (an SPDX identifier such as CC-BY-4.0)")
        _known(path, lic, _LICENSE_KEYS, "license: ")
        out["license"] = {k: _text(path, f"license.{k}", lic[k]) for k in _LICENSE_KEYS if lic.get(k) is not None}
    for key, keys, required in (("creators", _CREATOR_KEYS, "name"), ("sources", _SOURCE_KEYS, "title")):
        items = data.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            raise DatasetInfoError(f"{path}: {key} must be a list")
        out[key] = []
        for n, item in enumerate(items, 1):
            if isinstance(item, str):
                item = {required: item}
            if not isinstance(item, dict) or not item.get(required):
                raise DatasetInfoError(f"{path}: {key} item {n} needs a {required}")
            _known(path, item, keys, f"{key} item {n}: ")
            out[key].append({k: _text(path, f"{key} item {n}: {k}", item[k]) for k in keys if item.get(k) is not None})
    return out


def _known(path: Path, data: dict, keys: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(k) for k in data if k not in keys)
    if unknown:
        raise DatasetInfoError(f"{path}: {where}unknown key(s) {', '.join(unknown)} (known: {', '.join(keys)})")


def _text(path: Path, key: str, value) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DatasetInfoError(f"{path}: {key} must be text, not {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise DatasetInfoError(f"{path}: {key} is empty")
    return text

"""Run settings shared by every asset, as one typed Dagster resource (the values and their
defaults are `pipeline.settings`')."""

from pathlib import Path

import dagster as dg

from pipeline.settings import (
    DEFAULTS,
    batch_name,
    codebook_paths,
    corrections_root,
    processes,
    resolve,
    staging_for,
)


class StancewireSettings(dg.ConfigurableResource):
    """Where the pipeline reads and writes, and how it parses. Paths are relative to the
    working directory (the repository root for `dagster dev -w workspace.yaml`)."""

    input_dir: str = DEFAULTS["input_dir"]
    batch_id: str = DEFAULTS["batch_id"]  # default: the input folder's name
    warehouse: str = DEFAULTS["warehouse"]
    releases_dir: str = DEFAULTS["releases_dir"]
    staging_dir: str = DEFAULTS["staging_dir"]  # default: "<warehouse file>.staging" beside it
    parse_cache_dir: str = DEFAULTS["parse_cache_dir"]  # default: "parse-cache" beside the warehouse file
    inbox_dir: str = DEFAULTS["inbox_dir"]  # the sensor watches it: each sub-folder is a batch
    corrections_dir: str = DEFAULTS["corrections_dir"]  # default: the warehouse's own (`corrections_folder`)
    codebooks: list[str] = DEFAULTS["codebooks"]  # default: every .yaml file in data/codebooks
    languages: list[str] = DEFAULTS["languages"]  # ISO 639-1 codes taken; default: the spaCy model's language
    spacy_model: str = DEFAULTS["spacy_model"]
    batch_size: int = DEFAULTS["batch_size"]
    n_process: int = 0  # 0: auto (usable cores, bounded by memory); see `processes`
    lock_timeout_s: float = DEFAULTS["lock_timeout_s"]
    publish: bool = DEFAULTS["publish"]
    adopt_releases: bool = DEFAULTS["adopt_releases"]  # publish over another warehouse's releases folder

    @classmethod
    def from_env(cls, **overrides) -> "StancewireSettings":
        """Defaults, overridden by STANCEWIRE_* environment variables, then by `overrides`."""
        return cls(**resolve(**overrides))

    @property
    def staging(self):
        return staging_for(
            {"warehouse": self.warehouse, "staging_dir": self.staging_dir, "parse_cache_dir": self.parse_cache_dir}
        )

    @property
    def corrections_folder(self) -> Path:
        """The coders' corrections this warehouse applies (`pipeline.settings.corrections_root`)."""
        return corrections_root(self.warehouse, self.corrections_dir)

    @property
    def processes(self) -> int:
        """spaCy processes: n_process, or for 0 the usable cores bounded by memory."""
        return processes(self.n_process)

    @property
    def input_path(self) -> Path:
        return Path(self.input_dir)

    @property
    def resolved_batch_id(self) -> str:
        return batch_name(self.batch_id or self.input_path.resolve().name)

    @property
    def accepted_languages(self) -> tuple[str, ...]:
        """The languages of the articles taken (others are rejected as unsupported_language);
        the staging step checks that the detector knows them (this does not load it)."""
        from pipeline.text.language import requested_languages

        return requested_languages(self.languages, self.spacy_model)

    def codebook_paths(self) -> list[Path]:
        return codebook_paths(self.codebooks)

"""What a spaCy worker process loads for the parse and stance steps: the model, the lexicon,
the parse cache and the codebooks' target matcher. The pool (`pipeline.steps.pool`) calls
`WorkerConfig.load` once per process, or once in the zygote its workers are forked from
(Linux); the steps' chunk functions read the result with `pool.state()`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker loads; two steps can share a pool when their configs are equal."""

    model_name: str
    parse_cache: str
    batch_size: int
    code_fp: str
    codebooks: tuple = ()

    @classmethod
    def of(cls, model_name: str, parse_cache, batch_size: int, code_fp: str, codebooks=None) -> WorkerConfig:
        """The one way the CLI and the steps build a config, so that equal settings give
        equal configs (and the run's shared pool is found)."""
        return cls(model_name, str(parse_cache), batch_size, code_fp, tuple(codebooks or ()))

    def load(self) -> dict:
        """Load the model and build the target matcher (in the process that will use them)."""
        from pipeline.actors import first_names
        from pipeline.fingerprints import coding_fingerprint
        from pipeline.nlp import lexicon
        from pipeline.nlp.model import load_nlp, model_id_for
        from pipeline.stances.coder import TargetMatcher
        from pipeline.storage.staging import ParseCache

        nlp = load_nlp(self.model_name)
        lexicon.preload()
        first_names.preload()
        books = list(self.codebooks)
        return {
            "nlp": nlp,
            "model": model_id_for(self.model_name),
            "parses": ParseCache(self.parse_cache),
            "matcher": TargetMatcher(nlp, books) if books else None,
            "coding_fp": coding_fingerprint(self.model_name, self.code_fp, books) if books else None,
        }

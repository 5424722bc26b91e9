"""The `stancewire` command line: argument parsing and commands (`cli.main`), and the
evaluation commands (`cli.evaluate`). The pipeline itself runs through `assets.runner`."""

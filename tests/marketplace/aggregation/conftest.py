import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def datasets_root() -> pathlib.Path:
    root = pathlib.Path(os.environ.get("QUORUM_DATASETS", REPO.parent / "shared" / "datasets"))
    if not (root / "bluebirds" / "answers.csv").exists():
        pytest.skip(f"shared data sets not found at {root} (set QUORUM_DATASETS)")
    return root

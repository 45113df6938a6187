import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def datasets_root() -> pathlib.Path:
    # Beside the checkout in a workspace (../shared), or where this team's machines keep it
    # (a CI clone may live anywhere); QUORUM_DATASETS overrides both.
    candidates = [REPO.parent / "shared" / "datasets", pathlib.Path("/work/shared/datasets")]
    if "QUORUM_DATASETS" in os.environ:
        candidates = [pathlib.Path(os.environ["QUORUM_DATASETS"])]
    for root in candidates:
        if (root / "bluebirds" / "answers.csv").exists():
            return root
    pytest.skip(f"shared data sets not found at {candidates} (set QUORUM_DATASETS)")

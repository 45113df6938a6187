"""Results in standard formats: Label Studio JSON (every type), COCO (boxes), CoNLL/IOB
(spans). Projects get known final labels written on their tasks, downloads are parsed back and
checked value by value; one test goes through a real aggregation run."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from marketplace.exporting.conll import iob_tags, tokenise
from marketplace.services import assignments as assignments_service
from marketplace.services.aggregation import project_aggregate
from marketplace.services.assignments import assignment_claim, assignment_submit
from marketplace.task_types import task_type
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory

pytestmark = pytest.mark.django_db

IMAGE = "https://example.com/street/1.jpg"
CONFIGS = {
    "classification": {"labels": ["cat", "dog"]},
    "multi_label": {"labels": ["cat", "dog", "bird"]},
    "free_text": {},
    "rating": {"min": 1, "max": 5},
    "pairwise": {"allow_tie": True},
    "spans": {"labels": ["PERSON", "PLACE", "MOOD"]},
    "bounding_boxes": {"labels": ["car", "person"]},
}


def project_of(owner, template_type):
    config = task_type(template_type).clean_config(CONFIGS[template_type])
    return ProjectFactory(
        account=owner.requester_account, template_type=template_type, label_config=config
    )


def labelled_task(project, data, label, confidence=0.8, method="auto"):
    return TaskFactory(
        project=project,
        data=data,
        final_label=label,
        confidence=confidence,
        aggregation_method=method,
        answers_count=3,
        slots_taken=3,
    )


def download(api_client, owner, project, fmt):
    api_client.force_authenticate(owner)
    return api_client.get(f"/api/v1/projects/{project.pk}/results/", {"format": fmt})


def body(response) -> str:
    assert response.status_code == 200 and response.streaming
    return b"".join(response.streaming_content).decode()


BOX = {"x": 0.1, "y": 0.2, "width": 0.3, "height": 0.4, "label": "car"}
SIZED_IMAGE = {"image_url": IMAGE, "width": 640, "height": 480}
LABEL_STUDIO_CASES = [
    ("classification", {"text": "purr"}, "cat", "label", "text", "choices", {"choices": ["cat"]}),
    (
        "multi_label",
        {"image_url": IMAGE},
        ["cat", "bird"],
        "label",
        "image",
        "choices",
        {"choices": ["cat", "bird"]},
    ),
    (
        "free_text",
        {"image_url": IMAGE},
        "NO PARKING",
        "answer",
        "image",
        "textarea",
        {"text": ["NO PARKING"]},
    ),
    ("rating", {"text": "The cat sat."}, 4, "rating", "text", "rating", {"rating": 4}),
    (
        "pairwise",
        {"a": "x", "b": "y"},
        "b",
        "pairwise",
        "pairwise",
        "pairwise",
        {"selected": "right"},
    ),
    (
        "spans",
        {"text": "Ada Lovelace wrote"},
        [{"start": 0, "end": 12, "label": "PERSON"}],
        "label",
        "text",
        "labels",
        {"start": 0, "end": 12, "text": "Ada Lovelace", "labels": ["PERSON"]},
    ),
    (
        "bounding_boxes",
        SIZED_IMAGE,
        [BOX],
        "label",
        "image",
        "rectanglelabels",
        {
            "x": 10.0,
            "y": 20.0,
            "width": 30.0,
            "height": 40.0,
            "rotation": 0,
            "rectanglelabels": ["car"],
        },
    ),
]


@pytest.mark.parametrize(
    ("template_type", "data", "label", "from_name", "to_name", "kind", "value"),
    LABEL_STUDIO_CASES,
    ids=[case[0] for case in LABEL_STUDIO_CASES],
)
def test_label_studio_predictions_take_the_shape_of_each_template_type(
    api_client, requester, template_type, data, label, from_name, to_name, kind, value
):
    project = project_of(requester, template_type)
    task = labelled_task(project, data, label, confidence=0.875, method="ds")
    waiting = TaskFactory(project=project, data=data)  # no final label yet

    response = download(api_client, requester, project, "label_studio")

    assert response["Content-Type"].startswith("application/json")
    assert f'filename="results-{project.pk}.label-studio.json"' in response["Content-Disposition"]
    tasks = json.loads(body(response))
    assert [t["id"] for t in tasks] == [task.pk, waiting.pk]
    assert tasks[0]["data"] == data
    assert tasks[0]["meta"]["label"] == label and tasks[0]["meta"]["answers_count"] == 3
    (prediction,) = tasks[0]["predictions"]
    assert (prediction["model_version"], prediction["score"]) == ("quorum-ds", 0.875)
    (result,) = prediction["result"]
    assert (result["from_name"], result["to_name"], result["type"]) == (from_name, to_name, kind)
    assert result["value"] == value
    assert result["id"] == f"q{task.pk}-0"
    assert tasks[1]["predictions"] == [] and tasks[1]["meta"]["label"] is None


def test_label_studio_boxes_carry_the_image_size_and_a_tie_selects_no_side(api_client, requester):
    boxes = project_of(requester, "bounding_boxes")
    labelled_task(boxes, SIZED_IMAGE, [BOX, {**BOX, "label": "person"}])
    labelled_task(boxes, {"image_url": IMAGE}, [])  # checked: nothing to mark
    sized, empty = json.loads(body(download(api_client, requester, boxes, "label_studio")))
    first, second = sized["predictions"][0]["result"]
    assert (first["original_width"], first["original_height"]) == (640, 480)
    assert second["value"]["rectanglelabels"] == ["person"] and second["id"].endswith("-1")
    assert empty["predictions"][0]["result"] == []

    pairs = project_of(requester, "pairwise")
    labelled_task(pairs, {"a": "x", "b": "y"}, "tie", confidence=0.6)
    (tie,) = json.loads(body(download(api_client, requester, pairs, "label_studio")))
    assert tie["predictions"][0]["result"] == [] and tie["predictions"][0]["score"] == 0.6
    assert tie["meta"]["label"] == "tie"


@pytest.fixture(autouse=True)
def _fresh_gold_ratios():
    assignments_service._gold_ratios.clear()


def test_label_studio_export_of_a_real_aggregation_run(client, requester):
    project = ProjectFactory(
        account=requester.requester_account, overlap_min=3, overlap_max=3, aggregation_method="mv"
    )
    task = TaskFactory(project=project, data={"text": "meow"})
    for index, worker in enumerate(WorkerFactory.create_batch(3)):
        claimed = assignment_claim(worker=worker, project=project)
        answer = "dog" if index == 2 else "cat"
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer=answer)
    project_aggregate(project_id=project.pk)
    client.force_login(requester)

    response = client.get(f"/requester/projects/{project.pk}/results/download/?format=label_studio")

    (exported,) = json.loads(body(response))
    prediction = exported["predictions"][0]
    assert exported["id"] == task.pk and prediction["model_version"] == "quorum-mv"
    assert prediction["score"] == pytest.approx(2 / 3, abs=1e-6)
    assert prediction["result"][0]["value"] == {"choices": ["cat"]}


def test_coco_has_pixel_boxes_when_the_size_is_known_and_relative_ones_always(
    api_client, requester
):
    project = project_of(requester, "bounding_boxes")
    sized = labelled_task(project, SIZED_IMAGE, [BOX], confidence=0.9)
    # A CSV import stores the size as strings.
    from_csv = labelled_task(
        project,
        {"image_url": IMAGE, "width": "1000", "height": "500"},
        [{"x": 0.5, "y": 0.5, "width": 0.25, "height": 0.5, "label": "person"}, BOX],
    )
    unsized = labelled_task(project, {"image_url": IMAGE}, [BOX], confidence=0.7)
    empty = labelled_task(project, {"image_url": IMAGE}, [])
    TaskFactory(project=project, data={"image_url": IMAGE})  # not aggregated: left out

    response = download(api_client, requester, project, "coco")

    assert f'filename="results-{project.pk}.coco.json"' in response["Content-Disposition"]
    coco = json.loads(body(response))
    assert coco["categories"] == [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}]
    images = {image["id"]: image for image in coco["images"]}
    assert list(images) == [sized.pk, from_csv.pk, unsized.pk, empty.pk]
    assert images[sized.pk] == {"id": sized.pk, "file_name": IMAGE, "width": 640, "height": 480}
    assert (images[from_csv.pk]["width"], images[from_csv.pk]["height"]) == (1000, 500)
    assert "width" not in images[unsized.pk] and "height" not in images[unsized.pk]
    annotations = coco["annotations"]
    assert [a["id"] for a in annotations] == [1, 2, 3, 4]
    first = annotations[0]
    assert (first["image_id"], first["category_id"], first["score"]) == (sized.pk, 1, 0.9)
    assert first["bbox"] == [64.0, 96.0, 192.0, 192.0] and first["area"] == 36864.0
    assert first["bbox_relative"] == [0.1, 0.2, 0.3, 0.4] and first["iscrowd"] == 0
    assert annotations[1]["bbox"] == [500.0, 250.0, 250.0, 250.0]
    assert annotations[1]["category_id"] == 2
    last = annotations[3]
    assert last["image_id"] == unsized.pk and last["score"] == 0.7
    assert "bbox" not in last and "area" not in last
    assert last["bbox_relative"] == [0.1, 0.2, 0.3, 0.4]
    assert all(a["image_id"] != empty.pk for a in annotations)


def conll_blocks(text: str) -> list[list[str]]:
    assert text.endswith("\n\n")
    return [block.split("\n") for block in text.strip("\n").split("\n\n")]


def test_conll_tags_tokens_with_iob_and_widens_spans_to_whole_tokens(api_client, requester):
    project = project_of(requester, "spans")
    text = "Ada Lovelace met Charles Babbage in London."
    spans = [
        {"start": 0, "end": 12, "label": "PERSON"},
        {"start": 17, "end": 32, "label": "PERSON"},
        {"start": 36, "end": 42, "label": "PLACE"},  # ends before the full stop
    ]
    first = labelled_task(project, {"text": text}, spans, confidence=0.875)
    # "happy" starts inside the token "unhappy".
    second = labelled_task(
        project, {"text": "An unhappy  customer"}, [{"start": 5, "end": 10, "label": "MOOD"}]
    )
    nothing = labelled_task(project, {"text": "Nothing here"}, [])
    TaskFactory(project=project, data={"text": "Not aggregated"})

    response = download(api_client, requester, project, "conll")

    assert response["Content-Type"].startswith("text/plain")
    assert f'filename="results-{project.pk}.conll"' in response["Content-Disposition"]
    blocks = conll_blocks(body(response))
    assert len(blocks) == 3
    assert blocks[0][:2] == [f"# task_id = {first.pk}", "# confidence = 0.875"]
    assert [line.split("\t") for line in blocks[0][2:]] == [
        ["Ada", "B-PERSON"],
        ["Lovelace", "I-PERSON"],
        ["met", "O"],
        ["Charles", "B-PERSON"],
        ["Babbage", "I-PERSON"],
        ["in", "O"],
        ["London.", "B-PLACE"],
    ]
    assert blocks[1][0] == f"# task_id = {second.pk}"
    assert blocks[1][2:] == ["An\tO", "unhappy\tB-MOOD", "customer\tO"]
    assert blocks[2][0] == f"# task_id = {nothing.pk}"
    assert blocks[2][2:] == ["Nothing\tO", "here\tO"]


def test_iob_gives_shared_tokens_to_the_first_span_and_restarts_the_second():
    tokens = tokenise("New York City Hall opens")
    spans = [
        {"start": 4, "end": 18, "label": "BUILDING"},  # York City Hall
        {"start": 0, "end": 13, "label": "PLACE"},  # New York City: starts first, wins
        {"start": 19, "end": 19, "label": "EMPTY"},  # touches no character
    ]
    assert iob_tags(tokens, spans) == ["B-PLACE", "I-PLACE", "I-PLACE", "B-BUILDING", "O"]
    assert iob_tags(tokenise("a  b"), [{"start": 1, "end": 3, "label": "GAP"}]) == ["O", "O"]


@pytest.mark.parametrize(
    ("template_type", "fmt", "wanted"),
    [
        ("classification", "coco", "bounding_boxes"),
        ("spans", "coco", "bounding_boxes"),
        ("bounding_boxes", "conll", "spans"),
        ("rating", "conll", "spans"),
    ],
)
def test_a_format_that_does_not_fit_the_template_type_is_refused(
    api_client, client, requester, template_type, fmt, wanted
):
    project = project_of(requester, template_type)

    response = download(api_client, requester, project, fmt)

    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert f"only for {wanted} projects; this is a {template_type} project" in message
    assert "csv, jsonl, label_studio" in message
    client.force_login(requester)
    page = client.get(f"/requester/projects/{project.pk}/results/download/?format={fmt}")
    assert page.status_code == 400 and f"only for {wanted} projects" in page.content.decode()


def test_an_unknown_format_lists_the_known_ones(api_client, requester):
    response = download(api_client, requester, project_of(requester, "spans"), "xlsx")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "format": ["one of csv, jsonl, label_studio, coco, conll"]
    }


@pytest.mark.parametrize("fmt", ["label_studio", "coco", "csv"])
def test_another_organisation_gets_404_in_every_format(
    api_client, client, requester, other_requester, fmt
):
    project = project_of(requester, "bounding_boxes")
    labelled_task(project, SIZED_IMAGE, [BOX])

    assert download(api_client, other_requester, project, fmt).status_code == 404
    client.force_login(other_requester)
    page = client.get(f"/requester/projects/{project.pk}/results/download/?format={fmt}")
    assert page.status_code == 404


def test_json_documents_stay_valid_across_several_keyset_batches(api_client, requester, settings):
    settings.RESULTS_EXPORT_BATCH = 2
    project = project_of(requester, "bounding_boxes")
    tasks = [labelled_task(project, SIZED_IMAGE, [BOX]) for _ in range(2)]
    tasks.append(TaskFactory(project=project, data={"image_url": IMAGE}))  # unlabelled
    tasks += [labelled_task(project, SIZED_IMAGE, [BOX]) for _ in range(2)]
    TaskFactory(project=project, gold=True, gold_answer=[BOX], data=SIZED_IMAGE)
    ids = [task.pk for task in tasks]

    for fmt in ("label_studio", "coco"):
        response = download(api_client, requester, project, fmt)
        with CaptureQueriesContext(connection) as queries:
            pieces = [piece.decode() for piece in response.streaming_content]
        task_reads = [q for q in queries if 'FROM "marketplace_task"' in q["sql"]]
        assert len(task_reads) == 3  # 2 + 2 + 1 regular tasks, one query per batch
        assert len(pieces) > 5  # written piece by piece, not as one document
        document = json.loads("".join(pieces))
        if fmt == "label_studio":
            assert [t["id"] for t in document] == ids
            assert [len(t["predictions"]) for t in document] == [1, 1, 0, 1, 1]
        else:
            assert [image["id"] for image in document["images"]] == ids[:2] + ids[3:]
            assert [a["image_id"] for a in document["annotations"]] == ids[:2] + ids[3:]
            assert [a["id"] for a in document["annotations"]] == [1, 2, 3, 4]


def test_the_results_page_offers_the_formats_that_fit_the_project(client, requester):
    client.force_login(requester)
    offered = {}
    for template_type in ("classification", "spans", "bounding_boxes"):
        project = project_of(requester, template_type)
        page = client.get(f"/requester/projects/{project.pk}/results/").content.decode()
        offered[template_type] = {
            fmt
            for fmt in ("csv", "jsonl", "label_studio", "coco", "conll")
            if f'<option value="{fmt}">' in page
        }
    assert offered == {
        "classification": {"csv", "jsonl", "label_studio"},
        "spans": {"csv", "jsonl", "label_studio", "conll"},
        "bounding_boxes": {"csv", "jsonl", "label_studio", "coco"},
    }


def test_the_openapi_schema_lists_every_format():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/projects/{project_id}/results/"]["get"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "format"]
    assert sorted(parameter["schema"]["enum"]) == ["coco", "conll", "csv", "jsonl", "label_studio"]

"""The generator: reproducible output, drift detection, and a schema bump end to end."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from codegen.__main__ import DEFAULT_SPEC, drift, generate, import_check
from codegen.targets import ROOT, TARGETS

GENERATED = TARGETS[0].out_dir


def test_committed_output_matches_the_spec() -> None:
    assert drift() == ""


def test_generation_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    generate(DEFAULT_SPEC, tmp_path / "one")
    generate(DEFAULT_SPEC, tmp_path / "two")
    one = {p.name: p.read_bytes() for p in (tmp_path / "one" / "python").glob("*.py")}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two" / "python").glob("*.py")}
    assert set(one) == {"__init__.py", "models.py", "endpoints.py"}
    assert one == two


def test_every_generated_file_has_the_header() -> None:
    digest = hashlib.sha256(DEFAULT_SPEC.read_bytes()).hexdigest()
    for path in GENERATED.glob("*.py"):
        head = path.read_text().splitlines()[:3]
        assert head[0] == f"# Generated from schema/telemetry-api-v1.yaml (sha256 {digest}).", path
        assert "Do not edit by hand" in head[1]
        assert "python -m codegen generate" in head[2]


def test_hand_edit_of_generated_file_is_reported_with_a_diff(tmp_path: Path) -> None:
    copy = tmp_path / "_generated"
    shutil.copytree(GENERATED, copy)
    models = copy / "models.py"
    models.write_text(models.read_text().replace('PLANNING = "planning"', 'PLANNING = "plans"'))
    diff = drift(committed={"python": copy})
    assert '-    PLANNING = "plans"' in diff
    assert '+    PLANNING = "planning"' in diff
    assert "models.py" in diff


def test_import_check_catches_generated_code_that_does_not_import(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    import_check(src)  # the copy as committed imports fine
    (src / "mosaicstack_telemetry" / "_generated" / "models.py").write_text("class Broken(:\n")
    with pytest.raises(subprocess.CalledProcessError):
        import_check(src)


def _bumped_spec(tmp_path: Path) -> Path:
    spec = yaml.safe_load(DEFAULT_SPEC.read_text())
    schemas = spec["components"]["schemas"]
    schemas["TaskCompletionEvent"]["properties"]["agent_version"] = {
        "type": ["string", "null"],
        "maxLength": 40,
        "default": None,
        "description": "Version of the agent that ran the task.",
    }
    schemas["Provider"]["enum"].insert(-2, "deepseek")
    path = tmp_path / "telemetry-api-v1.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_schema_bump_regenerates_and_old_output_fails_the_check(tmp_path: Path) -> None:
    bumped = _bumped_spec(tmp_path)
    generate(bumped, tmp_path / "out")
    models = (tmp_path / "out" / "python" / "models.py").read_text()
    assert "agent_version: Annotated[" in models
    assert 'DEEPSEEK = "deepseek"' in models
    # The committed output (made from the old spec) now fails the drift check, naming both.
    diff = drift(bumped)
    added = [line for line in diff.splitlines() if line.startswith("+") and "+++" not in line]
    assert any("agent_version" in line for line in added)
    assert any('DEEPSEEK = "deepseek"' in line for line in added)
    # ...and so does the command CI runs, with the diff on stdout and a non-zero exit.
    result = subprocess.run(
        [sys.executable, "-m", "codegen", "check", "--spec", str(bumped)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "agent_version" in result.stdout
    assert "make generate" in result.stderr


def test_generated_bumped_models_validate_the_new_field(tmp_path: Path) -> None:
    bumped = _bumped_spec(tmp_path)
    generate(bumped, tmp_path / "out")
    namespace: dict[str, object] = {}
    code = (tmp_path / "out" / "python" / "models.py").read_text()
    exec(compile(code, "models.py", "exec"), namespace)
    provider = namespace["Provider"]
    assert provider("deepseek").value == "deepseek"  # type: ignore[operator]


def test_an_invalid_spec_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    spec = yaml.safe_load(DEFAULT_SPEC.read_text())
    # A response without its required description.
    spec["paths"]["/v1/events/batch"]["post"]["responses"]["202"] = {"content": {}}
    broken = tmp_path / "telemetry-api-v1.yaml"
    broken.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(OpenAPIValidationError):
        generate(broken, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_every_operation_has_an_operation_id_and_ref_bodies() -> None:
    from codegen.spec import load

    api = load(DEFAULT_SPEC)
    assert [(op.operation_id, op.method, op.path, op.success_status) for op in api.operations] == [
        ("submitEventsBatch", "POST", "/v1/events/batch", 202),
        ("getPredictionsBatch", "POST", "/v1/predictions/batch", 200),
    ]
    assert {e.name for e in api.enums} == {
        "TaskType",
        "Complexity",
        "Harness",
        "Provider",
        "Outcome",
        "QualityGate",
        "RepoSizeCategory",
    }


# -- the TypeScript target -------------------------------------------------------------------

TS_TARGET = next(t for t in TARGETS if t.name == "typescript")
TS_FILES = {"models.ts", "validation.ts", "schemas.ts", "endpoints.ts", "index.ts"}


def test_typescript_generation_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    generate(DEFAULT_SPEC, tmp_path / "one")
    generate(DEFAULT_SPEC, tmp_path / "two")
    one = {p.name: p.read_bytes() for p in (tmp_path / "one" / "typescript").glob("*.ts")}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two" / "typescript").glob("*.ts")}
    assert set(one) == TS_FILES
    assert one == two


def test_every_generated_typescript_file_has_the_header() -> None:
    digest = hashlib.sha256(DEFAULT_SPEC.read_bytes()).hexdigest()
    files = sorted(TS_TARGET.out_dir.glob("*.ts"))
    assert {p.name for p in files} == TS_FILES
    for path in files:
        head = path.read_text().splitlines()[:3]
        assert head[0] == f"// Generated from schema/telemetry-api-v1.yaml (sha256 {digest}).", path
        assert "Do not edit by hand" in head[1]
        assert "python -m codegen generate" in head[2]


def test_hand_edit_of_generated_typescript_is_reported_with_a_diff(tmp_path: Path) -> None:
    copy = tmp_path / "generated"
    shutil.copytree(TS_TARGET.out_dir, copy)
    models = copy / "models.ts"
    models.write_text(models.read_text().replace("PLANNING: 'planning',", "PLANNING: 'plans',"))
    diff = drift(committed={"typescript": copy})
    assert "-  PLANNING: 'plans'," in diff
    assert "+  PLANNING: 'planning'," in diff
    assert "models.ts" in diff


def _ts_copy(tmp_path: Path) -> Path:
    """ts/ without its build output, node_modules linked: a package tsc can check."""
    root = tmp_path / "ts"
    shutil.copytree(
        TS_TARGET.out_dir.parent.parent,
        root,
        ignore=shutil.ignore_patterns("node_modules", "dist", "build-test"),
    )
    (root / "node_modules").symlink_to(TS_TARGET.out_dir.parent.parent / "node_modules")
    return root


def test_typescript_check_catches_generated_code_that_does_not_type_check(tmp_path: Path) -> None:
    from codegen.targets import typescript_check

    root = _ts_copy(tmp_path)
    typescript_check(root)  # the copy as committed type-checks
    schemas = root / "src" / "generated" / "schemas.ts"
    schemas.write_text(schemas.read_text().replace("closed: true", "closed: 'yes'", 1))
    with pytest.raises(subprocess.CalledProcessError):
        typescript_check(root)


def test_schema_bump_shows_in_typescript_interfaces_and_validators(tmp_path: Path) -> None:
    bumped = _bumped_spec(tmp_path)
    generate(bumped, tmp_path / "out")
    out = tmp_path / "out" / "typescript"
    models = (out / "models.ts").read_text()
    schemas = (out / "schemas.ts").read_text()
    assert "  agent_version?: string | null;" in models
    assert "  DEEPSEEK: 'deepseek'," in models
    field = "{ type: { kind: 'string', nullable: true, maxLength: 40 }, required: false }"
    assert f"agent_version: {field}" in schemas
    diff = drift(bumped)
    assert "+  agent_version?: string | null;" in diff
    assert "+  DEEPSEEK: 'deepseek'," in diff


def test_bumped_typescript_type_checks_and_validates_the_new_field(tmp_path: Path) -> None:
    from codegen.targets import typescript_check

    bumped = _bumped_spec(tmp_path)
    root = _ts_copy(tmp_path)
    generate(bumped, tmp_path / "out")
    shutil.rmtree(root / "src" / "generated")
    shutil.copytree(tmp_path / "out" / "typescript", root / "src" / "generated")
    typescript_check(root)
    tsc = TS_TARGET.out_dir.parent.parent / "node_modules" / ".bin" / "tsc"
    subprocess.run([str(tsc), "-p", str(root / "tsconfig.build.json")], check=True)
    script = (
        "import { generated } from './dist/index.js';\n"
        "const base = { task_type: 'testing', model: 'm', provider: 'deepseek',"
        " complexity: 'low' };\n"
        "console.log(JSON.stringify(generated.validatePredictionQuery(base)));\n"
        "const fields = generated.TaskCompletionEventSchema.fields;\n"
        "console.log(JSON.stringify(fields.agent_version));\n"
    )
    (root / "probe.mjs").write_text(script)
    result = subprocess.run(
        ["node", "probe.mjs"], cwd=root, capture_output=True, text=True, check=True
    )
    accepted, field = result.stdout.splitlines()
    assert accepted == "[]"  # the new enum value validates
    assert '"maxLength":40' in field

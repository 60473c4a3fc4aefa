import pytest
from pobench.algorithms import ALGORITHMS
from pobench.contracts.adapter import Adapter
from pobench.core.models import resolve_model
from pobench.core.registry import Registry, RegistryError
from pobench.tasks import TASKS


def test_duplicate_name_is_rejected():
    reg = Registry("widget")
    reg.add("alpha", object)
    with pytest.raises(RegistryError, match="duplicate widget name 'alpha'"):
        reg.add("alpha", dict)


def test_typo_gets_closest_name_and_full_list():
    with pytest.raises(RegistryError) as err:
        ALGORITHMS.get("dpoo")
    message = str(err.value)
    assert "unknown algorithm 'dpoo'; did you mean 'dpo'?" in message
    assert f"(registered: {', '.join(ALGORITHMS.names())})" in message and "ppo" in ALGORITHMS.names()


def test_unknown_task_suggests():
    with pytest.raises(RegistryError, match="did you mean 'sentiment'"):
        TASKS.get("sentimnet")


def test_unknown_model_suggests_and_explains_paths():
    with pytest.raises(RegistryError, match="unknown model 'tinny'; did you mean 'tiny'.*local model folder"):
        resolve_model("tinny")


def test_adapter_registration_checks_base_class_and_setting_names():
    from dataclasses import dataclass

    with pytest.raises(RegistryError, match="not a subclass"):
        ALGORITHMS.register("not-an-adapter")(dict)

    @dataclass(frozen=True)
    class Clashing:
        batch_size: int = 3  # a shared budget setting: adapters may not redefine it

    class Bad(Adapter):
        hparams = Clashing

    with pytest.raises(RegistryError, match="clash with shared settings"):
        ALGORITHMS.register("bad-adapter")(Bad)
    assert "bad-adapter" not in ALGORITHMS


def test_builtins_registered():
    seven = {"ppo", "dpo", "ipo", "kto", "cpo", "orpo", "simpo"}
    assert seven | {"sft", "best-of-n", "grpo", "rloo"} == set(ALGORITHMS.names())
    assert "sentiment" in TASKS.names()


def test_third_party_entries_load_through_entry_points(monkeypatch):
    """A plugin package names a module in the entry-point group; importing it registers the entry."""
    reg = Registry("widget", entry_point_group="pobench.widgets")

    class FakeEntryPoint:
        name, value = "acme", "acme_widgets"

        def load(self):
            reg.add("acme-widget", object)

    monkeypatch.setattr(
        "pobench.core.registry.entry_points", lambda group: [FakeEntryPoint()] if group == "pobench.widgets" else []
    )
    assert reg.names() == ["acme-widget"] and reg.get("acme-widget") is object


def test_broken_plugin_is_named_in_the_error(monkeypatch):
    reg = Registry("widget", entry_point_group="pobench.widgets")

    class Broken:
        name, value = "broken", "broken_mod"

        def load(self):
            raise ImportError("No module named 'broken_mod'")

    monkeypatch.setattr("pobench.core.registry.entry_points", lambda group: [Broken()])
    with pytest.raises(RegistryError, match="could not load widget plugin 'broken' \\(broken_mod\\)"):
        reg.names()

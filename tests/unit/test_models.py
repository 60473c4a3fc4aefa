import pytest
import torch
from pobench.core.models import ModelError, TinyLlama, load_model, load_tokenizer, resolve_model
from pobench.core.tokenizer import train_bpe_tokenizer
from pobench.tasks import TASKS


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tok")
    texts = [e.prompt + e.completion for e in TASKS.get("sentiment")().sft_examples(3000, seed=0)]
    train_bpe_tokenizer(texts, 512, folder)
    return folder


def test_tokenizer_roundtrip_and_is_deterministic(tokenizer_dir, tmp_path):
    tok = load_tokenizer(tokenizer_dir)
    text = "the plot felt wonderful , but not boring ."
    ids = tok(text)["input_ids"]
    assert ids[0] == tok.bos_token_id
    assert tok.decode(ids, skip_special_tokens=True) == text
    assert len(tok) <= 512
    # prompt tokens are a prefix of prompt + completion tokens (completions start with a space)
    assert (
        tok("the plot felt wonderful")["input_ids"][: len(tok("the plot felt")["input_ids"])]
        == tok("the plot felt")["input_ids"]
    )
    texts = [e.prompt + e.completion for e in TASKS.get("sentiment")().sft_examples(3000, seed=0)]
    train_bpe_tokenizer(texts, 512, tmp_path)
    assert (tmp_path / "tokenizer.json").read_bytes() == (tokenizer_dir / "tokenizer.json").read_bytes()


def test_tiny_model_roundtrips_through_save_and_from_pretrained(tokenizer_dir, tmp_path):
    TinyLlama().build_base(tokenizer_dir, tmp_path, seed=0)
    model = load_model(tmp_path).eval()
    assert 0.5e6 < sum(p.numel() for p in model.parameters()) < 1.5e6
    assert model.config.model_type == "llama"
    model.save_pretrained(tmp_path / "again")
    again = load_model(tmp_path / "again").eval()
    ids = torch.tensor([[1, 5, 9, 42]])
    with torch.no_grad():
        assert torch.equal(model(ids).logits, again(ids).logits)


def test_default_tiny_model_has_about_a_million_parameters():
    t = TinyLlama()
    per_layer = 4 * t.hidden_size**2 + 3 * t.hidden_size * t.intermediate_size + 2 * t.hidden_size
    total = t.vocab_size * t.hidden_size + t.num_layers * per_layer + t.hidden_size
    assert 0.9e6 < total < 1.1e6


def test_unreachable_hub_id_says_the_machine_is_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    source = resolve_model("some-org/some-model")
    with pytest.raises(ModelError, match="could not be fetched from the hub: this machine looks offline"):
        load_tokenizer(source.id_or_path)


def test_local_folder_is_a_model(tokenizer_dir):
    assert resolve_model(str(tokenizer_dir)).key_inputs()["source"] == "local"

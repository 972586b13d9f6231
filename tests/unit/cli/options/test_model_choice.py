"""Which model a run sends (cli/options/model_choice.py), outside click: --model and --model-unchecked given
as flags, an alias resolved to its id, and each refusal's one line with its origin, nearest names and fix."""

from __future__ import annotations

import pytest

from stt_cli.api.catalogue import UnknownModel
from stt_cli.cli.options.model_choice import (
    ENV,
    FILE,
    FLAG,
    Origin,
    blame,
    choose,
    empty_value_hint,
    unknown_model,
    unknown_stored_model,
)
from stt_cli.errors import UsageError


def test_an_alias_is_resolved_once_to_the_id_that_is_sent() -> None:
    assert choose(None, None) == ("#g1_whisper-large", Origin(0, "model", "the default"), True)
    choice = choose("whisper-large", None)
    assert choice.model == "#g1_whisper-large" and choice.checked
    assert choice.origin == Origin(FLAG, "model", "--model")
    assert choose(" NOVA-2 ", None).model == "#g1_nova-2-general"


def test_an_unchecked_id_is_sent_as_it_is() -> None:
    choice = choose(None, "vendor/new-model")
    assert choice == ("vendor/new-model", Origin(FLAG, "model_unchecked", "--model-unchecked"), False)


def test_an_unknown_flag_value_names_the_flag_the_nearest_names_and_the_escape_hatch() -> None:
    with pytest.raises(UsageError) as caught:
        choose("nova3", None)
    assert caught.value.exit_code == 2
    assert caught.value.message == "unknown model 'nova3' (from --model); did you mean nova-3, nova-2?"
    assert caught.value.hint is not None
    assert "`stt models` lists them" in caught.value.hint and "--model-unchecked nova3" in caught.value.hint


def test_the_suggestions_and_the_hatch_are_quoted_for_the_shell() -> None:
    with pytest.raises(UsageError) as caught:
        choose("#g1_whisper-larg", None)
    assert "did you mean '#g1_whisper-large'," in caught.value.message
    assert "--model-unchecked '#g1_whisper-larg'" in str(caught.value.hint)


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_model_says_the_shell_took_a_hash_for_a_comment(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        choose(value, None)
    assert caught.value.message == "--model was given an empty value"
    assert caught.value.hint == empty_value_hint("--model")
    assert "quote it (--model '#g1_nova-2-general')" in caught.value.hint
    assert "alias without # (--model nova-2-general)" in caught.value.hint
    with pytest.raises(UsageError, match="--model-unchecked was given an empty value"):
        choose(None, "")


def test_both_flags_at_once_are_refused() -> None:
    with pytest.raises(UsageError, match="--model and --model-unchecked were both given"):
        choose("nova-3", "vendor/new-model")


def test_the_environment_and_the_file_are_named_with_their_own_fix() -> None:
    exc = UnknownModel("whisper-larg", ["whisper-large"])
    env = unknown_model(exc, Origin(ENV, "model", "$STT_MODEL"))
    assert env.message == "unknown model 'whisper-larg' (from $STT_MODEL); did you mean whisper-large?"
    assert "set STT_MODEL to a name of `stt models`, or unset it" in str(env.hint)
    assert "STT_MODEL_UNCHECKED=whisper-larg" in str(env.hint)
    where = 'model = "whisper-larg" in /home/me/config.toml'
    file = unknown_model(exc, Origin(FILE, "model", where, "/home/me/config.toml"))
    assert file.message == f"unknown model 'whisper-larg' ({where}); did you mean whisper-large?"
    assert "`stt config set model whisper-large` or `stt config unset model`" in str(file.hint)
    stored = unknown_stored_model(exc)
    assert stored.message == "unknown model 'whisper-larg'; did you mean whisper-large?"
    assert "stt config set model-unchecked whisper-larg" in str(stored.hint)


def test_a_refused_flag_names_where_the_model_came_from_unless_a_flag_chose_it() -> None:
    refusal = UsageError("--diarize is not an option of openai/gpt-4o-transcribe (OpenAI)", "models that take it")
    assert blame(refusal, Origin(FLAG, "model", "--model")) is refusal
    from_env = blame(refusal, Origin(ENV, "model", "$STT_MODEL"))
    assert from_env.message.endswith("; the model comes from $STT_MODEL") and from_env.hint == refusal.hint

"""Shell completion: the command tree read from the app, written out as bash, zsh, fish and PowerShell scripts.

The scripts are static (a Tab press never starts Python) except for job ids, which they read from the
ledger through `stt __complete ids` (answered before typer is imported). `scripts/generate.py`
writes them to `completions/`, `stt completion SHELL` prints them, and a test fails when the committed
files differ from what the app generates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

SHELLS = ("bash", "zsh", "fish", "powershell")
FILE_NAMES = {"bash": "stt.bash", "zsh": "_stt", "fish": "stt.fish", "powershell": "stt.ps1"}

# What an option's value or a positional argument completes to, beyond a parameter's own choices.
VALUE_KINDS = {
    "model": "model",
    "model_id": "model",
    "output": "file",
    "from_file": "file",
    "write_sample": "file",
    "output_dir": "dir",
    "sources": "file",
    "job_id": "id",
    "ids": "id",
    "key": "key",
}


class OptionSpec(NamedTuple):
    names: tuple[str, ...]  # every spelling: -f, --format; --punctuate, --no-punctuate
    help: str
    value: str | None  # None: a flag; else a kind: none, file, dir, model, id, key, choice
    choices: tuple[str, ...] = ()


class CommandSpec(NamedTuple):
    path: str  # "" for stt itself, "run", "jobs rm"
    summary: str
    options: tuple[OptionSpec, ...]
    args: tuple[str, ...]  # each positional's kind (choice:a,b for choices); a last kind ending in "..." repeats
    subcommands: tuple[str, ...]


def _first_line(text: str | None) -> str:
    line = (text or "").strip().split("\n", 1)[0].strip()
    return re.sub(r"\s+", " ", line).rstrip(".")


def _value_kind(param: Any) -> tuple[str, tuple[str, ...]]:
    choices = tuple(str(c) for c in getattr(param.type, "choices", ()) or ())
    if choices:
        return "choice", choices
    return VALUE_KINDS.get(param.name or "", "none"), ()


def command_specs() -> list[CommandSpec]:
    """Every command of the app, root first, in the order `stt --help` lists them."""
    import typer

    from stt_cli.cli import click_api as click
    from stt_cli.cli.app import COMMANDS, app

    root = typer.main.get_command(app)
    specs: list[CommandSpec] = []

    def walk(command: Any, path: str, summary: str) -> None:
        ctx = click.Context(command, info_name=path or "stt", **command.context_settings)
        options: list[OptionSpec] = []
        args: list[str] = []
        for param in command.get_params(ctx):
            if getattr(param, "hidden", False):
                continue
            if param.param_type_name == "argument":
                kind, choices = _value_kind(param)
                if choices:
                    kind = "choice:" + ",".join(choices)
                args.append(kind + ("..." if param.nargs == -1 or param.multiple else ""))
                continue
            spellings = tuple(param.opts) + tuple(param.secondary_opts)
            value = None if param.is_flag or param.count else _value_kind(param)
            options.append(
                OptionSpec(
                    tuple(sorted(spellings, key=lambda n: (n.startswith("--"), n))),
                    _first_line(param.help),
                    value[0] if value else None,
                    value[1] if value else (),
                )
            )
        children = getattr(command, "commands", None) or {}
        names = list(COMMANDS) if not path else list(children)
        specs.append(CommandSpec(path, summary, tuple(options), tuple(args), tuple(names)))
        for name in names:
            sub = children[name]
            sub_summary = COMMANDS[name][2] if not path else _first_line(sub.short_help or sub.help)
            walk(sub, f"{path} {name}".strip(), sub_summary)

    walk(root, "", _first_line(root.help))
    return specs


def _models() -> tuple[str, ...]:
    from stt_cli.api.catalogue import all_models

    return all_models()


def _keys() -> tuple[str, ...]:
    from stt_cli.core.settings import settings_table

    return tuple(settings_table())


def render(shell: str) -> str:
    """The completion script for one shell."""
    from stt_cli import __version__

    specs = command_specs()
    renderer = {"bash": _bash, "zsh": _zsh, "fish": _fish, "powershell": _powershell}[shell]
    return renderer(specs, __version__)


def job_ids(limit: int = 50) -> str:
    """`stt __complete ids`: the newest job ids of the ledger as `id<TAB>source, status` lines; never fails.

    Only ids that pass the same check as an id from the wire are offered: a completion script inserts them
    into the user's command line, so an id must never hold anything a shell reads as syntax.
    """
    import sqlite3

    from stt_cli.api.wire import is_valid_id, sanitize
    from stt_cli.core.ledger import ledger_path

    try:
        path = ledger_path()
        if not path.exists():
            return ""
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
        try:
            rows = connection.execute(
                "SELECT id, source, status FROM jobs ORDER BY created_at DESC LIMIT ?", (limit,)
            ).fetchall()
        finally:
            connection.close()
    except (sqlite3.Error, OSError):
        return ""
    lines = []
    for job_id, source, status in rows:
        if is_valid_id(job_id):
            name = str(source).rsplit("/", 1)[-1]
            lines.append(f"{job_id}\t{sanitize(f'{name}, {status}', 80)}")
    return "".join(line + "\n" for line in lines)


# --- shared pieces of the renderers ---------------------------------------------------------------------
def _child(specs: list[CommandSpec], parent: CommandSpec, name: str) -> CommandSpec:
    return next(s for s in specs if s.path == f"{parent.path} {name}".strip())


def _var(path: str) -> str:
    return path.replace(" ", "_") or "root"


def _value_options(spec: CommandSpec) -> list[str]:
    return [name for option in spec.options if option.value is not None for name in option.names]


def _value_cases(
    specs: list[CommandSpec], action: Callable[[OptionSpec], str], quote: Callable[[str], str]
) -> list[str]:
    """`case "$where|$prev"` branches, bash or zsh: after an option that takes a value, what completes it."""
    cases = []
    for spec in specs:
        for option in spec.options:
            if option.value is not None:
                patterns = "|".join(quote(f"{spec.path}|{name}") for name in option.names)
                cases.append(f"        {patterns}) {action(option)}; return ;;")
    return cases


HEADER = "stt {version} completion for {shell}; generated by scripts/generate.py from the app: do not edit"


# --- bash -----------------------------------------------------------------------------------------------
def _bash(specs: list[CommandSpec], version: str) -> str:
    def words(items: Any) -> str:
        return " ".join(items)

    tables = []
    for spec in specs:
        var = _var(spec.path)
        tables.append(f"_stt_subs_{var}={_sh_quote(words(spec.subcommands))}")
        tables.append(f"_stt_opts_{var}={_sh_quote(words(n for o in spec.options for n in o.names))}")
        tables.append(f"_stt_vals_{var}={_sh_quote(words(_value_options(spec)))}")
        tables.append(f"_stt_args_{var}={_sh_quote(words(spec.args))}")

    def action(option: OptionSpec) -> str:
        return {
            "choice": f"_stt_match {' '.join(_sh_quote(c) for c in option.choices)}",
            "model": "_stt_models_reply",
            "file": "_stt_files",
            "dir": "_stt_dirs",
            "id": "_stt_ids",
            "key": '_stt_match "${_stt_keys[@]}"',
        }.get(option.value or "", "COMPREPLY=()")

    cases = _value_cases(specs, action, _sh_quote)
    return rf"""# {HEADER.format(version=version, shell="bash")}
# Install: copy to ~/.local/share/bash-completion/completions/stt (or source it from ~/.bashrc).

_stt_models=({" ".join(_sh_quote(m) for m in _models())})
_stt_keys=({" ".join(_sh_quote(k) for k in _keys())})
{chr(10).join(tables)}

# Every candidate is compared with what was typed as plain text: no list is handed to compgen -W, which
# would expand $(...) and globs in it, and no word is ever evaluated.
_stt_match() {{
    local word
    COMPREPLY=()
    for word in "$@"; do
        [[ $word == "$cur"* ]] && COMPREPLY+=("$word")
    done
}}

_stt_words() {{
    local -a words
    read -r -a words <<<"$1"
    _stt_match "${{words[@]}}"
}}

_stt_files() {{
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}}

# Model ids start with "#", which bash reads as a comment: offer them escaped (\#g1_...) unless quoted.
_stt_models_reply() {{
    local typed=${{cur//\\/}} id
    typed=${{typed#[\'\"]}}
    local cur=$typed
    _stt_match "${{_stt_models[@]}}"
    local -a found=("${{COMPREPLY[@]}}")
    [[ ${{COMP_WORDS[COMP_CWORD]}} == [\'\"]* ]] && return
    COMPREPLY=()
    for id in "${{found[@]}}"; do
        COMPREPLY+=("$(printf '%q' "$id")")
    done
}}

_stt_dirs() {{
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -d -- "$cur")
}}

# Job ids come from the ledger through stt itself, which offers only ids of safe characters; bash inserts a
# candidate as it is, so anything else is dropped here too.
_stt_ids() {{
    local -a ids safe=()
    local id
    mapfile -t ids < <(command stt __complete ids 2>/dev/null | cut -f1)
    for id in "${{ids[@]}}"; do
        [[ $id =~ ^[A-Za-z0-9_-]{{1,128}}$ ]] && safe+=("$id")
    done
    _stt_match "${{safe[@]}}"
}}

_stt() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    local where="" var=root npos=0 i word skip=0 subs vals
    # "--format=srt": bash splits at "=", so look past it
    if [[ $cur == "=" ]]; then cur=""; fi
    if [[ $prev == "=" && $COMP_CWORD -ge 2 ]]; then prev=${{COMP_WORDS[COMP_CWORD-2]}}; fi
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${{COMP_WORDS[i]}}
        if ((skip)); then skip=0; continue; fi
        if [[ $word == "=" ]]; then skip=1; continue; fi
        subs=_stt_subs_$var
        vals=_stt_vals_$var
        if [[ $word == -* ]]; then
            [[ ${{COMP_WORDS[i+1]}} != "=" && " ${{!vals}} " == *" $word "* ]] && skip=1
        elif ((npos == 0)) && [[ " ${{!subs}} " == *" $word "* ]]; then
            where="${{where:+$where }}$word"
            var=${{where// /_}}
        else
            npos=$((npos + 1))
        fi
    done
    case "$where|$prev" in
{chr(10).join(cases)}
    esac
    local opts=_stt_opts_$var
    if [[ $cur == -* ]]; then
        _stt_words "${{!opts}}"
        return
    fi
    subs=_stt_subs_$var
    if [[ -n ${{!subs}} ]]; then
        _stt_words "${{!subs}}"
        return
    fi
    local args=_stt_args_$var kinds kind
    read -r -a kinds <<<"${{!args}}"
    if ((${{#kinds[@]}} == 0)); then COMPREPLY=(); return; fi
    if ((npos < ${{#kinds[@]}})); then kind=${{kinds[npos]}}; else kind=${{kinds[${{#kinds[@]}}-1]}}; fi
    case $kind in
        file*) _stt_files ;;
        id*) _stt_ids ;;
        key*) _stt_match "${{_stt_keys[@]}}" ;;
        choice:*) kind=${{kind#choice:}}; _stt_words "${{kind//,/ }}" ;;
        *) COMPREPLY=() ;;
    esac
    if [[ $kind != *... ]] && ((npos >= ${{#kinds[@]}})); then COMPREPLY=(); fi
}}

complete -F _stt stt
"""


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


# --- zsh ------------------------------------------------------------------------------------------------
def _zsh_describe_item(name: str, help_text: str) -> str:
    return _sh_quote(name.replace(":", "\\:") + (":" + help_text if help_text else ""))


def _zsh(specs: list[CommandSpec], version: str) -> str:
    tables = []
    for spec in specs:
        var = _var(spec.path)
        sub_items = [_zsh_describe_item(name, _child(specs, spec, name).summary) for name in spec.subcommands]
        tables.append(f"_stt_subs_{var}=({' '.join(sub_items)})")
        opt_items = [_zsh_describe_item(name, option.help) for option in spec.options for name in option.names]
        tables.append(f"_stt_opts_{var}=({' '.join(opt_items)})")
        tables.append(f"_stt_vals_{var}=({' '.join(_sh_quote(n) for n in _value_options(spec))})")
        tables.append(f"_stt_args_{var}=({' '.join(_sh_quote(a) for a in spec.args)})")

    def action(option: OptionSpec) -> str:
        return {
            "choice": f"compadd -- {' '.join(_sh_quote(c) for c in option.choices)}",
            "model": "compadd -- $_stt_models",
            "file": "_files",
            "dir": "_files -/",
            "id": "_stt_ids",
            "key": "compadd -- $_stt_keys",
        }.get(option.value or "", "_message 'value'")

    cases = _value_cases(specs, action, _zsh_pattern)
    return f"""#compdef stt
# {HEADER.format(version=version, shell="zsh")}
# Install: put this file, named _stt, in a directory of $fpath (before compinit runs).

_stt_models=({" ".join(_sh_quote(m) for m in _models())})
_stt_keys=({" ".join(_sh_quote(k) for k in _keys())})
{chr(10).join(tables)}

_stt_ids() {{
    local -a ids
    local line
    for line in ${{(f)"$(command stt __complete ids 2>/dev/null)"}}; do
        ids+=("${{${{line%%$'\\t'*}}//:/\\\\:}}:${{line#*$'\\t'}}")
    done
    _describe -t jobs 'job id' ids
}}

_stt() {{
    local cur=${{words[CURRENT]}} prev=${{words[CURRENT-1]}}
    # the command path is kept in $where: zsh ties $path to $PATH
    local where="" var=root word kind
    local -i npos=0 i skip=0
    local -a subs vals opts kinds
    for ((i = 2; i < CURRENT; i++)); do
        word=${{words[i]}}
        if ((skip)); then skip=0; continue; fi
        subs=(${{(P)${{:-_stt_subs_$var}}}})
        vals=(${{(P)${{:-_stt_vals_$var}}}})
        if [[ $word == -* ]]; then
            [[ $word != *=* && ${{vals[(Ie)$word]}} -gt 0 ]] && skip=1
        elif ((npos == 0)) && (( ${{subs[(I)${{word}}(|:*)]}} )); then
            where="${{where:+$where }}$word"
            var=${{where// /_}}
        else
            npos+=1
        fi
    done
    if [[ $cur == --*=* ]]; then
        prev=${{cur%%=*}}
        compset -P '*='
        cur=${{cur#*=}}
    fi
    case "$where|$prev" in
{chr(10).join(cases)}
    esac
    if [[ $cur == -* ]]; then
        opts=("${{(@P)${{:-_stt_opts_$var}}}}")
        _describe -t options 'option' opts
        return
    fi
    subs=("${{(@P)${{:-_stt_subs_$var}}}}")
    if (( ${{#subs}} )); then
        _describe -t commands 'command' subs
        return
    fi
    kinds=("${{(@P)${{:-_stt_args_$var}}}}")
    (( ${{#kinds}} )) || return 1
    if (( npos < ${{#kinds}} )); then kind=${{kinds[npos+1]}}; else kind=${{kinds[-1]}}; fi
    [[ $kind != *... ]] && (( npos >= ${{#kinds}} )) && return 1
    case $kind in
        file*) _files ;;
        id*) _stt_ids ;;
        key*) compadd -- $_stt_keys ;;
        choice:*) compadd -- ${{(s:,:)${{kind#choice:}}}} ;;
        *) return 1 ;;
    esac
}}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _stt "$@"
else
    compdef _stt stt
fi
"""


def _zsh_pattern(text: str) -> str:
    return re.sub(r"([|()\[\]*?<>~#^ ])", r"\\\1", text)


# --- fish -----------------------------------------------------------------------------------------------
def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(specs: list[CommandSpec], version: str) -> str:
    lines = []
    for spec in specs:
        var = _var(spec.path)
        lines.append(f"set -g __stt_subs_{var} {' '.join(spec.subcommands)}".rstrip())
        lines.append(f"set -g __stt_vals_{var} {' '.join(_value_options(spec))}".rstrip())
        lines.append(f"set -g __stt_args_{var} {' '.join(spec.args)}".rstrip())
    rules = []
    for spec in specs:
        condition = _fish_quote(f"__stt_at {_fish_path(spec.path)}")
        for sub in spec.subcommands:
            child = _child(specs, spec, sub)
            rules.append(
                f"complete -c stt -n {_fish_quote(f'__stt_at {_fish_path(spec.path)}; and __stt_no_args')} "
                f"-a {sub} -d {_fish_quote(child.summary)}"
            )
        for option in spec.options:
            flags = []
            for name in option.names:
                flags.append(f"-l {name[2:]}" if name.startswith("--") else f"-s {name[1:]}")
            value = {
                None: "",
                "choice": f"-x -a {_fish_quote(' '.join(option.choices))}",
                "model": "-x -a '$__stt_models'",
                "file": "-r -F",
                "dir": "-x -a '(__fish_complete_directories (commandline -ct))'",
                "id": "-x -a '(__stt_ids)'",
                "key": "-x -a '$__stt_keys'",
            }.get(option.value, "-x")
            help_text = f"-d {_fish_quote(option.help)}" if option.help else ""
            rules.append(" ".join(part for part in ("complete -c stt -n", condition, *flags, value, help_text) if part))
        kinds = {kind.rstrip(".") for kind in spec.args}
        for kind in sorted(k for k in kinds if k.startswith("choice:")):
            condition = _fish_quote(f"__stt_arg_is {_fish_path(spec.path)} {kind}")
            rules.append(f"complete -c stt -n {condition} -x -a {_fish_quote(kind[7:].replace(',', ' '))}")
        if "file" in kinds:
            rules.append(f"complete -c stt -n {_fish_quote(f'__stt_arg_is {_fish_path(spec.path)} file')} -F")
        if "id" in kinds:
            rules.append(
                f"complete -c stt -n {_fish_quote(f'__stt_arg_is {_fish_path(spec.path)} id')} -x -a '(__stt_ids)'"
            )
        if "key" in kinds:
            rules.append(
                f"complete -c stt -n {_fish_quote(f'__stt_arg_is {_fish_path(spec.path)} key')} -x -a '$__stt_keys'"
            )
    return f"""# {HEADER.format(version=version, shell="fish")}
# Install: copy to ~/.config/fish/completions/stt.fish

set -g __stt_models {" ".join(_fish_quote(m) for m in _models())}
set -g __stt_keys {" ".join(_keys())}
{chr(10).join(lines)}

# The command path so far ("run", "jobs rm"; "-" for stt itself) and how many arguments follow it.
function __stt_walk
    set -l words (commandline -opc)
    set -e words[1]
    set -l path
    set -l var root
    set -l npos 0
    set -l skip 0
    for word in $words
        if test $skip -eq 1
            set skip 0
            continue
        end
        set -l subs __stt_subs_$var
        set -l vals __stt_vals_$var
        if string match -q -- '-*' $word
            if not string match -q -- '*=*' $word; and contains -- $word $$vals
                set skip 1
            end
        else if test $npos -eq 0; and contains -- $word $$subs
            set -a path $word
            set var (string join _ $path)
        else
            set npos (math $npos + 1)
        end
    end
    if test (count $path) -eq 0
        echo -
    else
        string join _ $path
    end
    echo $npos
end

function __stt_at
    set -l here (__stt_walk)
    test "$here[1]" = "$argv[1]"
end

function __stt_no_args
    set -l here (__stt_walk)
    test "$here[2]" -eq 0
end

# True when the next positional argument of command $argv[1] is of kind $argv[2].
function __stt_arg_is
    set -l here (__stt_walk)
    test "$here[1]" = "$argv[1]"; or return 1
    set -l var $argv[1]
    test "$var" = -; and set var root
    set -l name __stt_args_$var
    set -l kinds $$name
    set -l n (count $kinds)
    test $n -gt 0; or return 1
    set -l index (math $here[2] + 1)
    set -l kind
    if test $index -le $n
        set kind $kinds[$index]
    else
        set kind $kinds[$n]
        string match -q -- '*...' $kind; or return 1
    end
    test (string replace -- '...' '' $kind) = "$argv[2]"
end

function __stt_ids
    command -q stt; and command stt __complete ids 2>/dev/null
end

complete -c stt -f
{chr(10).join(rules)}
"""


def _fish_path(path: str) -> str:
    return path.replace(" ", "_") or "-"


# --- PowerShell -----------------------------------------------------------------------------------------
def _ps_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ps_array(items: Any) -> str:
    return "@(" + ", ".join(_ps_quote(i) for i in items) + ")"


def _powershell(specs: list[CommandSpec], version: str) -> str:
    entries = []
    for spec in specs:
        options = ", ".join(
            f"@({_ps_quote(name)}, {_ps_quote(option.value or 'flag')}, {_ps_array(option.choices)}, "
            f"{_ps_quote(option.help or name)})"
            for option in spec.options
            for name in option.names
        )
        subs = ", ".join(
            f"@({_ps_quote(name)}, {_ps_quote(_child(specs, spec, name).summary)})" for name in spec.subcommands
        )
        entries.append(
            f"    {_ps_quote(spec.path)} = @{{ Subs = @({subs}); Options = @({options}); "
            f"Args = {_ps_array(spec.args)} }}"
        )
    return f"""# {HEADER.format(version=version, shell="PowerShell")}
# Install: add `. /path/to/stt.ps1` to your $PROFILE.

$script:SttModels = {_ps_array(_models())}
$script:SttKeys = {_ps_array(_keys())}
$script:SttTree = @{{
{chr(10).join(entries)}
}}

# Option names are case-sensitive (-v is --verbose, -V is --version): compare with -ceq, never a hashtable key.
function script:Find-SttOption($node, $name) {{
    foreach ($option in $node.Options) {{ if ($option[0] -ceq $name) {{ return ,$option }} }}
    return $null
}}

Register-ArgumentCompleter -Native -CommandName stt -ScriptBlock {{
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements | Where-Object {{ $_.Extent.EndOffset -le $cursorPosition }} |
        ForEach-Object {{ $_.Extent.Text }})
    if ($wordToComplete -ne '' -and $words.Count -gt 0 -and $words[-1] -eq $wordToComplete) {{
        $words = @($words | Select-Object -First ($words.Count - 1))
    }}
    $path = ''
    $npos = 0
    $skip = $false
    foreach ($word in ($words | Select-Object -Skip 1)) {{
        if ($skip) {{ $skip = $false; continue }}
        $node = $script:SttTree[$path]
        if ($word.StartsWith('-')) {{
            $option = Find-SttOption $node $word
            if ($option -and $option[1] -ne 'flag' -and -not $word.Contains('=')) {{ $skip = $true }}
        }} elseif ($npos -eq 0 -and ($node.Subs | Where-Object {{ $_[0] -ceq $word }})) {{
            $path = ($path + ' ' + $word).Trim()
        }} else {{
            $npos++
        }}
    }}
    $node = $script:SttTree[$path]
    $previous = if ($words.Count -gt 1) {{ $words[-1] }} else {{ '' }}
    $option = if ($previous.StartsWith('-')) {{ Find-SttOption $node $previous }} else {{ $null }}
    $kind = $null
    $choices = @()
    if ($option -and $option[1] -ne 'flag') {{
        $kind = $option[1]
        $choices = $option[2]
    }} elseif ($wordToComplete.StartsWith('-')) {{
        foreach ($option in $node.Options) {{
            if ($option[0].StartsWith($wordToComplete, [StringComparison]::Ordinal)) {{
                $name = $option[0]
                [System.Management.Automation.CompletionResult]::new($name, $name, 'ParameterName', $option[3])
            }}
        }}
        return
    }} elseif ($node.Subs.Count -gt 0) {{
        foreach ($sub in $node.Subs) {{
            if ($sub[0].StartsWith($wordToComplete, [StringComparison]::Ordinal)) {{
                [System.Management.Automation.CompletionResult]::new($sub[0], $sub[0], 'Command', $sub[1])
            }}
        }}
        return
    }} elseif ($node.Args.Count -gt 0) {{
        if ($npos -lt $node.Args.Count) {{ $kind = $node.Args[$npos] }}
        elseif ($node.Args[-1].EndsWith('...')) {{ $kind = $node.Args[-1] }}
        if ($kind) {{ $kind = $kind.Replace('...', '') }}
    }}
    if ($kind -and $kind.StartsWith('choice:')) {{
        $choices = $kind.Substring(7).Split(',')
        $kind = 'choice'
    }}
    $values = switch ($kind) {{
        'choice' {{ $choices }}
        'model' {{ $script:SttModels }}
        'key' {{ $script:SttKeys }}
        'id' {{
            # ids of safe characters only: a candidate is inserted as it is, and $(...) would run
            & stt __complete ids 2>$null | ForEach-Object {{ ($_ -split "`t")[0] }} |
                Where-Object {{ $_ -cmatch '^[A-Za-z0-9_-]{{1,128}}$' }}
        }}
        default {{ $null }}
    }}
    if ($null -eq $values) {{ return }}  # files and free text: PowerShell's own completion
    foreach ($value in $values) {{
        if ($value.StartsWith($wordToComplete, [StringComparison]::Ordinal)) {{
            [System.Management.Automation.CompletionResult]::new($value, $value, 'ParameterValue', $value)
        }}
    }}
}}
"""

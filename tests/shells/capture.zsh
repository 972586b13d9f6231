# Loaded by tests/e2e/test_shells.py into an interactive zsh on a pseudo-terminal: Tab runs zsh's real
# completion system with completions/_stt, and every candidate it offers is appended to $STT_CAPTURE,
# followed by a "--done--" line.
bindkey -e
fpath=("$STT_COMPLETIONS" $fpath)
autoload -U compinit && compinit -u -D
zstyle ':completion:*' list-prompt ''
zstyle ':completion:*' menu no
LISTMAX=0

compadd() {
    # _describe and friends ask compadd for matches into arrays (-O, -A, -D): let those through untouched
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
        builtin compadd "$@"
        return $?
    fi
    local -a __hits
    builtin compadd -A __hits "$@"
    (( $#__hits )) && print -rl -- $__hits >> $STT_CAPTURE
    builtin compadd "$@"
}

_stt_test_tab() {
    zle complete-word
    print -r -- "--done--" >> $STT_CAPTURE
}
zle -N _stt_test_tab
bindkey '^I' _stt_test_tab
print -r -- "--ready--" >> $STT_CAPTURE

# sharebench.bash: bash completion for sharebench (installed by `make install`
# as share/bash-completion/completions/sharebench). Commands, each command's
# options (read from its --help, so they cannot drift), KEY= for run, sweep
# and params (from `sharebench keys --names`), task names, shipped sweeps by
# name, and file names where an option takes a file.

_sharebench()
{
    local cur prev cmd words cword
    _init_completion -n = 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; }
    local sb=${COMP_WORDS[0]}
    if [ "$COMP_CWORD" -eq 1 ]; then
        local cmds
        cmds=$("$sb" --help 2>/dev/null | awk '/^commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}')
        COMPREPLY=($(compgen -W "$cmds --help --version help" -- "$cur"))
        return
    fi
    cmd=${COMP_WORDS[1]}
    case $prev in
        --task) COMPREPLY=($(compgen -W "$("$sb" tasks --names 2>/dev/null)" -- "$cur")); return ;;
        --preset) COMPREPLY=($(compgen -W "tiny small bert-base gpt2-small albert-base albert-large albert-xlarge albert-xxlarge" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "csv json" -- "$cur")); return ;;
        --status) COMPREPLY=($(compgen -W "finished failed diverged" -- "$cur")); return ;;
        --shape) COMPREPLY=($(compgen -W "S1 S2 S3" -- "$cur")); return ;;
        --out|--plots) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --db|--config|--init-from|--init-optim|--save|--save-optim|--baseline|--claims|--markdown|--json|--junit|-o|--output)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($("$sb" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u | compgen -W "$(cat)" -- "$cur"))
        return
    fi
    case $cmd in
        run|sweep|params)
            if [[ $cur == *=* ]]; then return; fi
            local keys
            keys=$("$sb" keys --names 2>/dev/null | sed 's/$/=/')
            COMPREPLY=($(compgen -W "$keys" -- "$cur"))
            compopt -o nospace 2>/dev/null
            if [ "$cmd" = sweep ] && [ "$COMP_CWORD" -eq 2 ]; then
                # the shipped sweeps by name, from the data directory --version names
                local data shipped
                data=$("$sb" --version 2>/dev/null | sed -n 's/^data: //p')
                shipped=$(ls "$data"/sweeps/*.ini "$data"/bench/sweeps/*.ini 2>/dev/null | sed 's|.*/||; s|\.ini$||')
                COMPREPLY+=($(compgen -W "$shipped" -- "$cur") $(compgen -f -X '!*.ini' -- "$cur"))
            fi ;;
        keys) COMPREPLY=($(compgen -W "$("$sb" keys --names 2>/dev/null)" -- "$cur")) ;;
        help) COMPREPLY=($(compgen -W "$("$sb" --help 2>/dev/null | awk '/^commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}')" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}
complete -F _sharebench sharebench

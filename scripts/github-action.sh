#!/usr/bin/env bash
# The step of the pgward GitHub Action (action.yml, docs/github-action.md):
# runs pgward plan, appends its Markdown report to the job summary, turns
# pgward's diagnostics into annotations, writes the step's outputs, and
# exits 1 when the exit status of pgward is one the user fails on.
#
# It reads what GitHub gives a step (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT,
# GITHUB_WORKSPACE, RUNNER_TEMP) and the action's inputs as INPUT_* (set by
# action.yml). PGWARD is the pgward binary. The database URL arrives in
# INPUT_DATABASE_URL and reaches pgward as DATABASE_URL, never on a command
# line; when it is empty, a DATABASE_URL of the job stays as it is.
#
# pgward's diagnostics on stderr have one form per line (docs/cli.md):
#   FILE:LINE:COL: error: SUMMARY; DETAIL
#   error: MESSAGE                          (no place: a connection, a flag)
# and a plan's Markdown report opens with "**N to grant, M to revoke, K to
# alter.**" (render/testdata/*/want.md).
set -uo pipefail

pgward=${PGWARD:-pgward}
workspace=${GITHUB_WORKSPACE:-$PWD}
tmp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
fail_on=${INPUT_FAIL_ON:-error}
case $fail_on in
error | changes | never) ;;
*)
	echo "::error title=pgward::fail-on is error, changes or never, not \"$fail_on\""
	exit 1
	;;
esac

if [[ -n ${INPUT_DATABASE_URL:-} ]]; then
	export DATABASE_URL=$INPUT_DATABASE_URL
fi
args=(plan --policy "${INPUT_POLICY:-.}" --format markdown)
if [[ -n ${INPUT_SCHEMA:-} ]]; then
	args+=(--schema "$INPUT_SCHEMA")
	[[ -n ${INPUT_OWNER:-} ]] && args+=(--owner "$INPUT_OWNER")
fi
# Extra arguments, split at white space (no quoting): --var a=b --strict.
if [[ -n ${INPUT_ARGS:-} ]]; then
	read -r -a extra <<<"$INPUT_ARGS"
	args+=("${extra[@]}")
fi

report=$tmp/pgward-report.md
log=$tmp/pgward-stderr.txt
(cd "$workspace" && "$pgward" "${args[@]}") >"$report" 2>"$log"
code=$?
# The log stays readable in the step's output.
cat "$log" >&2

# escape_data and escape_property encode what a workflow command reserves.
escape_data() {
	local s=${1//%/%25}
	s=${s//$'\r'/%0D}
	printf '%s' "${s//$'\n'/%0A}"
}
escape_property() {
	local s
	s=$(escape_data "$1")
	s=${s//:/%3A}
	printf '%s' "${s//,/%2C}"
}

errors=0 warnings=0
place='^(.+):([0-9]+):([0-9]+): (error|warning): (.*)$'
bare='^(error|warning): (.*)$'
while IFS= read -r line; do
	if [[ $line =~ $place ]]; then
		file=${BASH_REMATCH[1]} level=${BASH_REMATCH[4]} msg=${BASH_REMATCH[5]}
		file=${file#"$workspace"/}
		summary=${msg%%; *}
		echo "::$level file=$(escape_property "$file"),line=${BASH_REMATCH[2]},col=${BASH_REMATCH[3]},title=$(escape_property "$summary")::$(escape_data "$msg")"
	elif [[ $line =~ $bare ]]; then
		level=${BASH_REMATCH[1]} msg=${BASH_REMATCH[2]}
		echo "::$level title=pgward::$(escape_data "$msg")"
	else
		continue
	fi
	if [[ $level == error ]]; then
		errors=$((errors + 1))
	else
		warnings=$((warnings + 1))
	fi
done <"$log"

result=error
case $code in
0) result=no-changes ;;
2) result=changes ;;
esac

summary_file=${GITHUB_STEP_SUMMARY:-/dev/stdout}
if [[ -s $report ]]; then
	cat "$report" >>"$summary_file"
elif [[ $code -eq 1 ]]; then
	{
		echo "### pgward plan failed"
		echo
		echo '```'
		cat "$log"
		echo '```'
	} >>"$summary_file"
fi

grant='' revoke='' alter=''
counts='^\*\*([0-9]+) to grant, ([0-9]+) to revoke, ([0-9]+) to alter\.\*\*'
while IFS= read -r line; do
	if [[ $line =~ $counts ]]; then
		grant=${BASH_REMATCH[1]} revoke=${BASH_REMATCH[2]} alter=${BASH_REMATCH[3]}
		break
	fi
done <"$report"
# Exit status 0: nothing to change, whatever the report's wording.
if [[ $code -eq 0 ]]; then
	grant=${grant:-0} revoke=${revoke:-0} alter=${alter:-0}
fi

{
	echo "exit-code=$code"
	echo "result=$result"
	echo "errors=$errors"
	echo "warnings=$warnings"
	echo "grant=$grant"
	echo "revoke=$revoke"
	echo "alter=$alter"
} >>"${GITHUB_OUTPUT:-/dev/null}"

fail=false
case $fail_on:$code in
*:1 | changes:2) fail=true ;;
esac
if [[ $fail_on == never ]]; then
	fail=false
fi
if $fail; then
	echo "::error title=pgward::pgward plan exited $code ($result); the action fails on fail-on: $fail_on"
	exit 1
fi
exit 0

package main

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/pipeline"
)

// The error contract (docs/cli.md): a command that fails writes nothing to
// stdout that reads as a result. Its errors go to stderr, and a report in
// JSON or Markdown carries them instead of a plan (pipeline.Output's
// WriteFailure). package pipeline writes the failures of the runs it does;
// the commands write those that come first (the policy, the connection
// string, the fleet's targets) with fail.

// diagError ends a command whose input has error diagnostics, which have
// been written to stderr: exit status 1, nothing more to print.
type diagError struct{ diags hcl.Diagnostics }

func (d diagError) Error() string { return "the policy has errors (see its diagnostics)" }

// fail writes the failure err to the report out (of command) and returns
// err. Diagnostics in err (diagError) are written as such; any other error
// as an error of its own.
func fail(out pipeline.Output, command string, err error) error {
	var de diagError
	if errors.As(err, &de) {
		return orWriteError(err, out.WriteFailure(command, de.diags, nil))
	}
	return orWriteError(err, out.WriteFailure(command, nil, err))
}

// orWriteError is err, joined with werr when writing the failure failed too.
func orWriteError(err, werr error) error {
	if werr == nil {
		return err
	}
	return errors.Join(err, werr)
}

// didYouMean is ` (did you mean "web"?)` for an error message, or "" when
// there is no suggestion.
func didYouMean(suggestion string) string {
	if suggestion == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", suggestion)
}

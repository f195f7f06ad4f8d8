package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		isTTY:  isTerminal,
	})
	stop()
	os.Exit(code)
}

// env is everything the CLI takes from the process, so tests can supply
// their own.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	isTTY  func(any) bool
}

// isTerminal reports whether f is a terminal (colour, the apply prompt).
// A character device is not enough: /dev/null is one, and it is the
// standard input of cron jobs, Kubernetes pods and docker run without -i.
// A closed descriptor is no terminal either.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok || file == nil {
		return false
	}
	return term.IsTerminal(int(file.Fd()))
}

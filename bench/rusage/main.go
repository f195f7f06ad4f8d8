// Command rusage runs a command and prints, on one line, its wall-clock
// time in nanoseconds, its peak RSS in KiB (rusage maxrss) and its exit
// status. The command's standard output is discarded and its standard
// error passed on. It exits 1 only when the command could not be started.
//
// The bench runs every timed process through it rather than as its own
// child: Linux carries a process's peak RSS across exec, and Go starts
// children with vfork (sharing the parent's memory until exec), so a
// direct child of the bench would report at least the bench's own peak.
// This program stays small, so what it passes on (at most its own couple
// of MiB) is below anything measured.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rusage command [argument ...]")
		os.Exit(1)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintf(os.Stderr, "rusage: %v\n", err)
		os.Exit(1)
	}
	var rssKB int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rssKB = int64(ru.Maxrss) // KiB on Linux
	}
	fmt.Printf("%d %d %d\n", wall.Nanoseconds(), rssKB, cmd.ProcessState.ExitCode())
}

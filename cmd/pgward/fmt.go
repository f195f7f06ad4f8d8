package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/policy"
)

func newFmtCmd(e env) *cobra.Command {
	var (
		policyPath string
		check      bool
	)
	cmd := &cobra.Command{
		Use:   "fmt",
		Short: "Rewrite the policy files in canonical form",
		Long: "fmt rewrites every *.hcl policy file in canonical form and lists the files it changed.\n" +
			"YAML policy files are left as they are. With --check it writes nothing, lists the files that are\n" +
			"not in canonical form and exits 1 if there are any. A file with a syntax error stops fmt before\n" +
			"it writes anything. Exit status: 0 formatted (or, with --check, nothing to format), 1 otherwise.",
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&policyPath, "policy", ".", "policy file, or directory of *.hcl files")
	f.BoolVar(&check, "check", false, "write nothing; list the files that are not formatted and exit 1 if any")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		out := cmd.OutOrStdout()
		files, err := hclFiles(policyPath)
		if err != nil {
			return err
		}
		if len(files) == 0 {
			fmt.Fprintf(e.stderr, "%s holds no HCL file: pgward fmt formats HCL policy files and leaves YAML ones as they are.\n", policyPath)
			return nil
		}
		type result struct {
			file   policyFile
			mode   os.FileMode
			output []byte
		}
		var (
			changed []result
			diags   hcl.Diagnostics
		)
		for _, pf := range files {
			st, err := os.Stat(pf.path)
			if err != nil {
				return fmt.Errorf("read %s: %w", pf.display, err)
			}
			src, err := os.ReadFile(pf.path)
			if err != nil {
				return fmt.Errorf("read %s: %w", pf.display, err)
			}
			formatted, d := policy.FormatFile(src, pf.display)
			diags = append(diags, d...)
			if !d.HasErrors() && !bytes.Equal(src, formatted) {
				changed = append(changed, result{file: pf, mode: st.Mode().Perm(), output: formatted})
			}
		}
		if diags.HasErrors() {
			fmt.Fprint(e.stderr, policy.FormatDiagnostics(diags))
			return exitCode(exitError)
		}
		for _, r := range changed {
			if !check {
				if err := os.WriteFile(r.file.path, r.output, r.mode); err != nil {
					return fmt.Errorf("write %s: %w", r.file.display, err)
				}
			}
			fmt.Fprintln(out, r.file.display)
		}
		if check && len(changed) > 0 {
			fmt.Fprintf(e.stderr, "%d %s not in canonical form; run pgward fmt to rewrite %s.\n",
				len(changed), textout.Plural(len(changed), "file is", "files are"), textout.Plural(len(changed), "it", "them"))
			return exitCode(exitError)
		}
		return nil
	}
	return cmd
}

// policyFile is one file fmt reads: where it is, and the name messages
// give it (the path as the user wrote it, joined with the file name, as
// the loader names files).
type policyFile struct {
	path    string
	display string
}

// hclFiles lists the HCL files of a policy path as the loader reads them:
// the file itself, or the *.hcl files of a directory in name order, not
// recursively, dot-files skipped. YAML files are not listed; a directory
// with neither HCL nor YAML files is an error.
func hclFiles(path string) ([]policyFile, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	if !st.IsDir() {
		if isYAML(path) {
			return nil, nil
		}
		return []policyFile{{path: path, display: path}}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read policy directory %s: %w", path, err)
	}
	var files []policyFile
	yaml := false
	for _, ent := range entries {
		n := ent.Name()
		if ent.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		switch {
		case strings.HasSuffix(n, ".hcl"):
			files = append(files, policyFile{path: filepath.Join(path, n), display: joinPolicyPath(path, n)})
		case isYAML(n):
			yaml = true
		}
	}
	if len(files) == 0 && !yaml {
		return nil, fmt.Errorf("directory %s holds no *.hcl file; a policy is one .hcl file or a directory of them", path)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, nil
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// joinPolicyPath joins a directory as the user wrote it with a file name,
// without cleaning it, as the loader's diagnostics do.
func joinPolicyPath(dir, file string) string {
	switch {
	case dir == "" || dir == ".":
		return file
	case strings.HasSuffix(dir, string(filepath.Separator)):
		return dir + file
	}
	return dir + string(filepath.Separator) + file
}

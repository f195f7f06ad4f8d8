package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// k8sContainer and the types below are the parts of Kubernetes manifests
// the test looks at.
type k8sContainer struct {
	Name         string   `yaml:"name"`
	Image        string   `yaml:"image"`
	Command      []string `yaml:"command"`
	Args         []string `yaml:"args"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
}

type k8sPodSpec struct {
	RestartPolicy   string         `yaml:"restartPolicy"`
	InitContainers  []k8sContainer `yaml:"initContainers"`
	Containers      []k8sContainer `yaml:"containers"`
	SecurityContext struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	Volumes []struct {
		Name string `yaml:"name"`
	} `yaml:"volumes"`
}

type k8sJobSpec struct {
	CompletionMode       string `yaml:"completionMode"`
	Completions          int    `yaml:"completions"`
	Parallelism          int    `yaml:"parallelism"`
	BackoffLimit         *int   `yaml:"backoffLimit"`
	BackoffLimitPerIndex *int   `yaml:"backoffLimitPerIndex"`
	PodFailurePolicy     struct {
		Rules []struct {
			Action      string `yaml:"action"`
			OnExitCodes struct {
				Values []int `yaml:"values"`
			} `yaml:"onExitCodes"`
		} `yaml:"rules"`
	} `yaml:"podFailurePolicy"`
	Template struct {
		Spec k8sPodSpec `yaml:"spec"`
	} `yaml:"template"`
}

type k8sManifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		k8sJobSpec  `yaml:",inline"`
		Schedule    string `yaml:"schedule"`
		JobTemplate struct {
			Spec k8sJobSpec `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

// job returns the Job spec of a Job or CronJob.
func (m k8sManifest) job() k8sJobSpec {
	if m.Kind == "CronJob" {
		return m.Spec.JobTemplate.Spec
	}
	return m.Spec.k8sJobSpec
}

// pod returns the pod spec of a Job or CronJob.
func (m k8sManifest) pod() k8sPodSpec { return m.job().Template.Spec }

// pgwardArgs returns the arguments pgward runs with in c, and whether c
// runs pgward: its command is pgward, or it has none and its image is
// pgward's (whose entrypoint is pgward).
func (c k8sContainer) pgwardArgs() ([]string, bool) {
	switch {
	case len(c.Command) > 0 && path.Base(c.Command[0]) == "pgward":
		return append(slices.Clone(c.Command[1:]), c.Args...), true
	case len(c.Command) == 0 && strings.Contains(c.Image, "pgward/pgward"):
		return c.Args, true
	}
	return nil, false
}

// flagValue returns the value of --name in args.
func flagValue(args []string, name string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// checkSharded checks a sharded fleet run in an Indexed Job: --shard
// job/COUNT (or $(JOB_COMPLETION_INDEX)/COUNT) with COUNT the Job's
// completions, which pgward accepts in every pod of the Job, over a fleet.
func checkSharded(t *testing.T, job k8sJobSpec, args []string) {
	t.Helper()
	if job.CompletionMode != "Indexed" || job.Completions < 2 || job.Parallelism < 1 {
		t.Errorf("completionMode %q, completions %d, parallelism %d: want an Indexed Job of 2 pods or more", job.CompletionMode, job.Completions, job.Parallelism)
	}
	if flagValue(args, "--targets") == "" && !slices.Contains(args, "--all-databases") {
		t.Errorf("no fleet to shard (--targets or --all-databases): %q", args)
	}
	shard := flagValue(args, "--shard")
	count := strings.TrimPrefix(strings.TrimPrefix(shard, "job/"), "$(JOB_COMPLETION_INDEX)/")
	if count != fmt.Sprint(job.Completions) {
		t.Errorf("--shard %q: COUNT must be the Job's completions, %d, or some databases never run", shard, job.Completions)
	}
	for i := range job.Completions {
		index := fmt.Sprint(i)
		fl := fleetFlags{shard: strings.ReplaceAll(shard, "$(JOB_COMPLETION_INDEX)", index)}
		s, err := fl.parseShard(env{getenv: func(k string) string { return map[string]string{"JOB_COMPLETION_INDEX": index}[k] }})
		if err != nil || s.Index != i || s.Count != job.Completions {
			t.Errorf("pod %d: --shard %s gives shard %v, %v", i, shard, s, err)
		}
	}
}

// TestExample_kubernetes: the migration Job runs the migrations (an init
// container) and then pgward apply --auto-approve; the CronJob runs pgward
// audit with a machine-readable format; the Indexed Job and CronJob split
// a fleet apply and audit into shards the same way. Every pgward command
// exists with its flags, every path it reads or writes is a mounted
// volume, every mount names a volume of the pod, and the pods run as
// non-root.
func TestExample_kubernetes(t *testing.T) {
	tests := []struct {
		file, kind, subcommand string
		check                  func(t *testing.T, m k8sManifest, args []string)
	}{
		{exampleJob, "Job", "apply", func(t *testing.T, m k8sManifest, args []string) {
			pod := m.pod()
			if !slices.Contains(args, "--auto-approve") {
				t.Errorf("apply without --auto-approve: %q", args)
			}
			if len(pod.InitContainers) == 0 {
				t.Errorf("no init container runs the migrations before apply")
			}
		}},
		{exampleCronJob, "CronJob", "audit", func(t *testing.T, m k8sManifest, args []string) {
			if f := flagValue(args, "--format"); f != "prometheus" && f != "json" {
				t.Errorf("audit --format %q, want prometheus or json", f)
			}
		}},
		{exampleShardedJob, "Job", "apply", func(t *testing.T, m k8sManifest, args []string) {
			checkSharded(t, m.job(), args)
			if !slices.Contains(args, "--auto-approve") {
				t.Errorf("apply without --auto-approve: %q", args)
			}
			// A shard that runs before the cluster owner's fails the
			// databases that need its roles: its retry converges them.
			if b := m.job().BackoffLimitPerIndex; b == nil || *b < 1 {
				t.Errorf("no backoffLimitPerIndex: a shard that ran before the cluster owner's is never retried")
			}
		}},
		{exampleShardedCronJob, "CronJob", "audit", func(t *testing.T, m k8sManifest, args []string) {
			checkSharded(t, m.job(), args)
			if f := flagValue(args, "--format"); f != "prometheus" {
				t.Errorf("audit --format %q, want prometheus", f)
			}
			// One file per shard, or the pods overwrite each other's.
			if out := flagValue(args, "--output"); !strings.Contains(filepath.Base(out), "$(JOB_COMPLETION_INDEX)") {
				t.Errorf("--output %s is the same file for every shard", out)
			}
			drift := false
			for _, r := range m.job().PodFailurePolicy.Rules {
				drift = drift || r.Action == "FailIndex" && slices.Contains(r.OnExitCodes.Values, 2)
			}
			if !drift {
				t.Errorf("drift (exit 2) is retried: want a FailIndex rule for exit code 2")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			docs := decodeYAMLDocs[k8sManifest](t, tt.file)
			if len(docs) != 1 {
				t.Fatalf("want one manifest, got %d", len(docs))
			}
			m := docs[0]
			if m.APIVersion != "batch/v1" || m.Kind != tt.kind || m.Metadata.Name == "" {
				t.Errorf("apiVersion %q kind %q name %q, want batch/v1 %s", m.APIVersion, m.Kind, m.Metadata.Name, tt.kind)
			}
			if m.Kind == "CronJob" && m.Spec.Schedule == "" {
				t.Errorf("a CronJob without a schedule")
			}
			pod := m.pod()
			if pod.RestartPolicy != "Never" && pod.RestartPolicy != "OnFailure" {
				t.Errorf("restartPolicy %q: a Job's pod needs Never or OnFailure", pod.RestartPolicy)
			}
			if !pod.SecurityContext.RunAsNonRoot {
				t.Errorf("the pod does not require runAsNonRoot")
			}
			volumes := map[string]bool{}
			for _, v := range pod.Volumes {
				volumes[v.Name] = true
			}
			var found int
			for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
				mounts := map[string]bool{}
				for _, vm := range c.VolumeMounts {
					if !volumes[vm.Name] {
						t.Errorf("container %s mounts volume %q, which the pod does not declare", c.Name, vm.Name)
					}
					mounts[vm.MountPath] = true
				}
				for _, e := range c.Env {
					if e.Name == "DATABASE_URL" && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
						t.Errorf("container %s: DATABASE_URL does not come from a Secret", c.Name)
					}
				}
				args, ok := c.pgwardArgs()
				if !ok {
					continue
				}
				found++
				if err := checkPgwardArgs(args); err != nil {
					t.Errorf("container %s: pgward %s: %v", c.Name, strings.Join(args, " "), err)
					continue
				}
				if args[0] != tt.subcommand {
					t.Errorf("container %s runs pgward %s, want %s", c.Name, args[0], tt.subcommand)
				}
				for _, flag := range []string{"--policy", "--output"} {
					if p := flagValue(args, flag); p != "" && !mounts[p] && !mounts[filepath.Dir(p)] {
						t.Errorf("container %s: %s %s is not on a mounted volume", c.Name, flag, p)
					}
				}
				tt.check(t, m, args)
			}
			if found != 1 {
				t.Errorf("want one container running pgward, got %d", found)
			}
		})
	}
}

// dockerStage is one FROM … of a Dockerfile with its instructions.
type dockerStage struct {
	image, name  string
	instructions [][2]string // keyword (upper case), rest of the line
}

func parseDockerfile(r io.Reader) ([]dockerStage, error) {
	var stages []dockerStage
	var line strings.Builder
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if cont, ok := strings.CutSuffix(text, "\\"); ok {
			line.WriteString(cont + " ")
			continue
		}
		line.WriteString(text)
		kw, rest, _ := strings.Cut(line.String(), " ")
		line.Reset()
		kw = strings.ToUpper(kw)
		rest = strings.TrimSpace(rest)
		if kw == "FROM" {
			f := strings.Fields(rest)
			st := dockerStage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if kw == "ARG" {
				continue
			}
			return nil, fmt.Errorf("%s before FROM", kw)
		}
		s := &stages[len(stages)-1]
		s.instructions = append(s.instructions, [2]string{kw, rest})
	}
	return stages, sc.Err()
}

// TestExample_dockerfile: the Dockerfile builds ./cmd/pgward as a static
// binary (CGO_ENABLED=0) in a build stage, copies only that binary into a
// distroless-style final stage, runs it as a non-root user and makes it
// the entrypoint. Building the image needs Docker, which the test does not.
func TestExample_dockerfile(t *testing.T) {
	b, err := os.ReadFile(exampleDocker)
	if err != nil {
		t.Fatal(err)
	}
	stages, err := parseDockerfile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stages", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	var out string
	for _, in := range build.instructions {
		if in[0] != "RUN" || !strings.Contains(in[1], "go build") {
			continue
		}
		if !strings.Contains(in[1], "CGO_ENABLED=0") || !strings.HasSuffix(strings.TrimSpace(in[1]), " ./cmd/pgward") {
			t.Errorf("the build does not make a static ./cmd/pgward: %s", in[1])
		}
		out = flagValue(strings.Fields(in[1]), "-o")
	}
	if out == "" || build.name == "" {
		t.Fatalf("the build stage (named %q) has no go build -o of ./cmd/pgward", build.name)
	}
	if !strings.Contains(final.image, "distroless") && !strings.HasPrefix(final.image, "scratch") {
		t.Errorf("final image %s is not distroless-style", final.image)
	}
	var binary, user, entrypoint string
	for _, in := range final.instructions {
		switch in[0] {
		case "COPY":
			f := strings.Fields(in[1])
			if len(f) == 3 && f[0] == "--from="+build.name && f[1] == out {
				binary = f[2]
			} else {
				t.Errorf("the final stage copies more than the binary: COPY %s", in[1])
			}
		case "USER":
			user = in[1]
		case "ENTRYPOINT":
			entrypoint = in[1]
		case "RUN":
			t.Errorf("RUN in the final stage (a distroless image has no shell): %s", in[1])
		}
	}
	name, _, _ := strings.Cut(user, ":")
	if user == "" || name == "root" || name == "0" {
		t.Errorf("USER %q: the final stage must run as a non-root user", user)
	}
	if binary == "" || entrypoint != fmt.Sprintf("[%q]", binary) {
		t.Errorf("ENTRYPOINT %s, want the copied binary %s", entrypoint, binary)
	}
}

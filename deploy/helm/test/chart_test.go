package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// chartDir is the chart under test.
const chartDir = "../pgward"

// The release the tests render: helm template shop ../pgward -n apps.
const (
	release   = "shop"
	namespace = "apps"
)

// valuesFor reads the chart's ci/<name>-values.yaml (the combinations
// docs/helm.md documents) and applies sets, each as helm's --set would.
func valuesFor(t *testing.T, name string, sets ...string) map[string]any {
	t.Helper()
	vals := map[string]any{}
	if name != "" {
		data, err := os.ReadFile(filepath.Join(chartDir, "ci", name+"-values.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if vals, err = loader.LoadValues(strings.NewReader(string(data))); err != nil {
			t.Fatalf("ci/%s-values.yaml: %v", name, err)
		}
	}
	for _, s := range sets {
		if err := strvals.ParseInto(s, vals); err != nil {
			t.Fatalf("--set %s: %v", s, err)
		}
	}
	return vals
}

// render does what helm template does before printing: load the chart,
// merge the values into its defaults, validate them against
// values.schema.json, and execute the templates. It returns the manifests
// (one YAML document each) in file order.
func render(t *testing.T, vals map[string]any) ([]string, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := chartutil.ToRenderValuesWithSchemaValidation(ch, vals,
		common.ReleaseOptions{Name: release, Namespace: namespace, Revision: 1, IsInstall: true}, nil, false)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	var docs []string
	for _, n := range names {
		if !strings.HasSuffix(n, ".yaml") {
			continue // NOTES.txt, _helpers.tpl
		}
		for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(files[n], -1) {
			if strings.TrimSpace(d) != "" {
				docs = append(docs, d)
			}
		}
	}
	return docs, nil
}

// objects are the rendered manifests, decoded into the API types.
type objects struct {
	jobs       []batchv1.Job
	cronJobs   []batchv1.CronJob
	configMaps []corev1.ConfigMap
}

// decode decodes each manifest strictly: a field the API type lacks (a
// typo) or a duplicate field fails the test, as kubectl apply
// --validate=strict would.
func decode(t *testing.T, docs []string) objects {
	t.Helper()
	var o objects
	for _, d := range docs {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(d), &tm); err != nil {
			t.Fatalf("not YAML: %v\n%s", err, d)
		}
		var err error
		switch tm.APIVersion + " " + tm.Kind {
		case "batch/v1 Job":
			var j batchv1.Job
			err = yaml.UnmarshalStrict([]byte(d), &j)
			o.jobs = append(o.jobs, j)
		case "batch/v1 CronJob":
			var c batchv1.CronJob
			err = yaml.UnmarshalStrict([]byte(d), &c)
			o.cronJobs = append(o.cronJobs, c)
		case "v1 ConfigMap":
			var c corev1.ConfigMap
			err = yaml.UnmarshalStrict([]byte(d), &c)
			o.configMaps = append(o.configMaps, c)
		default:
			t.Fatalf("the chart renders a %s %s, which the test does not decode:\n%s", tm.APIVersion, tm.Kind, d)
		}
		if err != nil {
			t.Errorf("%s: %v\n%s", tm.Kind, err, d)
		}
	}
	return o
}

func (o objects) job(t *testing.T) *batchv1.Job {
	t.Helper()
	if len(o.jobs) != 1 {
		t.Fatalf("%d Jobs rendered, want 1", len(o.jobs))
	}
	return &o.jobs[0]
}

func (o objects) cronJob(t *testing.T) *batchv1.CronJob {
	t.Helper()
	if len(o.cronJobs) != 1 {
		t.Fatalf("%d CronJobs rendered, want 1", len(o.cronJobs))
	}
	return &o.cronJobs[0]
}

func (o objects) configMapNames() []string {
	var names []string
	for _, c := range o.configMaps {
		names = append(names, c.Name)
	}
	return names
}

// policyConfigMap is the ConfigMap a pod mounts at /policy.
func policyConfigMap(t *testing.T, pod *corev1.PodSpec) string {
	t.Helper()
	for _, v := range pod.Volumes {
		if v.Name == "policy" && v.ConfigMap != nil {
			return v.ConfigMap.Name
		}
	}
	t.Fatalf("no policy volume: %+v", pod.Volumes)
	return ""
}

// env is a container's environment: name → value, or secret/key for a
// secretKeyRef.
func env(c corev1.Container) map[string]string {
	m := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			m[e.Name] = "secret " + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		default:
			m[e.Name] = e.Value
		}
	}
	return m
}

// TestLint runs helm lint's checks on the chart with its bare defaults
// (as helm lint without -f does; in lint mode Helm only logs the values
// the chart requires) and with each documented combination of values;
// any message, down to a warning, fails.
func TestLint(t *testing.T) {
	for _, name := range []string{"", "textfile", "pushgateway", "all-databases"} {
		t.Run(name, func(t *testing.T) {
			res := lint.RunAll(chartDir, valuesFor(t, name), namespace)
			for _, m := range res.Messages {
				if m.Severity >= support.WarningSev {
					t.Error(m.Error())
				}
			}
		})
	}
}

// TestTemplate renders each documented combination, decodes every
// manifest strictly, and checks what the combination is for.
func TestTemplate(t *testing.T) {
	tests := []struct {
		name   string
		values string
		sets   []string
		check  func(t *testing.T, o objects)
	}{
		{
			name:   "chart's defaults, CloudNativePG Secret, textfile",
			values: "textfile",
			check: func(t *testing.T, o objects) {
				j, c := o.job(t), o.cronJob(t)
				if got, want := o.configMapNames(), []string{"shop-pgward-policy", "shop-pgward-policy-hook"}; !slices.Equal(got, want) {
					t.Errorf("ConfigMaps %q, want %q", got, want)
				}
				for _, cm := range o.configMaps {
					if !strings.Contains(cm.Data["policy.hcl"], `role "tuist_web"`) {
						t.Errorf("ConfigMap %s: policy.hcl is %q", cm.Name, cm.Data["policy.hcl"])
					}
				}
				// The Job is a hook after the migrations (weight 10 > the
				// application's 0), its ConfigMap a hook just before it.
				if a := j.Annotations; a["helm.sh/hook"] != "pre-install,pre-upgrade" || a["helm.sh/hook-weight"] != "10" || a["helm.sh/hook-delete-policy"] != "before-hook-creation" {
					t.Errorf("Job's hook annotations: %v", a)
				}
				hook := o.configMaps[1].Annotations
				if hook["helm.sh/hook"] != "pre-install,pre-upgrade" || hook["helm.sh/hook-weight"] != "9" {
					t.Errorf("the Job's ConfigMap's hook annotations: %v", hook)
				}
				if o.configMaps[0].Annotations["helm.sh/hook"] != "" {
					t.Errorf("the CronJob's ConfigMap is a hook: %v", o.configMaps[0].Annotations)
				}
				if got := policyConfigMap(t, &j.Spec.Template.Spec); got != "shop-pgward-policy-hook" {
					t.Errorf("the Job mounts %s", got)
				}
				if got := policyConfigMap(t, &c.Spec.JobTemplate.Spec.Template.Spec); got != "shop-pgward-policy" {
					t.Errorf("the CronJob mounts %s", got)
				}
				apply := j.Spec.Template.Spec.Containers[0]
				if want := []string{"apply", "--policy", "/policy", "--auto-approve", "--lock-timeout", "10s", "--statement-timeout", "2m"}; !slices.Equal(apply.Args, want) {
					t.Errorf("apply's args %q, want %q", apply.Args, want)
				}
				if apply.Image != "ghcr.io/pgward/pgward:v0.1.0" {
					t.Errorf("image %s, want the chart's appVersion", apply.Image)
				}
				audit := c.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
				for _, ctr := range []corev1.Container{apply, audit} {
					if got := env(ctr)["DATABASE_URL"]; got != "secret tuist-db-app/uri" {
						t.Errorf("%s: DATABASE_URL from %s, want CloudNativePG's Secret tuist-db-app, key uri", ctr.Name, got)
					}
				}
				if want := []string{"audit", "--policy", "/policy", "--owner-applications=tuist-migrate,pgward", "--format", "prometheus", "--output", "/textfile/pgward.prom"}; !slices.Equal(audit.Args, want) {
					t.Errorf("audit's args %q, want %q", audit.Args, want)
				}
				pod := c.Spec.JobTemplate.Spec.Template.Spec
				var hostPath string
				for _, v := range pod.Volumes {
					if v.HostPath != nil {
						hostPath = v.HostPath.Path
					}
				}
				if hostPath != "/var/lib/node_exporter/textfile_collector" || pod.NodeSelector["kubernetes.io/hostname"] != "monitoring-node-1" {
					t.Errorf("textfile: hostPath %q, nodeSelector %v", hostPath, pod.NodeSelector)
				}
				if c.Spec.Schedule != "*/15 * * * *" || c.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
					t.Errorf("schedule %q, concurrencyPolicy %s", c.Spec.Schedule, c.Spec.ConcurrencyPolicy)
				}
				rules := c.Spec.JobTemplate.Spec.PodFailurePolicy.Rules
				if len(rules) != 1 || rules[0].Action != batchv1.PodFailurePolicyActionFailJob || *rules[0].OnExitCodes.ContainerName != "audit" || !slices.Equal(rules[0].OnExitCodes.Values, []int32{2}) {
					t.Errorf("podFailurePolicy: %+v; want exit 2 of audit to fail the Job", rules)
				}
			},
		},
		{
			name:   "pushgateway, existing ConfigMap, audit's own Secret",
			values: "pushgateway",
			check: func(t *testing.T, o objects) {
				if len(o.configMaps) != 0 {
					t.Errorf("ConfigMaps rendered beside an existing one: %q", o.configMapNames())
				}
				j, c := o.job(t), o.cronJob(t)
				for _, pod := range []*corev1.PodSpec{&j.Spec.Template.Spec, &c.Spec.JobTemplate.Spec.Template.Spec} {
					if got := policyConfigMap(t, pod); got != "tuist-pgward-policy" {
						t.Errorf("mounts %s, want the existing tuist-pgward-policy", got)
					}
					for _, v := range pod.Volumes {
						if v.HostPath != nil {
							t.Errorf("a hostPath volume without the textfile mode: %+v", v)
						}
					}
				}
				audit := c.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
				if want := []string{"audit", "--policy", "/policy", "--format", "prometheus", "--pushgateway", "http://prometheus-pushgateway.monitoring.svc:9091/metrics/job/pgward-audit/instance/shop"}; !slices.Equal(audit.Args, want) {
					t.Errorf("audit's args %q, want %q", audit.Args, want)
				}
				e := env(audit)
				if e["DATABASE_URL"] != "secret tuist-db-audit/uri" || e["PGWARD_VAR_schema"] != "public" || e["PGAPPNAME"] != "pgward-audit" {
					t.Errorf("audit's env: %v", e)
				}
				if e := env(j.Spec.Template.Spec.Containers[0]); e["DATABASE_URL"] != "secret tuist-db-app/uri" || e["PGWARD_VAR_schema"] != "public" || e["PGAPPNAME"] != "pgward" {
					t.Errorf("apply's env: %v", e)
				}
			},
		},
		{
			name:   "all databases, no metrics, another Secret key",
			values: "all-databases",
			check: func(t *testing.T, o objects) {
				j, c := o.job(t), o.cronJob(t)
				apply := j.Spec.Template.Spec.Containers[0]
				if want := []string{"apply", "--policy", "/policy", "--all-databases", "--concurrency", "4", "--auto-approve", "--lock-timeout", "10s", "--statement-timeout", "2m"}; !slices.Equal(apply.Args, want) {
					t.Errorf("apply's args %q, want %q", apply.Args, want)
				}
				audit := c.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
				if want := []string{"audit", "--policy", "/policy", "--all-databases", "--concurrency", "4"}; !slices.Equal(audit.Args, want) {
					t.Errorf("audit's args %q, want %q", audit.Args, want)
				}
				if got := env(audit)["DATABASE_URL"]; got != "secret pgward-cluster/url" {
					t.Errorf("audit's DATABASE_URL from %s", got)
				}
				if len(o.configMaps) != 2 || o.configMaps[0].Data["roles.yaml"] == "" {
					t.Errorf("ConfigMaps: %+v", o.configMaps)
				}
			},
		},
		{
			name:   "set-file policy, audit only, owner may not connect",
			values: "",
			sets: []string{
				"database.existingSecret=tuist-db-app",
				`policy.files.policy\.hcl=role "tuist_web" {}`,
				"apply.enabled=false",
				"audit.ownerApplications={}",
				"apply.hookWeight=5",
				"image.tag=v9.9.9",
			},
			check: func(t *testing.T, o objects) {
				if len(o.jobs) != 0 {
					t.Errorf("apply.enabled=false rendered %d Jobs", len(o.jobs))
				}
				if got := o.configMapNames(); !slices.Equal(got, []string{"shop-pgward-policy"}) {
					t.Errorf("ConfigMaps %q, want only the CronJob's", got)
				}
				audit := o.cronJob(t).Spec.JobTemplate.Spec.Template.Spec.Containers[0]
				if !slices.Contains(audit.Args, "--owner-applications=") || audit.Image != "ghcr.io/pgward/pgward:v9.9.9" {
					t.Errorf("audit: args %q, image %s", audit.Args, audit.Image)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := render(t, valuesFor(t, tt.values, tt.sets...))
			if err != nil {
				t.Fatal(err)
			}
			o := decode(t, docs)
			checkSecurity(t, o)
			tt.check(t, o)
		})
	}
}

// checkSecurity checks every pod the chart renders: non-root, no service
// account token, and each container with a read-only root filesystem, no
// privilege escalation, every capability dropped, and resource requests
// and limits.
func checkSecurity(t *testing.T, o objects) {
	t.Helper()
	pods := map[string]*corev1.PodSpec{}
	for i := range o.jobs {
		pods["Job "+o.jobs[i].Name] = &o.jobs[i].Spec.Template.Spec
	}
	for i := range o.cronJobs {
		pods["CronJob "+o.cronJobs[i].Name] = &o.cronJobs[i].Spec.JobTemplate.Spec.Template.Spec
	}
	for name, pod := range pods {
		psc := pod.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
			psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod securityContext %+v", name, psc)
		}
		if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
			t.Errorf("%s: the service account token is mounted", name)
		}
		if pod.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: restartPolicy %s", name, pod.RestartPolicy)
		}
		if len(pod.InitContainers) != 0 || len(pod.Containers) != 1 {
			t.Errorf("%s: %d init containers, %d containers", name, len(pod.InitContainers), len(pod.Containers))
		}
		for _, c := range pod.Containers {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
				t.Errorf("%s, container %s: securityContext %+v", name, c.Name, sc)
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if _, ok := c.Resources.Limits[r]; !ok {
					t.Errorf("%s, container %s: no %s limit", name, c.Name, r)
				}
				if _, ok := c.Resources.Requests[r]; !ok {
					t.Errorf("%s, container %s: no %s request", name, c.Name, r)
				}
			}
		}
	}
}

// TestTemplate_refused: values the schema or the templates refuse fail
// helm template (and install) with a message saying what is wrong.
func TestTemplate_refused(t *testing.T) {
	tests := []struct {
		name   string
		values string
		sets   []string
		want   string
	}{
		{"concurrency not a number", "textfile", []string{"concurrency=x"}, "/concurrency"},
		{"concurrency zero", "textfile", []string{"concurrency=0"}, "/concurrency"},
		{"misspelt value", "textfile", []string{"databse.existingSecret=x"}, "databse"},
		{"unknown metrics mode", "textfile", []string{"audit.metrics.mode=prom"}, "/audit/metrics/mode"},
		{"duration", "textfile", []string{"apply.lockTimeout=10 seconds"}, "/apply/lockTimeout"},
		{"policy file name", "textfile", []string{`policy.files.policy\.txt=x`}, "'policy.txt' does not match pattern"},
		{"pushgateway URL path", "pushgateway", []string{"audit.metrics.pushgateway.url=prometheus-pushgateway:9091"}, "/audit/metrics/pushgateway/url"},
		{"hook", "textfile", []string{"apply.hook=pre-rollout"}, "/apply/hook"},
		{"no Secret", "", []string{`policy.files.policy\.hcl=x`}, "pgward: set database.existingSecret"},
		{"no policy", "", []string{"database.existingSecret=x"}, "pgward: no policy: set policy.files"},
		{"two policies", "textfile", []string{"policy.existingConfigMap=other"}, "pgward: set policy.files or policy.existingConfigMap, not both"},
		{"pushgateway without URL", "textfile", []string{"audit.metrics.mode=pushgateway"}, "pgward: audit.metrics.mode is pushgateway: set audit.metrics.pushgateway.url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, valuesFor(t, tt.values, tt.sets...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("render: %v; want an error with %q", err, tt.want)
			}
		})
	}
}

// TestTemplate_argsArePgwardFlags runs the pgward of this repository with
// the arguments of every rendered container and --help: a flag the chart
// passes and pgward does not know fails, and so does a policy in the ci
// values that pgward validate rejects.
func TestTemplate_argsArePgwardFlags(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "pgward")
	build := exec.Command("go", "build", "-o", bin, "./cmd/pgward")
	build.Dir = "../../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/pgward: %v\n%s", err, out)
	}
	for _, name := range []string{"textfile", "pushgateway", "all-databases"} {
		t.Run(name, func(t *testing.T) {
			vals := valuesFor(t, name)
			docs, err := render(t, vals)
			if err != nil {
				t.Fatal(err)
			}
			o := decode(t, docs)
			var args [][]string
			for _, j := range o.jobs {
				args = append(args, j.Spec.Template.Spec.Containers[0].Args)
			}
			for _, c := range o.cronJobs {
				args = append(args, c.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args)
			}
			for _, a := range args {
				cmd := exec.Command(bin, append(slices.Clone(a), "--help")...)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("pgward %s --help: %v\n%s", strings.Join(a, " "), err, out)
				}
			}
			for _, cm := range o.configMaps {
				dir := t.TempDir()
				for file, text := range cm.Data {
					if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				if out, err := exec.Command(bin, "validate", "--policy", dir).CombinedOutput(); err != nil {
					t.Errorf("pgward validate of ConfigMap %s: %v\n%s", cm.Name, err, out)
				}
			}
		})
	}
}

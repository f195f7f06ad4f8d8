{{/* The chart's name, shortened to the 63 characters of a label value. */}}
{{- define "pgward.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object's name: <release>-pgward, or the release name
alone when it already contains the chart's name. 52 characters leave room
for the suffixes (-apply, -policy-hook) and for the 11 characters a
CronJob adds to the Jobs it creates.
*/}}
{{- define "pgward.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pgward.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pgward.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pgward.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "pgward.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "pgward.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The name of the policy ConfigMap the CronJob mounts: the existing one, or
the one the chart makes. Fails, with what to set, when there is neither or
both.
*/}}
{{- define "pgward.policyConfigMap" -}}
{{- if and .Values.policy.existingConfigMap .Values.policy.files }}
{{- fail "pgward: set policy.files or policy.existingConfigMap, not both" }}
{{- else if .Values.policy.existingConfigMap }}
{{- .Values.policy.existingConfigMap }}
{{- else if .Values.policy.files }}
{{- printf "%s-policy" (include "pgward.fullname" .) }}
{{- else }}
{{- fail "pgward: no policy: set policy.files (e.g. --set-file 'policy.files.policy\\.hcl=policy.hcl') or policy.existingConfigMap (docs/helm.md)" }}
{{- end }}
{{- end }}

{{/* The Secret holding the connection URL. */}}
{{- define "pgward.secret" -}}
{{- required "pgward: set database.existingSecret, the Secret holding the postgres:// URL (for CloudNativePG: <cluster>-app; docs/helm.md)" .Values.database.existingSecret }}
{{- end }}

{{/*
The flags every pgward command of the chart takes: where the policy is
and, for a cluster, all its databases.
*/}}
{{- define "pgward.commonArgs" -}}
- --policy
- /policy
{{- if .Values.allDatabases }}
- --all-databases
- --concurrency
- {{ .Values.concurrency | quote }}
{{- end }}
{{- end }}

{{/*
The environment of a pgward container; the caller passes the Secret, its
key and the application_name.
*/}}
{{- define "pgward.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secret | quote }}
      key: {{ .key | quote }}
- name: PGAPPNAME
  value: {{ .appName | quote }}
{{- range $name, $value := .vars }}
- name: {{ printf "PGWARD_VAR_%s" $name | quote }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* The pod-level settings both pods share. */}}
{{- define "pgward.podSpec" -}}
restartPolicy: Never
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

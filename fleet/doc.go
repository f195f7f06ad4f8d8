// Package fleet runs plan, audit or apply over many databases: the
// databases of several servers, or every database of a server
// (docs/fleets.md).
//
// A run has three steps, each a function the CLI and Go programs call
// alike:
//
//   - [Resolve] turns a [Spec] (connection configs, from URLs or a targets
//     file read with [ReadTargets], and --all-databases with its [Filter])
//     into [Target]s: each database once, labelled without its password,
//     and one cluster owner per server. [Shard.Select] keeps the part of
//     them one run of a fleet split over several machines works on
//     (--shard).
//   - [Run] runs a [Job] on every target, a few at once, each on its own
//     connections and independent of the others, and returns a [Result]
//     per database with its report and log kept apart. [PlanJob],
//     [AuditJob] and [ApplyJob] do what pgward plan, audit and apply do to
//     one database, through package pipeline; any other [Job] (or
//     [JobFunc]) can take their place.
//   - [WriteSection], [WriteSummary], [WriteJSON] and [WritePrometheus]
//     write the results to the writers they are given.
//
// What every database of a server shares (roles, memberships, parameters,
// tablespaces) is changed by the run of one database per server only, its
// cluster owner; the others leave it out of their plans
// (plan.Options.LeaveOutClusterWide). A fleet apply runs each cluster
// owner first ([Options.OwnersFirst]), under a session advisory lock in
// the maintenance database ([LockCluster]), and the other databases of its
// server after it.
//
//	targets, err := fleet.Resolve(ctx, fleet.Spec{Seeds: cfgs})
//	if err != nil { … }
//	job := fleet.AuditJob{Policy: pol, Report: fleet.Report{Format: pipeline.JSON}}
//	results := fleet.Run(ctx, targets, job, fleet.Options{})
//	err = fleet.WriteJSON(os.Stdout, fleet.Audit, results)
//
// fleet owns the targets, the cluster owners and lock, the concurrency and
// the summary. It must not decide anything about one database's privileges
// (plan and apply do, through pipeline), parse flags, read the
// environment, prompt, print to the terminal or choose the process's exit
// status (it returns a [Status]; [Status.ExitCode] is the documented
// mapping). Its error messages name the pgward flag that sets an option,
// as apply's do, so that the CLI passes them on unchanged.
package fleet

// Package render writes a [plan.Plan] in pgward's output formats: text for
// people ([WriteText], also the drift report of pgward audit), the SQL apply
// would execute ([WriteSQL]), JSON ([WriteJSON], format_version
// [JSONFormatVersion], docs/json.md) and Markdown for a pull-request comment
// ([WriteMarkdown]); and the documents of a run that failed, with its
// errors and warnings and no plan ([WriteJSONFailure],
// [WriteMarkdownFailure]). The audit findings a Plan carries are written by
// each format beside its changes.
//
// It owns presentation only: layout, wording, colour (asked for by the
// caller, never guessed) and the JSON structs, which live here and never
// on the model. It must not decide anything: which changes, statements,
// violations and findings there are, and in which order, is plan's (and
// audit's); render reads them through plan's exported API (the change's
// [plan.Change.Line] for people, [plan.Change.SQL] for a change no
// statement carries, [plan.Plan.Summary], [plan.Plan.Fingerprint]) and
// writes them as they come. It does no I/O besides the io.Writer it is
// given.
//
// The renderers are a package of their own, on the floor above plan, so
// that plan keeps to planning and a new output format touches this package
// and its golden files (testdata/<case>/want.*) alone. plan must not import
// render. The renderers of other values stay with them: explain's
// explanation, prcheck's report, fleet's summary; plan.WriteSaved stays in
// plan, since a saved plan is read back by plan and is no output for
// people.
package render

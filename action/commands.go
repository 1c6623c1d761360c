package action

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"
)

// GitHub shows at most this many annotations of each level from one step (workflow commands beyond them
// are dropped from the run's annotations). The Action's own status annotations (no verdict, no review
// posted, …) are always written and count first; the report's fill the remaining slots, and one notice
// then gives the number left out (that notice's slot is reserved out of MaxNoticeAnnotations).
const (
	MaxErrorAnnotations   = 10
	MaxWarningAnnotations = 10
	MaxNoticeAnnotations  = 10
)

// MaxAnnotationMessage bounds one annotation's message, in bytes; longer messages are cut on a UTF-8
// boundary with "…". Messages quote published code, which is hostile and may be arbitrarily long.
const MaxAnnotationMessage = 4096

// MaxAnnotationTitle bounds an annotation's title, in bytes (GitHub's check-run annotation title limit).
const MaxAnnotationTitle = 255

// Annotation levels, as workflow commands name them.
const (
	levelError   = "error"
	levelWarning = "warning"
	levelNotice  = "notice"
)

// annotation is one workflow-command annotation: on a file's lines when Path is set, else on the run.
type annotation struct {
	Level              string // levelError, levelWarning or levelNotice
	Path               string // repository-relative, slash-separated; "" for none
	StartLine, EndLine int
	Title              string
	Message            string
}

// annotator emits annotations within GitHub's per-step caps.
type annotator struct {
	gha     *githubactions.Action
	shown   map[string]int
	queued  []annotation
	dropped int
}

func newAnnotator(gha *githubactions.Action) *annotator {
	return &annotator{gha: gha, shown: map[string]int{}}
}

func capOf(level string) int {
	switch level {
	case levelError:
		return MaxErrorAnnotations
	case levelWarning:
		return MaxWarningAnnotations
	}
	return MaxNoticeAnnotations - 1 // one notice is kept for the count of the rest
}

func normLevel(level string) string {
	switch level {
	case levelError, levelWarning, levelNotice:
		return level
	}
	return levelNotice
}

// status writes one of the Action's own annotations now; it counts against its level's cap.
func (an *annotator) status(a annotation) {
	a.Level = normLevel(a.Level)
	an.shown[a.Level]++
	an.write(a)
}

// add queues a report annotation; finish writes the queue within what the caps leave.
func (an *annotator) add(a annotation) {
	a.Level = normLevel(a.Level)
	an.queued = append(an.queued, a)
}

func (an *annotator) write(a annotation) {
	fields := map[string]string{}
	if p := oneLine(a.Path); p != "" && !strings.HasPrefix(p, "/") && !strings.Contains(p, "..") {
		fields["file"] = p
		if a.StartLine > 0 {
			fields["line"] = strconv.Itoa(a.StartLine)
			end := max(a.EndLine, a.StartLine)
			fields["endLine"] = strconv.Itoa(end)
		}
	}
	if t := truncate(oneLine(a.Title), MaxAnnotationTitle); t != "" {
		fields["title"] = t
	}
	g := an.gha
	if len(fields) > 0 {
		g = g.WithFieldsMap(fields)
	}
	msg := truncate(a.Message, MaxAnnotationMessage)
	switch a.Level {
	case levelError:
		g.Errorf("%s", msg)
	case levelWarning:
		g.Warningf("%s", msg)
	default:
		g.Noticef("%s", msg)
	}
}

// finish writes the queued annotations up to the caps, then a notice counting those left out, if any.
func (an *annotator) finish() {
	for _, a := range an.queued {
		if an.shown[a.Level] >= capOf(a.Level) {
			an.dropped++
			continue
		}
		an.shown[a.Level]++
		an.write(a)
	}
	an.queued = nil
	if an.dropped == 0 {
		return
	}
	an.write(annotation{Level: levelNotice, Title: "mcpvet: more findings",
		Message: fmt.Sprintf("%d more %s not shown here (GitHub shows %d errors, %d warnings and %d notices per step); the job summary and the JSON report have every finding.",
			an.dropped, plural(an.dropped, "annotation", "annotations"), MaxErrorAnnotations, MaxWarningAnnotations, MaxNoticeAnnotations)})
	an.dropped = 0
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// oneLine joins s's lines with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate cuts s to at most limit bytes on a rune boundary, ending it with "…" when cut.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const ell = "…"
	n := limit - len(ell)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + ell
}

// commandSafe neutralises workflow commands in text that quotes hostile content (package code, names,
// error messages from servers) before it goes to the step's log: the runner treats any line whose trimmed
// text starts with "::" (or the legacy "##[") as a command, which could set outputs, environment
// variables or masks. A zero-width space after the first character keeps the line readable and inert.
func commandSafe(s string) string {
	if !strings.Contains(s, "::") && !strings.Contains(s, "##[") {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	for i, line := range lines {
		trimmed := strings.TrimLeft(line, " \t\r\v\f\u00a0\u2028\u2029\ufeff")
		if strings.HasPrefix(trimmed, "::") || strings.HasPrefix(trimmed, "##[") {
			at := len(line) - len(trimmed) + 1
			lines[i] = line[:at] + "\u200b" + line[at:]
		}
	}
	return strings.Join(lines, "")
}

// safeWriter writes through commandSafe, one Write at a time (callers write whole lines or documents).
type safeWriter struct{ w io.Writer }

func (s safeWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, commandSafe(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// fileCommand runs one go-githubactions file command (SetOutput, AddStepSummary), which panics when the
// runner's file cannot be written; the panic becomes an error. env names the file's variable.
func fileCommand(gha *githubactions.Action, env string, f func()) (err error) {
	if gha.Getenv(env) == "" {
		return fmt.Errorf("%s is not set", env)
	}
	defer func() {
		switch r := recover().(type) {
		case nil:
		case error:
			err = fmt.Errorf("write %s: %w", env, r)
		default:
			err = fmt.Errorf("write %s: %v", env, r)
		}
	}()
	f()
	return nil
}

// setOutput sets one step output; values holding a line break are refused (they could end the
// multi-line delimiter go-githubactions uses and set other outputs).
func setOutput(gha *githubactions.Action, name, value string) error {
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("output %s: value holds a line break", name)
	}
	return fileCommand(gha, "GITHUB_OUTPUT", func() { gha.SetOutput(name, value) })
}

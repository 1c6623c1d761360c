package mcpconfig

import "strings"

// cmdExe reads `cmd [/d /s /q …] /c|/k command…`.
func (l *launcher) cmdExe(cmd word, words []word, depth int) {
	i := 0
	found := false
	for ; i < len(words); i++ {
		w := strings.ToLower(words[i].s)
		if w == "/c" || w == "/k" || w == "/r" {
			found = true
			i++
			break
		}
		if !strings.HasPrefix(w, "/") {
			break
		}
	}
	if !found || i >= len(words) {
		l.unres(cmd, "cmd", "cmd without /c and a command")
		return
	}
	rest := words[i:]
	if len(rest) == 1 {
		l.script(rest[0], modeCmd, depth)
		return
	}
	if strings.ContainsAny(rest[0].s, " \t") {
		if cmds, err := splitScript(rest[0].s, modeCmd); err == nil && len(cmds) == 1 {
			ws := make([]word, 0, len(cmds[0])+len(rest)-1)
			for _, s := range cmds[0] {
				ws = append(ws, word{s: s, arg: rest[0].arg})
			}
			l.resolve(append(ws, rest[1:]...), depth+1)
			return
		}
	}
	l.resolve(rest, depth+1)
}

// shell reads `sh|bash|zsh [options] -c 'script' [$0 args]`; without -c the shell runs a script file.
func (l *launcher) shell(cmd word, words []word, name string, depth int) {
	hasC := false
	i := 0
	for ; i < len(words); i++ {
		w := words[i].s
		if w == "--" || w == "-" {
			i++
			break
		}
		if len(w) < 2 || (w[0] != '-' && w[0] != '+') {
			break
		}
		if strings.HasPrefix(w, "--") {
			if w == "--rcfile" || w == "--init-file" {
				i++
			}
			if w == "--command" { // fish
				hasC = true
			}
			continue
		}
		takes := 0
		for _, c := range w[1:] {
			switch c {
			case 'c':
				hasC = true
			case 'o', 'O':
				takes++
			}
		}
		i += takes
	}
	if i >= len(words) {
		l.unres(cmd, name, name+" without a command")
		return
	}
	if !hasC {
		l.unres(words[i], name, "local code: "+name+" "+shorten(words[i].s))
		return
	}
	l.script(words[i], modePOSIX, depth)
}

// powershell reads `powershell|pwsh [options] -Command script…` (and -File, -EncodedCommand).
func (l *launcher) powershell(cmd word, words []word, depth int) {
	for i := 0; i < len(words); i++ {
		w := strings.ToLower(words[i].s)
		if !strings.HasPrefix(w, "-") {
			l.scriptWords(words[i:], modePwsh, depth)
			return
		}
		switch {
		case w == "-c" || w == "-command" || w == "-com" || w == "-comm" || w == "-comma" || w == "-comman":
			if i+1 >= len(words) {
				break
			}
			l.scriptWords(words[i+1:], modePwsh, depth)
			return
		case w == "-f" || w == "-file":
			if i+1 < len(words) {
				l.unres(words[i+1], "powershell", "local code: "+shorten(words[i+1].s))
				return
			}
		case w == "-e" || w == "-ec" || w == "-enc" || strings.HasPrefix(w, "-encodedcommand"):
			l.unres(words[i], "powershell", "encoded PowerShell command: unresolvable")
			return
		case w == "-executionpolicy" || w == "-ep" || w == "-ex" || w == "-windowstyle" || w == "-w" ||
			w == "-configurationname" || w == "-workingdirectory" || w == "-wd" || w == "-outputformat" ||
			w == "-of" || w == "-inputformat" || w == "-if" || w == "-version" || w == "-v" || w == "-psconsolefile" ||
			w == "-settingsfile" || w == "-custompipename":
			i++
		}
	}
	l.unres(cmd, "powershell", "powershell without a command")
}

// scriptWords runs a script given as one or more words (PowerShell joins them with spaces).
func (l *launcher) scriptWords(ws []word, mode shellMode, depth int) {
	if len(ws) == 1 {
		l.script(ws[0], mode, depth)
		return
	}
	l.script(word{s: strings.Join(wordStrings(ws), " "), arg: ws[0].arg}, mode, depth)
}

// shellBuiltins run no package.
var shellBuiltins = map[string]bool{"cd": true, "export": true, "set": true, "source": true, ".": true,
	"echo": true, "true": true, "false": true, ":": true, "unset": true, "trap": true, "ulimit": true,
	"umask": true, "printf": true, "read": true, "test": true, "[": true, "wait": true, "shift": true,
	"set-location": true, "write-host": true, "write-output": true, "pushd": true, "popd": true, "rem": true,
	"setlocal": true, "endlocal": true, "chcp": true, "@echo": true, "cls": true, "title": true}

// script resolves each simple command of a shell script.
func (l *launcher) script(w word, mode shellMode, depth int) {
	cmds, err := splitScript(w.s, mode)
	if err != nil {
		l.unres(w, "", "cannot split the shell command: "+err.Error())
		return
	}
	found := false
	for _, c := range cmds {
		j := 0
		for j < len(c) && (isAssignment(c[j]) || c[j] == "exec" || c[j] == "command") {
			if isAssignment(c[j]) {
				l.envAssignment(c[j])
			}
			j++
		}
		if j >= len(c) || shellBuiltins[strings.ToLower(c[j])] {
			continue
		}
		if mode == modePwsh && strings.HasPrefix(c[j], "$env:") {
			continue
		}
		ws := make([]word, 0, len(c)-j)
		for _, s := range c[j:] {
			ws = append(ws, word{s: s, arg: w.arg})
		}
		l.resolve(ws, depth+1)
		found = true
	}
	if !found {
		l.unres(w, "", "the shell command runs no program")
	}
}

// registryEnv are environment variables that redirect a package runner's registry.
var registryEnv = map[string]bool{"npm_config_registry": true, "yarn_npm_registry_server": true,
	"bun_config_registry": true, "uv_index_url": true, "uv_default_index": true, "uv_index": true,
	"uv_extra_index_url": true, "pip_index_url": true, "pip_extra_index_url": true, "uv_find_links": true,
	"nuget_source": true}

// envAssignment reports an assignment that redirects a registry.
func (l *launcher) envAssignment(a string) {
	name, _, _ := strings.Cut(a, "=")
	if registryEnv[strings.ToLower(name)] {
		l.problem("environment variable " + name + " redirects the package registry: packages may not come from the public registry")
	}
}

// env reads `env [-i] [-u NAME] [-C DIR] [-S STRING] [NAME=VALUE]… command…`.
func (l *launcher) env(cmd word, words []word, depth int) {
	i := 0
loop:
	for ; i < len(words); i++ {
		w := words[i].s
		switch {
		case w == "--":
			i++
			break loop
		case w == "-S" || w == "--split-string":
			if i+1 < len(words) {
				l.splitThen(words[i+1], words[i+2:], depth)
				return
			}
		case strings.HasPrefix(w, "--split-string="):
			l.splitThen(word{s: w[len("--split-string="):], arg: words[i].arg}, words[i+1:], depth)
			return
		case strings.HasPrefix(w, "-S"):
			l.splitThen(word{s: w[2:], arg: words[i].arg}, words[i+1:], depth)
			return
		case w == "-u" || w == "--unset" || w == "-C" || w == "--chdir":
			i++
		case strings.HasPrefix(w, "-"):
		case isAssignment(w):
			l.envAssignment(w)
		default:
			break loop
		}
	}
	if i >= len(words) {
		l.unres(cmd, "env", "env without a command")
		return
	}
	l.resolve(words[i:], depth+1)
}

// splitThen splits one word into a command line and resolves it followed by more words.
func (l *launcher) splitThen(w word, more []word, depth int) {
	cmds, err := splitScript(w.s, modePOSIX)
	if err != nil || len(cmds) != 1 {
		l.unres(w, "", "cannot split the command "+quoteSpec(w.s))
		return
	}
	ws := make([]word, 0, len(cmds[0])+len(more))
	for _, s := range cmds[0] {
		ws = append(ws, word{s: s, arg: w.arg})
	}
	l.resolve(append(ws, more...), depth+1)
}

// wrapperSpec describes a program that runs another: its subcommand (op run) and value options.
type wrapperSpec struct {
	sub        string
	val        []string
	positional int // leading positional arguments before the command (timeout's duration)
}

var wrappers = map[string]wrapperSpec{
	"sudo": {val: []string{"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "-R", "--user", "--group",
		"--chdir", "--prompt", "--close-from", "--host", "--role", "--type", "--other-user", "--command-timeout", "--chroot"}},
	"doas":    {val: []string{"-u", "-C"}},
	"nohup":   {},
	"exec":    {val: []string{"-a"}},
	"command": {},
	"time":    {val: []string{"-f", "-o", "--format", "--output"}},
	"nice":    {val: []string{"-n", "--adjustment"}},
	"stdbuf":  {val: []string{"-i", "-o", "-e", "--input", "--output", "--error"}},
	"timeout": {val: []string{"-s", "-k", "--signal", "--kill-after"}, positional: 1},
	"systemd-run": {val: []string{"-p", "--property", "-E", "--setenv", "-u", "--unit", "--description", "--slice",
		"--uid", "--gid", "-M", "--machine", "-H", "--host", "--working-directory", "-D", "--nice", "--on-active",
		"--on-boot", "--on-startup", "--on-unit-active", "--on-unit-inactive", "--on-calendar", "--timer-property",
		"--path-property", "--socket-property", "--service-type", "--capsule", "-C"}},
	"dotenv":    {val: []string{"-e", "-c", "-v", "-p"}},
	"op":        {sub: "run", val: []string{"--env-file", "--environment", "--account", "--config", "--cache", "--session"}},
	"doppler":   {sub: "run", val: []string{"-p", "--project", "-c", "--config", "--token", "--scope", "--mount", "--mount-format", "--mount-template", "--fallback"}},
	"infisical": {sub: "run", val: []string{"--env", "--path", "--projectId", "--token", "--domain", "--tags"}},
}

// wrapper unwraps a program that runs the command after its options (or after "--").
func (l *launcher) wrapper(cmd word, words []word, name string, spec wrapperSpec, depth int) {
	if spec.sub != "" {
		i := 0
		for ; i < len(words) && strings.HasPrefix(words[i].s, "-"); i++ {
			opt, _, hasVal := option(words[i].s)
			if !hasVal && has(spec.val, opt) {
				i++
			}
		}
		if i >= len(words) || words[i].s != spec.sub {
			l.unres(cmd, name, name+": not a wrapper this reads")
			return
		}
		words = words[i+1:]
	}
	for i, w := range words {
		if w.s == "--" {
			l.resolveWrapped(cmd, name, words[i+1:], depth)
			return
		}
	}
	i := 0
	for ; i < len(words); i++ {
		w := words[i].s
		if len(w) < 2 || w[0] != '-' {
			break
		}
		opt, _, hasVal := option(w)
		if !hasVal && has(spec.val, opt) {
			i++
		}
	}
	i += spec.positional
	if i > len(words) {
		i = len(words)
	}
	for i < len(words) && isAssignment(words[i].s) { // sudo FOO=1 cmd
		l.envAssignment(words[i].s)
		i++
	}
	l.resolveWrapped(cmd, name, words[i:], depth)
}

func (l *launcher) resolveWrapped(cmd word, name string, words []word, depth int) {
	if len(words) == 0 {
		l.unres(cmd, name, name+" without a command")
		return
	}
	l.resolve(words, depth+1)
}

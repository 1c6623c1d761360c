package mcpconfig

import (
	"fmt"
	"strings"
)

// Launch is what one launch command resolves to.
type Launch struct {
	// Packages are the packages the command runs, in order; every entry either names a package or says
	// in Unresolvable why none could be named. Line is not set (ParseLaunch knows no lines); ArgIndex is.
	Packages []Package
	// Problems are remarks about the command: placeholders in versions, registries redirected by flags
	// or environment assignments, wrappers that could not be read, …
	Problems []string
	// URL is a remote server URL the command connects to (mcp-remote and similar bridges), or "".
	URL string
	// URLArg is the index in args of the URL's argument, -1 for the command itself.
	URLArg int
}

// ParseLaunch resolves a command and its arguments, as an MCP client launches them, to the packages
// they run, and returns those and the problems found. See ResolveLaunch.
func ParseLaunch(command string, args []string) ([]Package, []string) {
	l := ResolveLaunch(command, args)
	return l.Packages, l.Problems
}

// ResolveLaunch resolves a launch command: package runners (npx, npm exec, bunx, pnpm dlx, yarn dlx,
// uvx, uv tool run, uv run --with, pipx run, docker/podman run, dnx, deno run npm:…) give packages;
// wrappers (cmd /c, sh -c, bash -lc, powershell -Command, env, sudo, systemd-run, dotenv, op run, …)
// are unwrapped up to MaxWrapDepth; a command string with spaces ("npx -y x") is split; interpreters
// (node x.js, python -m x) and paths are local code; anything else is a command from PATH. It never
// fails: what cannot be resolved is an unresolvable Package saying why.
func ResolveLaunch(command string, args []string) Launch {
	l := &launcher{out: Launch{URLArg: -1}}
	switch {
	case len(args) > MaxArgs:
		l.unres(word{s: command, arg: -1}, "", fmt.Sprintf("too many arguments (%d; at most %d are read)", len(args), MaxArgs))
		return l.out
	case len(command) > MaxArgLen:
		l.unres(word{s: shorten(command), arg: -1}, "", fmt.Sprintf("command longer than %d bytes", MaxArgLen))
		return l.out
	}
	for i, a := range args {
		if len(a) > MaxArgLen {
			l.unres(word{s: shorten(a), arg: i}, "", fmt.Sprintf("argument %d is longer than %d bytes", i, MaxArgLen))
			return l.out
		}
	}
	words := commandWords(command)
	for i, a := range args {
		words = append(words, word{s: a, arg: i})
	}
	l.resolve(words, 0)
	if len(l.out.Packages) == 0 {
		l.unres(word{s: command, arg: -1}, "", "no package found in the launch command")
	}
	return l.out
}

// word is one argument of a launch command and the index of the server argument it comes from
// (-1: the command); words split out of a script keep their script's index.
type word struct {
	s   string
	arg int
}

type launcher struct {
	out  Launch
	full bool
}

func (l *launcher) add(p Package) {
	if l.full {
		return
	}
	if len(l.out.Packages) >= MaxLaunchPackages {
		l.full = true
		l.out.Packages = append(l.out.Packages, Package{ArgIndex: p.ArgIndex, Spec: p.Spec,
			Unresolvable: fmt.Sprintf("more than %d packages in one launch command: the rest is not read", MaxLaunchPackages)})
		return
	}
	l.out.Packages = append(l.out.Packages, p)
}

func (l *launcher) problem(s string) {
	for _, p := range l.out.Problems {
		if p == s {
			return
		}
	}
	l.out.Problems = append(l.out.Problems, s)
}

func (l *launcher) unres(w word, runner, why string) {
	l.add(Package{Spec: w.s, ArgIndex: w.arg, Runner: runner, Unresolvable: why})
}

// pkg adds a package from a parsed spec.
func (l *launcher) pkg(w word, runner string, sp spec) Package {
	p := Package{Ecosystem: sp.eco, Name: sp.name, Version: sp.version, Pinned: sp.pinned, Spec: w.s,
		ArgIndex: w.arg, Runner: runner, Unresolvable: sp.unres}
	if sp.unres != "" {
		p.Ecosystem, p.Name, p.Version, p.Pinned = "", "", "", false
	}
	if p.Pinned && p.Version == "" {
		p.Pinned = false
	}
	if sp.note != "" {
		l.problem(sp.note)
	}
	l.add(p)
	return p
}

// commandWords splits a command that contains spaces ("npx -y x"), unless it is a path whose last
// element has none ("C:\Program Files\nodejs\npx.cmd").
func commandWords(command string) []word {
	c := strings.TrimSpace(command)
	if !strings.ContainsAny(c, " \t\r\n") {
		return []word{{s: c, arg: -1}}
	}
	if isPathLike(c) {
		last := c[strings.LastIndexAny(c, `/\`)+1:]
		if !strings.ContainsAny(last, " \t\r\n") {
			return []word{{s: c, arg: -1}}
		}
	}
	cmds, err := splitScript(c, modePOSIX)
	if err != nil || len(cmds) != 1 {
		return []word{{s: c, arg: -1}} // resolves to "command from PATH", naming it
	}
	out := make([]word, len(cmds[0]))
	for i, s := range cmds[0] {
		out[i] = word{s: s, arg: -1}
	}
	return out
}

// progName is a program's name without directories, extension or case: "/usr/bin/npx.cmd" → "npx".
func progName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.ToLower(s)
	for _, ext := range []string{".exe", ".cmd", ".bat", ".ps1", ".com", ".sh"} {
		s = strings.TrimSuffix(s, ext)
	}
	if strings.HasPrefix(s, "python") && strings.Trim(s[len("python"):], "0123456789.") == "" {
		return "python"
	}
	return s
}

// packageRunners are the programs that fetch packages; docker run resolves its inner command only
// when it is one of these (anything else runs from the image).
var packageRunners = map[string]bool{"npx": true, "npm": true, "bunx": true, "bun": true, "pnpm": true, "pnpx": true,
	"yarn": true, "uvx": true, "uv": true, "pipx": true, "dnx": true, "dotnet": true, "deno": true}

// remoteBridges are packages that connect a stdio client to a remote server given as a URL argument.
var remoteBridges = map[string]bool{"mcp-remote": true, "mcp-proxy": true, "supergateway": true}

func (l *launcher) resolve(words []word, depth int) {
	if len(words) == 0 {
		l.unres(word{arg: -1}, "", "empty command")
		return
	}
	cmd := words[0]
	if depth > MaxWrapDepth {
		l.unres(cmd, "", fmt.Sprintf("wrappers nested more than %d deep", MaxWrapDepth))
		return
	}
	if cmd.s == "" {
		l.unres(cmd, "", "empty command")
		return
	}
	rest := words[1:]
	if ph := placeholder(cmd.s); ph != "" && strings.HasPrefix(cmd.s, ph) && !isPathLike(cmd.s) {
		l.unres(cmd, "", "placeholder "+ph+" in the command: unresolvable")
		return
	}
	name := progName(cmd.s)
	switch name {
	case "npx":
		l.npmLike(rest, "npx", npxFlags)
	case "npm":
		l.npm(rest)
	case "bunx":
		l.npmLike(rest, "bunx", bunxFlags)
	case "bun":
		l.sub(cmd, rest, name, map[string]string{"x": "bunx"}, []string{"--cwd", "--config", "-c"}, func(sub string, r []word) {
			l.npmLike(r, "bunx", bunxFlags)
		})
	case "pnpx":
		l.npmLike(rest, "pnpm dlx", pnpmFlags)
	case "pnpm":
		l.sub(cmd, rest, name, map[string]string{"dlx": "pnpm dlx"}, []string{"-C", "--dir", "--filter", "-F", "--reporter", "--loglevel"}, func(sub string, r []word) {
			l.npmLike(r, "pnpm dlx", pnpmFlags)
		})
	case "yarn":
		l.sub(cmd, rest, name, map[string]string{"dlx": "yarn dlx"}, []string{"--cwd"}, func(sub string, r []word) {
			l.npmLike(r, "yarn dlx", yarnFlags)
		})
	case "uvx":
		l.uv(rest, "uvx", false)
	case "uv":
		l.uvCmd(cmd, rest)
	case "pipx":
		l.sub(cmd, rest, name, map[string]string{"run": "pipx run"}, nil, func(sub string, r []word) { l.pipxRun(r) })
	case "docker", "podman", "nerdctl":
		l.docker(cmd, rest, name, depth)
	case "dnx":
		l.dnx(rest, "dnx")
	case "dotnet":
		l.dotnet(cmd, rest)
	case "deno":
		l.deno(cmd, rest)
	case "mcp-remote":
		l.add(Package{Ecosystem: "npm", Name: "mcp-remote", Spec: cmd.s, ArgIndex: cmd.arg, Runner: "path"})
		l.problem("mcp-remote runs from PATH: its version depends on the machine")
		l.url(rest)
	case "cmd":
		l.cmdExe(cmd, rest, depth)
	case "sh", "bash", "zsh", "dash", "ash", "ksh", "mksh", "fish":
		l.shell(cmd, rest, name, depth)
	case "powershell", "pwsh":
		l.powershell(cmd, rest, depth)
	case "env":
		l.env(cmd, rest, depth)
	case "node", "nodejs", "python", "py", "pythonw", "ruby", "perl", "php", "java", "tsx", "ts-node", "rscript", "julia", "lua", "go", "cargo":
		l.interpreter(cmd, rest, name)
	default:
		if w, ok := wrappers[name]; ok {
			l.wrapper(cmd, rest, name, w, depth)
			return
		}
		if isPathLike(cmd.s) || strings.ContainsAny(cmd.s, `/\`) {
			l.unres(cmd, "", "local code: "+shorten(cmd.s))
			return
		}
		l.unres(cmd, "", "command from PATH: "+shorten(cmd.s)+" (which package provides it is unknown)")
	}
}

// url records the first http(s) URL among words as the remote the command connects to.
func (l *launcher) url(words []word) {
	if l.out.URL != "" {
		return
	}
	for _, w := range words {
		s := strings.ToLower(w.s)
		if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
			l.out.URL, l.out.URLArg = w.s, w.arg
			return
		}
	}
}

// flagSet describes a package runner's options.
type flagSet struct {
	pkg  []string // options whose value is a package (-p/--package): the positional is then a command
	call []string // options whose value is a command string (npx -c)
	val  []string // other options that take a value
}

var (
	npxFlags = flagSet{pkg: []string{"-p", "--package"}, call: []string{"-c", "--call"},
		val: []string{"--registry", "--cache", "--userconfig", "--globalconfig", "-w", "--workspace", "--prefix",
			"--loglevel", "--node-options", "--script-shell", "--before", "--location", "-C"}}
	bunxFlags  = flagSet{pkg: []string{"-p", "--package"}, val: []string{"--registry", "--cwd"}}
	pnpmFlags  = flagSet{pkg: []string{"--package"}, val: []string{"--allow-build", "--registry", "-C", "--dir", "--reporter"}}
	yarnFlags  = flagSet{pkg: []string{"-p", "--package"}}
	registryFl = map[string]bool{"--registry": true}
)

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// option splits "--name=value"; short options keep their text.
func option(w string) (name, val string, hasVal bool) {
	if strings.HasPrefix(w, "--") {
		return strings.Cut(w, "=")
	}
	return w, "", false
}

// takeValue returns the value of the option at words[*i], advancing *i past a separate value.
func takeValue(words []word, i *int, val string, hasVal bool) (word, bool) {
	if hasVal {
		return word{s: val, arg: words[*i].arg}, true
	}
	if *i+1 < len(words) {
		*i++
		return words[*i], true
	}
	return word{}, false
}

// options walks the leading options of words: it stops after "--" or at the first word that is not an
// option, calls visit with each option's name and inline value (visit may take the next word as the value
// by advancing *i, and returns false to stop at this option), and returns the words after the options.
func options(words []word, visit func(i *int, name, val string, hasVal bool) bool) []word {
	i := 0
	for ; i < len(words); i++ {
		w := words[i].s
		if w == "--" {
			i++
			break
		}
		if len(w) < 2 || w[0] != '-' {
			break
		}
		name, val, hasVal := option(w)
		if !visit(&i, name, val, hasVal) {
			break
		}
	}
	return words[i:]
}

// npmLike reads npx / npm exec / bunx / pnpm dlx / yarn dlx arguments: options, then the package spec
// (or, with -p/--package, a command), then the arguments of the package's program.
func (l *launcher) npmLike(words []word, runner string, fl flagSet) {
	var pkgs []word
	var call *word
	pos := options(words, func(i *int, name, val string, hasVal bool) bool {
		switch {
		case has(fl.pkg, name):
			if v, ok := takeValue(words, i, val, hasVal); ok {
				pkgs = append(pkgs, v)
			}
		case has(fl.call, name):
			if v, ok := takeValue(words, i, val, hasVal); ok {
				call = &v
			}
		case has(fl.val, name):
			v, _ := takeValue(words, i, val, hasVal)
			if registryFl[name] {
				l.problem(fmt.Sprintf("%s %s %s: packages may not come from the public registry", runner, name, shorten(v.s)))
			}
		}
		return true
	})
	switch {
	case len(pkgs) > 0:
		bridge := false
		for _, p := range pkgs {
			if pk := l.pkg(p, runner, parseNPMSpec(p.s)); remoteBridges[pk.Name] {
				bridge = true
			}
		}
		if bridge || len(pos) > 0 && remoteBridges[pos[0].s] {
			l.url(pos)
		}
	case call != nil:
		l.unres(*call, runner, runner+" --call without --package runs a command of the local project")
	case len(pos) == 0:
		l.unres(word{s: runner, arg: -1}, runner, runner+" without a package")
	default:
		if pk := l.pkg(pos[0], runner, parseNPMSpec(pos[0].s)); remoteBridges[pk.Name] {
			l.url(pos[1:])
		}
	}
}

// npm reads `npm [options] exec|x …`; other subcommands run the local project.
func (l *launcher) npm(words []word) {
	var opts []word
	i := 0
	for ; i < len(words) && strings.HasPrefix(words[i].s, "-"); i++ {
		opts = append(opts, words[i])
		name, _, hasVal := option(words[i].s)
		if !hasVal && has(npxFlags.val, name) && i+1 < len(words) {
			i++
			opts = append(opts, words[i])
		}
	}
	if i >= len(words) {
		l.unres(word{s: "npm", arg: -1}, "npm", "npm without a command")
		return
	}
	switch sub := words[i]; sub.s {
	case "exec", "x":
		l.npmLike(append(opts, words[i+1:]...), "npm exec", npxFlags)
	case "run", "run-script", "rum", "urn", "start", "test", "t":
		l.unres(sub, "npm", "local code: npm "+shorten(strings.Join(wordStrings(words[i:]), " ")))
	default:
		l.unres(sub, "npm", "npm "+shorten(sub.s)+": not a package launcher")
	}
}

func wordStrings(ws []word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.s
	}
	return out
}

// sub dispatches `prog [options] subcommand …` for programs whose launching subcommand is in subs;
// any other subcommand (or a file) runs local code, or for pipx is not a launcher.
func (l *launcher) sub(cmd word, words []word, prog string, subs map[string]string, valOpts []string, run func(string, []word)) {
	i := 0
	for ; i < len(words) && strings.HasPrefix(words[i].s, "-"); i++ {
		name, _, hasVal := option(words[i].s)
		if !hasVal && has(valOpts, name) {
			i++
		}
	}
	if i >= len(words) {
		l.unres(cmd, prog, prog+" without a command")
		return
	}
	if r, ok := subs[words[i].s]; ok {
		run(r, words[i+1:])
		return
	}
	if prog == "pipx" {
		l.unres(words[i], prog, "pipx "+shorten(words[i].s)+": not a package launcher")
		return
	}
	l.unres(words[i], prog, "local code: "+prog+" "+shorten(words[i].s))
}

// uvValueOpts are uv options that take a value.
var uvValueOpts = []string{"--from", "--with", "-w", "--with-editable", "--with-requirements", "--python", "-p",
	"--index", "--default-index", "--index-url", "-i", "--extra-index-url", "--find-links", "-f", "--directory",
	"--project", "--config-file", "--cache-dir", "--refresh-package", "--reinstall-package", "--upgrade-package",
	"-P", "--constraints", "-c", "--overrides", "--build-constraints", "-b", "--env-file", "--index-strategy",
	"--keyring-provider", "--resolution", "--prerelease", "--fork-strategy", "--exclude-newer",
	"--exclude-newer-package", "--link-mode", "--no-build-package", "--no-binary-package", "--only-binary",
	"--config-setting", "-C", "--python-platform", "--color", "--allow-insecure-host", "--torch-backend",
	"--group", "--extra", "--package", "--python-preference", "--no-group", "--only-group", "--with-requirements"}

// uvIndexOpts redirect where uv fetches packages from.
var uvIndexOpts = []string{"--index", "--default-index", "--index-url", "-i", "--extra-index-url", "--find-links", "-f"}

// uv reads uvx / uv tool run (localRun false) and uv run (localRun true) arguments.
func (l *launcher) uv(words []word, runner string, localRun bool) {
	var from *word
	var withs []word
	pos := options(words, func(i *int, name, val string, hasVal bool) bool {
		if !has(uvValueOpts, name) {
			return true
		}
		v, ok := takeValue(words, i, val, hasVal)
		if !ok {
			return false
		}
		switch {
		case name == "--from":
			from = &v
		case name == "--with" || name == "-w":
			withs = append(withs, v)
		case name == "--with-editable" || name == "--with-requirements":
			l.unres(v, runner, "local code: "+name+" "+shorten(v.s))
		case has(uvIndexOpts, name):
			l.problem(fmt.Sprintf("%s %s %s: packages may not come from PyPI", runner, name, shorten(v.s)))
		}
		return true
	})
	var named []Package
	switch {
	case localRun:
		if len(withs) == 0 {
			if len(pos) == 0 {
				l.unres(word{s: "uv run", arg: -1}, runner, "local code: uv run without a command")
			} else {
				l.unres(pos[0], runner, "local code: uv run "+shorten(pos[0].s))
			}
		}
	case from != nil:
		named = append(named, l.pkg(*from, runner, parsePyPISpec(from.s)))
	case len(pos) == 0:
		l.unres(word{s: runner, arg: -1}, runner, runner+" without a package")
	default:
		named = append(named, l.pkg(pos[0], runner, parsePyPISpec(pos[0].s)))
		pos = pos[1:]
	}
	for _, w := range withs {
		named = append(named, l.pkg(w, runner, parsePyPISpec(w.s)))
	}
	for _, p := range named {
		if remoteBridges[p.Name] {
			l.url(pos)
		}
	}
}

// uvCmd reads `uv [options] tool run|run …`.
func (l *launcher) uvCmd(cmd word, words []word) {
	i := 0
	for ; i < len(words) && strings.HasPrefix(words[i].s, "-"); i++ {
		name, _, hasVal := option(words[i].s)
		if !hasVal && has(uvValueOpts, name) {
			i++
		}
	}
	switch {
	case i+1 < len(words) && words[i].s == "tool" && words[i+1].s == "run":
		l.uv(append(append([]word(nil), words[:i]...), words[i+2:]...), "uv tool run", false)
	case i < len(words) && words[i].s == "run":
		l.uv(append(append([]word(nil), words[:i]...), words[i+1:]...), "uv run", true)
	case i < len(words):
		l.unres(words[i], "uv", "uv "+shorten(words[i].s)+": not a package launcher")
	default:
		l.unres(cmd, "uv", "uv without a command")
	}
}

// pipxRun reads `pipx run [options] [--spec S] app …`.
func (l *launcher) pipxRun(words []word) {
	var specW *word
	pos := options(words, func(i *int, name, val string, hasVal bool) bool {
		switch name {
		case "--spec":
			if v, ok := takeValue(words, i, val, hasVal); ok {
				specW = &v
			}
		case "--python", "--pip-args", "--backend":
			takeValue(words, i, val, hasVal)
		case "--index-url", "-i":
			v, _ := takeValue(words, i, val, hasVal)
			l.problem(fmt.Sprintf("pipx run %s %s: packages may not come from PyPI", name, shorten(v.s)))
		}
		return true
	})
	var p Package
	switch {
	case specW != nil:
		p = l.pkg(*specW, "pipx run", parsePyPISpec(specW.s))
	case len(pos) == 0:
		l.unres(word{s: "pipx run", arg: -1}, "pipx run", "pipx run without a package")
		return
	default:
		p = l.pkg(pos[0], "pipx run", parsePyPISpec(pos[0].s))
		pos = pos[1:]
	}
	if remoteBridges[p.Name] {
		l.url(pos)
	}
}

// Docker and Podman options.
var (
	dockerGlobalVal = []string{"--config", "-c", "--context", "-H", "--host", "-l", "--log-level", "--tlscacert",
		"--tlscert", "--tlskey", "--connection", "--url", "--root", "--runroot", "--storage-driver", "--storage-opt",
		"--cgroup-manager", "--identity", "--module", "--network-cmd-path", "--tmpdir", "--events-backend",
		"--runtime", "--ssh", "--imagestore", "--volumepath", "--hooks-dir", "--cdi-spec-dir", "--conmon", "--namespace", "-n"}
	dockerRunLongVal = []string{"--add-host", "--annotation", "--attach", "--blkio-weight", "--blkio-weight-device",
		"--cap-add", "--cap-drop", "--cgroup-parent", "--cgroupns", "--cidfile", "--cpu-count", "--cpu-percent",
		"--cpu-period", "--cpu-quota", "--cpu-rt-period", "--cpu-rt-runtime", "--cpu-shares", "--cpus",
		"--cpuset-cpus", "--cpuset-mems", "--device", "--device-cgroup-rule", "--device-read-bps",
		"--device-read-iops", "--device-write-bps", "--device-write-iops", "--dns", "--dns-opt", "--dns-option",
		"--dns-search", "--domainname", "--entrypoint", "--env", "--env-file", "--expose", "--gpus", "--group-add",
		"--health-cmd", "--health-interval", "--health-retries", "--health-start-interval", "--health-start-period",
		"--health-timeout", "--hostname", "--ip", "--ip6", "--ipc", "--isolation", "--kernel-memory", "--label",
		"--label-file", "--link", "--link-local-ip", "--log-driver", "--log-opt", "--mac-address", "--memory",
		"--memory-reservation", "--memory-swap", "--memory-swappiness", "--mount", "--name", "--network", "--net",
		"--network-alias", "--net-alias", "--oom-score-adj", "--pid", "--pids-limit", "--platform", "--publish",
		"--pull", "--restart", "--runtime", "--security-opt", "--shm-size", "--stop-signal", "--stop-timeout",
		"--storage-opt", "--sysctl", "--tmpfs", "--ulimit", "--user", "--userns", "--uts", "--volume",
		"--volume-driver", "--volumes-from", "--workdir", "--pod", "--secret", "--uidmap", "--gidmap",
		"--subuidname", "--subgidname", "--arch", "--os", "--variant", "--authfile", "--cert-dir", "--creds",
		"--decryption-key", "--pidfile", "--preserve-fds", "--requires", "--sdnotify", "--seccomp-policy",
		"--timeout", "--tz", "--umask", "--chrootdirs", "--group-entry", "--passwd-entry", "--personality",
		"--hostuser", "--init-path", "--image-volume", "--conmon-pidfile", "--cgroup-conf", "--cgroups",
		"--device-cgroup-rule", "--env-merge", "--hosts-file", "--log-level", "--retry", "--retry-delay",
		"--rdt-class", "--shm-size-systemd", "--unsetenv", "--systemd", "--infra-name"}
	dockerRunShortVal = "acehlmpuvw" // -a -c -e -h -l -m -p -u -v -w take values
)

// docker reads `docker|podman [global options] run|container run [options] image [command …]`.
func (l *launcher) docker(cmd word, words []word, prog string, depth int) {
	i := 0
	for ; i < len(words) && strings.HasPrefix(words[i].s, "-"); i++ {
		name, _, hasVal := option(words[i].s)
		if !hasVal && has(dockerGlobalVal, name) {
			i++
		}
	}
	if i >= len(words) {
		l.unres(cmd, prog, prog+" without a command")
		return
	}
	switch sub := words[i].s; {
	case sub == "run":
		i++
	case sub == "container" && i+1 < len(words) && words[i+1].s == "run":
		i += 2
	case sub == "compose":
		l.unres(words[i], prog, prog+" compose: the image is named in the compose file, which is not read")
		return
	case sub == "exec" || sub == "start" || sub == "attach":
		l.unres(words[i], prog, prog+" "+sub+": runs in an existing container; its image is unknown")
		return
	default:
		l.unres(words[i], prog, prog+" "+shorten(sub)+": not a package launcher")
		return
	}
	rootfs := false
	for ; i < len(words); i++ {
		w := words[i].s
		if w == "--" {
			i++
			break
		}
		if len(w) < 2 || w[0] != '-' {
			break
		}
		if strings.HasPrefix(w, "--") {
			name, _, hasVal := option(w)
			if name == "--rootfs" {
				rootfs = true
			}
			if !hasVal && has(dockerRunLongVal, name) {
				i++
			}
			continue
		}
		for j := 1; j < len(w); j++ { // a cluster of short options: -it, -e X, -eX=1, -itp 80:80
			if strings.IndexByte(dockerRunShortVal, w[j]) >= 0 {
				if j == len(w)-1 {
					i++
				}
				break
			}
		}
	}
	if i >= len(words) {
		l.unres(cmd, prog, prog+" run without an image")
		return
	}
	img := words[i]
	if rootfs {
		l.unres(img, prog, "local code: "+prog+" run --rootfs "+shorten(img.s))
		return
	}
	l.pkg(img, prog, parseImageRef(img.s))
	if inner := words[i+1:]; len(inner) > 0 && packageRunners[progName(inner[0].s)] {
		l.resolve(inner, depth+1) // docker run -i node:22 npx -y pkg: the container fetches pkg
	}
}

// dnx reads `dnx [options] Package[@version] [options] [--] args`.
func (l *launcher) dnx(words []word, runner string) {
	var pkgW *word
	version := ""
	for i := 0; i < len(words); i++ {
		w := words[i].s
		if w == "--" {
			break
		}
		if len(w) > 1 && w[0] == '-' {
			name, val, hasVal := option(w)
			switch name {
			case "--version":
				if v, ok := takeValue(words, &i, val, hasVal); ok {
					version = v.s
				}
			case "--source", "--add-source", "-s", "--configfile", "--framework", "-f", "-v", "--verbosity", "--arch", "-a", "--os":
				v, _ := takeValue(words, &i, val, hasVal)
				if name == "--source" || name == "--add-source" || name == "-s" {
					l.problem(fmt.Sprintf("%s %s %s: packages may not come from nuget.org", runner, name, shorten(v.s)))
				}
			}
			continue
		}
		if pkgW == nil {
			w := words[i]
			pkgW = &w
		}
	}
	if pkgW == nil {
		l.unres(word{s: runner, arg: -1}, runner, runner+" without a package")
		return
	}
	sp := parseNuGetSpec(pkgW.s)
	if sp.unres == "" && version != "" {
		sp.setNuGetVersion(version)
	}
	l.pkg(*pkgW, runner, sp)
}

// dotnet reads `dotnet dnx …` and `dotnet tool exec …`; anything else runs local code.
func (l *launcher) dotnet(cmd word, words []word) {
	switch {
	case len(words) > 0 && words[0].s == "dnx":
		l.dnx(words[1:], "dnx")
	case len(words) > 1 && words[0].s == "tool" && words[1].s == "exec":
		l.dnx(words[2:], "dnx")
	case len(words) > 0:
		l.unres(words[0], "dotnet", "local code: dotnet "+shorten(words[0].s))
	default:
		l.unres(cmd, "dotnet", "dotnet without a command")
	}
}

// deno reads `deno run [options] npm:pkg@v|jsr:…|URL|file`.
func (l *launcher) deno(cmd word, words []word) {
	i := 0
	if i < len(words) && (words[i].s == "run" || words[i].s == "x") {
		i++
	}
	for ; i < len(words) && strings.HasPrefix(words[i].s, "-"); i++ {
		name, _, hasVal := option(words[i].s)
		if !hasVal && has([]string{"-c", "--config", "--import-map", "--cert", "--location", "--seed", "--inspect-wait"}, name) {
			i++
		}
	}
	if i >= len(words) {
		l.unres(cmd, "deno", "deno without a module")
		return
	}
	w := words[i]
	switch low := strings.ToLower(w.s); {
	case strings.HasPrefix(low, "npm:"):
		l.pkg(w, "deno", parseNPMSpec(w.s[len("npm:"):]))
	case strings.HasPrefix(low, "jsr:"):
		l.unres(w, "deno", "JSR package "+quoteSpec(w.s)+": the JSR registry is not supported")
	case strings.HasPrefix(low, "http://") || strings.HasPrefix(low, "https://"):
		l.unres(w, "deno", "remote module "+quoteSpec(w.s)+": not a registry release")
	default:
		l.unres(w, "deno", "local code: "+shorten(w.s))
	}
}

// interpValOpts are interpreters' options that take a value; interpEvalOpts those whose value is code.
var (
	interpValOpts = map[string][]string{
		"node":   {"-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions", "--title", "--input-type"},
		"python": {"-W", "-X"},
		"java":   {"-cp", "-classpath", "--class-path", "-p", "--module-path", "--add-modules", "-D"},
	}
	interpEvalOpts = map[string][]string{
		"node": {"-e", "--eval", "-p", "--print"}, "python": {"-c"}, "ruby": {"-e"}, "perl": {"-e", "-E"},
		"php": {"-r"}, "tsx": {"-e", "--eval"}, "ts-node": {"-e", "--eval"}, "julia": {"-e"}, "lua": {"-e"},
	}
)

// interpreter reads `node script.js`, `python -m module`, `java -jar x.jar`, `go run pkg@v`, …: local
// code (or a Go module, whose ecosystem is not supported).
func (l *launcher) interpreter(cmd word, words []word, name string) {
	key := name
	switch name {
	case "nodejs":
		key = "node"
	case "py", "pythonw":
		key = "python"
	}
	if name == "go" || name == "cargo" {
		if len(words) > 0 && words[0].s == "run" {
			words = words[1:]
		}
	}
	for i := 0; i < len(words); i++ {
		w := words[i].s
		if w == "--" {
			continue
		}
		if len(w) > 1 && w[0] == '-' {
			opt, _, hasVal := option(w)
			switch {
			case has(interpEvalOpts[key], opt):
				l.unres(words[i], name, "inline code passed to "+name+" "+opt)
				return
			case key == "python" && strings.HasPrefix(opt, "-m") && opt != "-m":
				l.unres(words[i], name, "local code: python -m "+shorten(opt[2:]))
				return
			case key == "python" && opt == "-m" && i+1 < len(words):
				l.unres(words[i+1], name, "local code: python -m "+shorten(words[i+1].s))
				return
			case key == "java" && opt == "-jar" && i+1 < len(words):
				l.unres(words[i+1], name, "local code: "+shorten(words[i+1].s))
				return
			case !hasVal && has(interpValOpts[key], opt):
				i++
			}
			continue
		}
		if name == "go" && strings.Contains(w, "@") && !isPathLike(w) {
			l.unres(words[i], name, "Go module "+quoteSpec(w)+": the Go ecosystem is not supported")
			return
		}
		l.unres(words[i], name, "local code: "+shorten(w))
		return
	}
	l.unres(cmd, name, "local code: "+name+" without a script")
}

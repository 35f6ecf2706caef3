package vim

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// DirectivePrefix starts a userdata directive line: #obdocker:key=value.
const DirectivePrefix = "#obdocker:"

// Userdata is what the driver takes from a launch's userdata script: the
// environment its assignments define, and its directive lines.
type Userdata struct {
	// Env holds the `export KEY=VALUE` and `KEY=VALUE` assignments (later
	// ones win). Never nil.
	Env map[string]string
	// Directives are the #obdocker: lines, in order.
	Directives []Directive
	// Skipped says which assignment-like words were left out and why (for
	// a debug log): invalid names, values that need shell expansion.
	Skipped []Skipped
}

// Directive is one #obdocker:key=value line.
type Directive struct {
	Line  int // 1-based
	Key   string
	Value string
}

// Skipped is an assignment the parser did not take.
type Skipped struct {
	Line   int
	Word   string
	Reason string
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidEnvName reports whether s is a shell variable name.
func ValidEnvName(s string) bool { return envName.MatchString(s) }

// ParseUserdata reads a userdata script. It understands just enough shell
// to find plain assignments: quoting (single, double, backslash), comments,
// line continuations, command separators (; & | && ||), here-documents
// (their bodies are skipped) and $(…), ${…}, `…` (skipped as a whole).
// An assignment is taken when it stands alone as a command (`A=1`, `A=1
// B=2`) or follows `export`; `A=1 cmd` (environment for one command) is not.
// Values that depend on the shell (unquoted or double-quoted $ or `) are
// skipped rather than passed on literally. Everything else in the script
// is ignored: the container is not a shell.
func ParseUserdata(script string) Userdata {
	u := Userdata{Env: map[string]string{}}
	for i, line := range strings.Split(script, "\n") {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, DirectivePrefix) {
			continue
		}
		k, v, _ := strings.Cut(t[len(DirectivePrefix):], "=")
		u.Directives = append(u.Directives, Directive{Line: i + 1, Key: strings.ToLower(strings.TrimSpace(k)), Value: strings.TrimSpace(v)})
	}
	lx := &lexer{s: script, line: 1}
	for {
		cmd, more := lx.command()
		u.take(cmd)
		if !more {
			break
		}
	}
	return u
}

func (u *Userdata) take(c command) {
	if len(c.words) == 0 || c.redirect {
		return
	}
	words := c.words
	export := words[0].text == "export" && words[0].plain
	if export {
		words = words[1:]
	} else {
		for _, w := range words {
			if w.eq <= 0 {
				return // a command, maybe with a one-off environment
			}
		}
	}
	for _, w := range words {
		if w.eq < 0 {
			continue // export -n, export NAME: nothing to take
		}
		name, value := w.text[:w.eq], w.text[w.eq+1:]
		switch {
		case !ValidEnvName(name):
			u.Skipped = append(u.Skipped, Skipped{Line: w.line, Word: w.text, Reason: fmt.Sprintf("invalid variable name %q", name)})
		case w.expands:
			u.Skipped = append(u.Skipped, Skipped{Line: w.line, Word: w.text, Reason: "value needs shell expansion"})
		case strings.ContainsRune(value, 0):
			u.Skipped = append(u.Skipped, Skipped{Line: w.line, Word: name, Reason: "value contains a NUL byte"})
		default:
			u.Env[name] = value
		}
	}
}

// RenderEnv writes env as a script ParseUserdata reads back into env
// (sorted `export KEY='value'` lines).
func RenderEnv(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s=%s\n", k, ShellQuote(env[k]))
	}
	return b.String()
}

// ShellQuote single-quotes s for a POSIX shell.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

type word struct {
	text string
	// eq is the index in text of an unquoted '=' preceded only by unquoted
	// literal characters, else -1.
	eq      int
	expands bool // unquoted or double-quoted $ or `
	plain   bool // no quoting at all
	line    int
}

type command struct {
	words    []word
	redirect bool // has < or > (and so is no plain assignment)
}

type lexer struct {
	s        string
	i        int
	line     int
	heredocs []heredoc // pending, read at the next newline
}

type heredoc struct {
	delim     string
	stripTabs bool
}

// command reads the next simple command; more is false at the end.
func (lx *lexer) command() (c command, more bool) {
	for lx.i < len(lx.s) {
		ch := lx.s[lx.i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\r':
			lx.i++
		case ch == '\\' && lx.i+1 < len(lx.s) && lx.s[lx.i+1] == '\n':
			lx.i += 2
			lx.line++
		case ch == '\n':
			lx.i++
			lx.line++
			lx.readHeredocs()
			return c, true
		case ch == '#':
			for lx.i < len(lx.s) && lx.s[lx.i] != '\n' {
				lx.i++
			}
		case ch == ';' || ch == '&' || ch == '|' || ch == '(' || ch == ')':
			lx.i++
			return c, true
		case ch == '<' || ch == '>':
			c.redirect = true
			n := 0
			for lx.i < len(lx.s) && lx.s[lx.i] == ch {
				lx.i++
				n++
			}
			if ch == '<' && n == 2 {
				h := heredoc{}
				if lx.i < len(lx.s) && lx.s[lx.i] == '-' {
					h.stripTabs = true
					lx.i++
				}
				for lx.i < len(lx.s) && (lx.s[lx.i] == ' ' || lx.s[lx.i] == '\t') {
					lx.i++
				}
				if lx.i < len(lx.s) && !strings.ContainsRune("\n;&|()<>", rune(lx.s[lx.i])) {
					h.delim = lx.word().text
					lx.heredocs = append(lx.heredocs, h)
				}
			}
		default:
			c.words = append(c.words, lx.word())
		}
	}
	return c, false
}

// readHeredocs skips the bodies of pending here-documents.
func (lx *lexer) readHeredocs() {
	for _, h := range lx.heredocs {
		for lx.i < len(lx.s) {
			end := strings.IndexByte(lx.s[lx.i:], '\n')
			var l string
			if end < 0 {
				l, lx.i = lx.s[lx.i:], len(lx.s)
			} else {
				l, lx.i = lx.s[lx.i:lx.i+end], lx.i+end+1
				lx.line++
			}
			l = strings.TrimSuffix(l, "\r")
			if h.stripTabs {
				l = strings.TrimLeft(l, "\t")
			}
			if l == h.delim {
				break
			}
		}
	}
	lx.heredocs = nil
}

// word reads one shell word at lx.i.
func (lx *lexer) word() word {
	w := word{eq: -1, plain: true, line: lx.line}
	var b strings.Builder
	literal := true // only unquoted literal characters so far
	for lx.i < len(lx.s) {
		ch := lx.s[lx.i]
		switch ch {
		case ' ', '\t', '\r', '\n', ';', '&', '|', '(', ')', '<', '>':
			w.text = b.String()
			return w
		case '\\':
			w.plain, literal = false, false
			if lx.i+1 >= len(lx.s) {
				b.WriteByte('\\')
				lx.i++
				continue
			}
			if lx.s[lx.i+1] == '\n' {
				lx.line++
			} else {
				b.WriteByte(lx.s[lx.i+1])
			}
			lx.i += 2
		case '\'':
			w.plain, literal = false, false
			end := strings.IndexByte(lx.s[lx.i+1:], '\'')
			if end < 0 {
				end = len(lx.s) - lx.i - 1
			}
			body := lx.s[lx.i+1 : lx.i+1+end]
			b.WriteString(body)
			lx.line += strings.Count(body, "\n")
			lx.i += end + 2
		case '"':
			w.plain, literal = false, false
			lx.i++
			lx.doubleQuoted(&b, &w)
		case '$', '`':
			w.expands, literal = true, false
			start := lx.i
			lx.skipExpansion()
			b.WriteString(lx.s[start:min(lx.i, len(lx.s))])
		case '=':
			if w.eq < 0 && literal {
				w.eq = b.Len()
			}
			b.WriteByte(ch)
			lx.i++
		default:
			b.WriteByte(ch)
			lx.i++
		}
	}
	if lx.i > len(lx.s) {
		lx.i = len(lx.s)
	}
	w.text = b.String()
	return w
}

// doubleQuoted reads up to the closing quote; lx.i is just past the opening one.
func (lx *lexer) doubleQuoted(b *strings.Builder, w *word) {
	for lx.i < len(lx.s) {
		ch := lx.s[lx.i]
		switch ch {
		case '"':
			lx.i++
			return
		case '\\':
			if lx.i+1 < len(lx.s) {
				switch n := lx.s[lx.i+1]; n {
				case '$', '`', '"', '\\':
					b.WriteByte(n)
					lx.i += 2
					continue
				case '\n':
					lx.line++
					lx.i += 2
					continue
				}
			}
			b.WriteByte('\\')
			lx.i++
		case '$', '`':
			w.expands = true
			start := lx.i
			lx.skipExpansion()
			b.WriteString(lx.s[start:min(lx.i, len(lx.s))])
		default:
			if ch == '\n' {
				lx.line++
			}
			b.WriteByte(ch)
			lx.i++
		}
	}
}

// skipExpansion moves past $name, ${…}, $(…), $((…)) or `…` at lx.i, so
// that separators inside them do not split the command.
func (lx *lexer) skipExpansion() {
	s := lx.s
	if s[lx.i] == '`' {
		end := strings.IndexByte(s[lx.i+1:], '`')
		if end < 0 {
			lx.i = len(s)
			return
		}
		lx.line += strings.Count(s[lx.i:lx.i+end+2], "\n")
		lx.i += end + 2
		return
	}
	lx.i++ // '$'
	if lx.i >= len(s) {
		return
	}
	var open, close byte
	switch s[lx.i] {
	case '{':
		open, close = '{', '}'
	case '(':
		open, close = '(', ')'
	default:
		for lx.i < len(s) && (s[lx.i] == '_' || s[lx.i] >= 'a' && s[lx.i] <= 'z' || s[lx.i] >= 'A' && s[lx.i] <= 'Z' || s[lx.i] >= '0' && s[lx.i] <= '9') {
			lx.i++
		}
		return
	}
	depth := 0
	for lx.i < len(s) {
		switch s[lx.i] {
		case open:
			depth++
		case close:
			depth--
		case '\n':
			lx.line++
		}
		lx.i++
		if depth == 0 {
			return
		}
	}
}

package nfvimages

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Dockerfile is a parsed Dockerfile: enough of the syntax to lint NFV images
// (continuations, comments, parser directives, stages, exec vs shell form,
// LABEL/ENV/ARG pairs). Variables are not expanded and heredocs (a BuildKit
// extension the legacy builder lacks) are not supported.
type Dockerfile struct {
	// Escape is the escape and line-continuation character (\ or `).
	Escape byte
	// Args are the ARG instructions before the first FROM (they only feed
	// FROM lines).
	Args   []Instruction
	Stages []Stage
}

// Stage is one FROM and the instructions up to the next FROM.
type Stage struct {
	// Index counts stages from 0.
	Index int
	// Base is the image (or earlier stage) named by FROM.
	Base string
	// Name is the AS name as written ("" if none); stage names compare
	// case-insensitively.
	Name string
	// Line is the FROM's line.
	Line         int
	From         Instruction
	Instructions []Instruction
}

// Instruction is one logical instruction, continuation lines joined.
type Instruction struct {
	// Keyword is upper case: FROM, RUN, CMD, ...
	Keyword string
	// Line is the 1-based line the keyword is on; EndLine the last physical
	// line of the instruction.
	Line, EndLine int
	// Flags are the leading --name[=value] words, as written.
	Flags []string
	// Value is the rest of the instruction, continuations joined, trimmed.
	Value string
	// JSON is set when Value is a JSON array of strings (exec form); Exec
	// then holds it. Only RUN, CMD, ENTRYPOINT, SHELL, VOLUME, ADD and COPY
	// look at it.
	JSON bool
	Exec []string
}

// ParseError is a Dockerfile syntax error at a line.
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

var keywords = map[string]bool{
	"FROM": true, "RUN": true, "CMD": true, "LABEL": true, "MAINTAINER": true, "EXPOSE": true,
	"ENV": true, "ADD": true, "COPY": true, "ENTRYPOINT": true, "VOLUME": true, "USER": true,
	"WORKDIR": true, "ARG": true, "ONBUILD": true, "STOPSIGNAL": true, "HEALTHCHECK": true,
	"SHELL": true,
}

// jsonKeywords may be written in exec (JSON) form.
var jsonKeywords = map[string]bool{
	"RUN": true, "CMD": true, "ENTRYPOINT": true, "SHELL": true, "VOLUME": true, "ADD": true, "COPY": true,
}

// directive matches a parser directive line such as "# escape=X", only allowed
// before anything else in the file.
var directive = regexp.MustCompile(`^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$`)

// Parse reads a Dockerfile. Errors are *ParseError, or the reader's error.
func Parse(r io.Reader) (*Dockerfile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read dockerfile: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	for sc.Scan() {
		lines = append(lines, strings.TrimSuffix(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read dockerfile: %w", err)
	}

	d := &Dockerfile{Escape: '\\'}
	i := 0
	// Directives come first; the first non-directive line ends them.
	for seen := map[string]bool{}; i < len(lines); i++ {
		m := directive.FindStringSubmatch(lines[i])
		if m == nil {
			break
		}
		name := strings.ToLower(m[1])
		if name != "escape" && name != "syntax" && name != "check" {
			break // an unknown directive is a comment, and comments end the directives
		}
		if seen[name] {
			return nil, &ParseError{Line: i + 1, Msg: fmt.Sprintf("parser directive %s given twice", name)}
		}
		seen[name] = true
		if name == "escape" {
			if m[2] != "\\" && m[2] != "`" {
				return nil, &ParseError{Line: i + 1, Msg: fmt.Sprintf("invalid escape character %q (\\ or `)", m[2])}
			}
			d.Escape = m[2][0]
		}
	}

	for i < len(lines) {
		first := strings.TrimLeft(lines[i], " \t")
		i++
		if first == "" || first[0] == '#' {
			continue
		}
		start := i
		text, more := trimContinuation(first, d.Escape)
		for more && i < len(lines) {
			l := lines[i]
			i++
			t := strings.TrimLeft(l, " \t")
			if t == "" || t[0] == '#' {
				// Comments and blank lines inside a continuation are dropped, as Docker does.
				continue
			}
			var part string
			part, more = trimContinuation(l, d.Escape)
			text += part
		}
		inst, err := parseInstruction(text, start, i, d.Escape)
		if err != nil {
			return nil, err
		}
		if err := d.add(inst); err != nil {
			return nil, err
		}
	}
	if len(d.Stages) == 0 {
		return nil, &ParseError{Line: max(len(lines), 1), Msg: "no FROM instruction"}
	}
	return d, nil
}

// trimContinuation strips a trailing escape character (and any blanks after
// it) and reports whether the instruction continues on the next line.
func trimContinuation(line string, escape byte) (string, bool) {
	t := strings.TrimRight(line, " \t")
	if t != "" && t[len(t)-1] == escape {
		return t[:len(t)-1], true
	}
	return line, false
}

func parseInstruction(text string, line, endLine int, escape byte) (Instruction, error) {
	text = strings.TrimSpace(text)
	kw, rest, _ := strings.Cut(text, " ")
	if k, r, ok := strings.Cut(text, "\t"); ok && len(k) < len(kw) {
		kw, rest = k, r
	}
	inst := Instruction{Keyword: strings.ToUpper(kw), Line: line, EndLine: endLine}
	if !keywords[inst.Keyword] {
		return inst, &ParseError{Line: line, Msg: fmt.Sprintf("unknown instruction %q", kw)}
	}
	rest = strings.TrimLeft(rest, " \t")
	for strings.HasPrefix(rest, "--") {
		flag, after, _ := cutBlank(rest)
		if flag == "--" {
			rest = after
			break
		}
		inst.Flags = append(inst.Flags, flag)
		rest = after
	}
	inst.Value = strings.TrimSpace(rest)
	if jsonKeywords[inst.Keyword] && strings.HasPrefix(inst.Value, "[") {
		var exec []string
		if json.Unmarshal([]byte(inst.Value), &exec) == nil && exec != nil {
			inst.JSON, inst.Exec = true, exec
		}
	}
	return inst, nil
}

// cutBlank splits s at its first blank run.
func cutBlank(s string) (word, rest string, found bool) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, "", false
	}
	return s[:i], strings.TrimLeft(s[i:], " \t"), true
}

func (d *Dockerfile) add(inst Instruction) error {
	if inst.Keyword == "FROM" {
		st, err := d.newStage(inst)
		if err != nil {
			return err
		}
		d.Stages = append(d.Stages, st)
		return nil
	}
	if len(d.Stages) == 0 {
		if inst.Keyword != "ARG" {
			return &ParseError{Line: inst.Line, Msg: fmt.Sprintf("%s before the first FROM (only ARG may come before it)", inst.Keyword)}
		}
		if _, err := inst.Pairs(d.Escape); err != nil {
			return err
		}
		d.Args = append(d.Args, inst)
		return nil
	}
	switch inst.Keyword {
	case "LABEL", "ENV", "ARG":
		// Validate the pairs now, so Lint and the fuzzer see one error path.
		if _, err := inst.Pairs(d.Escape); err != nil {
			return err
		}
	}
	st := &d.Stages[len(d.Stages)-1]
	st.Instructions = append(st.Instructions, inst)
	return nil
}

func (d *Dockerfile) newStage(inst Instruction) (Stage, error) {
	words, err := Words(inst.Value, d.Escape)
	if err != nil {
		return Stage{}, &ParseError{Line: inst.Line, Msg: "FROM: " + err.Error()}
	}
	st := Stage{Index: len(d.Stages), Line: inst.Line, From: inst}
	switch {
	case len(words) == 1:
	case len(words) == 3 && strings.EqualFold(words[1], "AS"):
		st.Name = words[2]
	default:
		return Stage{}, &ParseError{Line: inst.Line, Msg: "FROM takes an image and optionally AS name"}
	}
	st.Base = words[0]
	if st.Name != "" {
		for _, o := range d.Stages {
			if strings.EqualFold(o.Name, st.Name) {
				return Stage{}, &ParseError{Line: inst.Line, Msg: fmt.Sprintf("stage name %q already used at line %d", st.Name, o.Line)}
			}
		}
	}
	return st, nil
}

// Pair is one name=value of a LABEL, ENV or ARG. HasValue is false for an
// ARG without a default.
type Pair struct {
	Key, Value string
	HasValue   bool
}

// Pairs parses a LABEL, ENV or ARG instruction: `k=v k2="v 2"...`, or the
// legacy single `k v` form (LABEL and ENV), or bare names (ARG).
func (inst Instruction) Pairs(escape byte) ([]Pair, error) {
	errf := func(format string, args ...any) error {
		return &ParseError{Line: inst.Line, Msg: inst.Keyword + ": " + fmt.Sprintf(format, args...)}
	}
	words, err := Words(inst.Value, escape)
	if err != nil {
		return nil, errf("%v", err)
	}
	if len(words) == 0 {
		return nil, errf("needs at least one argument")
	}
	if inst.Keyword != "ARG" && !strings.Contains(words[0], "=") {
		// Legacy form: the first word is the key, the rest of the text the value.
		key := words[0]
		_, rest, _ := cutBlank(strings.TrimSpace(inst.Value))
		val, err := Words(rest, escape)
		if err != nil {
			return nil, errf("%v", err)
		}
		if len(val) == 0 {
			return nil, errf("%s has no value (write %s=value)", key, key)
		}
		return []Pair{{Key: key, Value: joinLegacy(rest, escape), HasValue: true}}, nil
	}
	var pairs []Pair
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok && inst.Keyword != "ARG" {
			return nil, errf("%q is not name=value", w)
		}
		if k == "" {
			return nil, errf("empty name in %q", w)
		}
		pairs = append(pairs, Pair{Key: k, Value: v, HasValue: ok})
	}
	return pairs, nil
}

// joinLegacy unquotes a legacy-form value while keeping its inner blanks.
func joinLegacy(s string, escape byte) string {
	var b strings.Builder
	_ = lex(s, escape, func(c byte, quoted, mark bool) {
		if !mark {
			b.WriteByte(c)
		}
	})
	return b.String()
}

// Words splits s at blanks outside quotes and removes the quoting: "..."
// (escape protects " $ and itself), '...' (literal), and escape outside
// quotes (protects any character).
func Words(s string, escape byte) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	err := lex(s, escape, func(c byte, quoted, mark bool) {
		switch {
		case mark:
			inWord = true // "" is an empty word, not nothing
		case !quoted && (c == ' ' || c == '\t'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	})
	if err != nil {
		return nil, err
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// lex walks s and calls emit for each literal byte, saying whether it was
// quoted or escaped; mark calls (no byte) report an empty pair of quotes.
func lex(s string, escape byte, emit func(c byte, quoted, mark bool)) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == escape:
			if i+1 < len(s) {
				i++
				emit(s[i], true, false)
			} else {
				emit(c, false, false)
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return fmt.Errorf("unterminated single quote")
			}
			emit(0, true, true)
			for k := i + 1; k <= i+j; k++ {
				emit(s[k], true, false)
			}
			i += j + 1
		case c == '"':
			emit(0, true, true)
			closed := false
			for i++; i < len(s); i++ {
				c := s[i]
				if c == '"' {
					closed = true
					break
				}
				if c == escape && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == escape || s[i+1] == '$') {
					i++
					c = s[i]
				}
				emit(c, true, false)
			}
			if !closed {
				return fmt.Errorf("unterminated double quote")
			}
		default:
			emit(c, false, false)
		}
	}
	return nil
}

// Format writes d back as a Dockerfile, one line per instruction, comments
// and continuations gone. Parsing the result gives the same instructions,
// except for a value that ends with the escape character (possible only
// when the original file ended inside a continuation).
func (d *Dockerfile) Format() string {
	var b strings.Builder
	if d.Escape != '\\' {
		fmt.Fprintf(&b, "# escape=%c\n", d.Escape)
	}
	write := func(inst Instruction) {
		b.WriteString(inst.Keyword)
		for _, f := range inst.Flags {
			b.WriteString(" " + f)
		}
		if strings.HasPrefix(inst.Value, "--") {
			b.WriteString(" --") // keep a value that looks like a flag a value
		}
		if inst.Value != "" {
			b.WriteString(" " + inst.Value)
		}
		b.WriteByte('\n')
	}
	for _, a := range d.Args {
		write(a)
	}
	for _, st := range d.Stages {
		write(st.From)
		for _, inst := range st.Instructions {
			write(inst)
		}
	}
	return b.String()
}

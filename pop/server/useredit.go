package server

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	"github.com/openbaton-docker/obdocker/pop"
)

// The user commands edit the configuration file as text, one [Users.NAME]
// table at a time, so the other keys, the other users and the comments
// stay as the operator wrote them. Every edit is checked by decoding the
// result: if it does not hold exactly the expected users, with everything
// else unchanged, nothing is written.

// userHeader matches a [Users.NAME] table header: NAME bare, "quoted" or
// 'literal'.
var userHeader = regexp.MustCompile(`^\s*\[\s*Users\s*\.\s*([A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')\s*\]\s*(?:#.*)?$`)

// tableHeader matches any table or array-of-tables header.
var tableHeader = regexp.MustCompile(`^\s*\[`)

// UserInfo is a user as `docker-popd user list` shows it.
type UserInfo struct {
	Name string
	// Cost is the bcrypt cost of the hash (0 if it is not a bcrypt hash).
	Cost int
}

// ListUsers reads the users of the file at path, sorted by name.
func ListUsers(path string) ([]UserInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	cfg, _, err := decodeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]UserInfo, 0, len(cfg.Users))
	for _, name := range cfg.Users.names() {
		out = append(out, UserInfo{Name: name, Cost: hashCost(cfg.Users[name].HashedPassword)})
	}
	return out, nil
}

// AddUser adds u to the file at path. A user of that name is an
// ErrAlreadyExists error unless replace is set (a new password).
func AddUser(path string, u User, replace bool) error {
	if err := checkUserName(u.Name); err != nil {
		return err
	}
	return editFile(path, func(text string, before Users) (string, Users, error) {
		if _, ok := before[u.Name]; ok {
			if !replace {
				return "", nil, pop.Errorf(pop.ErrAlreadyExists, "user %q exists in %s (use -replace to give it a new password)", u.Name, path)
			}
			var err error
			if text, err = cutUser(text, u.Name); err != nil {
				return "", nil, err
			}
		}
		want := maps.Clone(before)
		want[u.Name] = u
		return insertUser(text, u), want, nil
	})
}

// RemoveUser removes the user name from the file at path. The last user
// cannot go: docker-popd would refuse to start.
func RemoveUser(path, name string) error {
	return editFile(path, func(text string, before Users) (string, Users, error) {
		if _, ok := before[name]; !ok {
			return "", nil, pop.Errorf(pop.ErrNotFound, "user %q is not in %s", name, path)
		}
		if len(before) == 1 {
			return "", nil, pop.Errorf(pop.ErrInvalidArgument, "user %q is the only user of %s: add another first", name, path)
		}
		text, err := cutUser(text, name)
		if err != nil {
			return "", nil, err
		}
		want := maps.Clone(before)
		delete(want, name)
		return text, want, nil
	})
}

// checkUserName refuses names the file and the logs could not show as
// they are.
func checkUserName(name string) error {
	switch {
	case name == "":
		return pop.Errorf(pop.ErrInvalidArgument, "empty user name")
	case len(name) > maxUserLen:
		return pop.Errorf(pop.ErrInvalidArgument, "user name longer than %d bytes", maxUserLen)
	case strings.TrimSpace(name) != name:
		return pop.Errorf(pop.ErrInvalidArgument, "user name %q has surrounding spaces", name)
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return pop.Errorf(pop.ErrInvalidArgument, "user name %q has characters that cannot be printed", name)
	}
	return nil
}

// editFile applies edit to the file's text and writes the result in place
// if it decodes to the users edit promised and to the same settings.
func editFile(path string, edit func(text string, before Users) (string, Users, error)) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("edit users: %w", err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("edit users: %w", err)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		return fmt.Errorf("edit users: %w", err)
	}
	before, _, err := decodeConfig(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	text, want, err := edit(string(data), before.Users)
	if err != nil {
		return err
	}
	after, _, err := decodeConfig([]byte(text))
	if err != nil || !sameUsers(after.Users, want) || !sameSettings(before, after) {
		return pop.Errorf(pop.ErrInvalidArgument, "%s: the users are not laid out as [Users.NAME] tables, "+
			"so they cannot be edited in place; edit the file by hand", path)
	}
	return replaceFile(real, []byte(text), fi)
}

func sameUsers(a, b Users) bool {
	return maps.EqualFunc(a, b, func(x, y User) bool { return x.HashedPassword == y.HashedPassword })
}

// sameSettings compares everything but the users.
func sameSettings(a, b Config) bool {
	a.Users, b.Users = nil, nil
	ea, err1 := EncodeConfig(a)
	eb, err2 := EncodeConfig(b)
	return err1 == nil && err2 == nil && bytes.Equal(ea, eb)
}

// userBlocks gives the line ranges [start, end) of each [Users.NAME] table.
func userBlocks(lines []string) map[string][2]int {
	out := map[string][2]int{}
	for i := 0; i < len(lines); i++ {
		m := userHeader.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		name := tomlKey(m[1])
		end := i + 1
		for end < len(lines) && !tableHeader.MatchString(lines[end]) {
			end++
		}
		// Blank lines and comments just before the next table belong to it.
		for end > i+1 && (strings.TrimSpace(lines[end-1]) == "" || strings.HasPrefix(strings.TrimSpace(lines[end-1]), "#")) && end < len(lines) {
			end--
		}
		out[name] = [2]int{i, end}
		i = end - 1
	}
	return out
}

func tomlKey(k string) string {
	switch {
	case strings.HasPrefix(k, `"`):
		if s, err := strconv.Unquote(k); err == nil {
			return s
		}
		return k
	case strings.HasPrefix(k, "'"):
		return strings.Trim(k, "'")
	}
	return k
}

func cutUser(text, name string) (string, error) {
	lines := strings.Split(text, "\n")
	b, ok := userBlocks(lines)[name]
	if !ok {
		return "", pop.Errorf(pop.ErrInvalidArgument, "user %q is not written as a [Users.%s] table; edit the file by hand", name, name)
	}
	return strings.Join(slices.Delete(lines, b[0], b[1]), "\n"), nil
}

// insertUser puts u's table after the last user table, or at the end.
func insertUser(text string, u User) string {
	key := u.Name
	if !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(key) {
		key = strconv.Quote(key)
	}
	block := []string{"  [Users." + key + "]", "    Name = " + strconv.Quote(u.Name), "    HashedPassword = " + strconv.Quote(u.HashedPassword)}
	lines := strings.Split(text, "\n")
	at := -1
	for _, b := range userBlocks(lines) {
		at = max(at, b[1])
	}
	if at < 0 {
		if len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		lines = append(lines, "", "[Users]")
		lines = append(lines, block...)
		return strings.Join(lines, "\n") + "\n"
	}
	return strings.Join(slices.Insert(lines, at, block...), "\n")
}

func hashCost(h string) int {
	c, err := bcrypt.Cost([]byte(h))
	if err != nil {
		return 0
	}
	return c
}

// replaceFile writes data over path atomically, keeping its mode and
// owner (a root operator must not leave the daemon's user unable to read
// it).
func replaceFile(path string, data []byte, fi os.FileInfo) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".docker-popd-*.toml")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename this only drops the temporary name
	err = errors.Join(tmp.Chmod(fi.Mode().Perm()), keepOwner(tmp, fi))
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

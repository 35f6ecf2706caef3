// Package cliflags holds the flag handling the project's command-line
// tools share.
package cliflags

import "flag"

// ParseInterleaved parses fs over args, letting flags follow positional
// arguments (vimctl call getType -vim x.json); after "--" every argument
// is positional (for JSON such as -1). It returns the positional ones.
func ParseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

package popd

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/openbaton-docker/obdocker/internal/cliflags"
	"github.com/openbaton-docker/obdocker/pop/server"
)

const userUsage = `Usage:
  docker-popd user add [-cfg PATH] [-password PASS] [-replace] NAME
  docker-popd user remove [-cfg PATH] NAME
  docker-popd user list [-cfg PATH]

add, remove and list the users of a configuration file. The file is edited
in place: the other users, every setting (PopName, networks, ...) and the
comments stay, and so do its mode and owner. Without -password, add asks
twice on a terminal, or reads one line from standard input:
  echo "$PASS" | docker-popd user add -cfg /etc/docker-popd.toml alice
A running docker-popd reads its users at start: restart it to apply.
`

// runUser runs `docker-popd user VERB ...`.
func runUser(args []string, env Env) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stderr, userUsage)
		if len(args) == 0 {
			return usageErr(errors.New("user: want add, remove or list"))
		}
		return nil
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("docker-popd user "+verb, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, userUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	cfgPath := fs.String("cfg", DefaultConfigPath, "configuration file to edit")
	var password *string
	var replace *bool
	if verb == "add" {
		password = fs.String("password", "", "password (visible to other local users in the process list: prefer the prompt or stdin)")
		replace = fs.Bool("replace", false, "give an existing user a new password")
	}
	switch verb {
	case "add", "remove", "list":
	default:
		fmt.Fprint(env.Stderr, userUsage)
		return usageErr(fmt.Errorf("user: unknown command %q (want add, remove or list)", verb))
	}
	pos, err := cliflags.ParseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return usageErr(err)
	}
	switch verb {
	case "list":
		if len(pos) != 0 {
			return usageErr(fmt.Errorf("user list: unexpected argument %q", pos[0]))
		}
		users, err := server.ListUsers(*cfgPath)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USER\tBCRYPT COST")
		for _, u := range users {
			cost := fmt.Sprint(u.Cost)
			if u.Cost == 0 {
				cost = "not a bcrypt hash"
			}
			fmt.Fprintf(tw, "%s\t%s\n", u.Name, cost)
		}
		return tw.Flush()
	case "remove":
		if len(pos) != 1 {
			return usageErr(errors.New("user remove: want one user NAME"))
		}
		if err := server.RemoveUser(*cfgPath, pos[0]); err != nil {
			return fmt.Errorf("user remove: %w", err)
		}
		fmt.Fprintf(env.Stdout, "removed user %q from %s; restart docker-popd to apply\n", pos[0], *cfgPath)
		return nil
	}
	if len(pos) != 1 {
		return usageErr(errors.New("user add: want one user NAME"))
	}
	name := pos[0]
	pass := *password
	if pass == "" {
		if pass, err = readPassword(env, bufio.NewReader(env.Stdin), "user add"); err != nil {
			return err
		}
	}
	u, err := server.NewUser(name, pass)
	if err != nil {
		return usageErr(fmt.Errorf("user add: %w", err))
	}
	if err := server.AddUser(*cfgPath, u, *replace); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(env.Stdout, "added user %q to %s; restart docker-popd to apply\n", name, *cfgPath)
	return nil
}

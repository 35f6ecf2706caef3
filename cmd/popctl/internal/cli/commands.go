package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/openbaton-docker/obdocker/pop"
)

// session is one command's connection and output.
type session struct {
	pop.Pop
	out  io.Writer
	json bool
	addr string
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// maxCell bounds a table cell: a long FAILED message must not push the
// other columns off the screen (the whole text is in -json and in the
// single-container view).
const maxCell = 60

func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	if utf8.RuneCountInString(s) > maxCell {
		r := []rune(s)
		return string(r[:maxCell-1]) + "…"
	}
	return s
}

func (s *session) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(s.out, string(b))
	return err
}

func noArgs(args []string, max int) error {
	if len(args) > max {
		return usageError{fmt.Sprintf("unexpected argument %q", args[max])}
	}
	return nil
}

func cmdLogin(ctx context.Context, s *session, _ *cmdOpts, args []string) error {
	if err := noArgs(args, 0); err != nil {
		return err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	if s.json {
		return s.printJSON(info)
	}
	fmt.Fprintf(s.out, "logged in to %s: Pop %q on Docker %s (API %s)\n", s.addr, info.PopName, info.DockerVersion, info.APIVersion)
	return nil
}

func cmdContainers(ctx context.Context, s *session, _ *cmdOpts, args []string) error {
	if err := noArgs(args, 1); err != nil {
		return err
	}
	f := pop.Filter{}
	if len(args) == 1 {
		f = target(args[0])
	}
	cs, err := s.Containers(ctx, f)
	if err != nil {
		return err
	}
	if s.json {
		return s.printJSON(cs)
	}
	if len(args) == 1 && len(cs) == 1 {
		return s.showContainer(cs[0])
	}
	return s.containerTable(cs)
}

func endpoints(eps []pop.Endpoint) string {
	parts := make([]string, 0, len(eps))
	for _, e := range eps {
		parts = append(parts, e.NetName+"="+e.IPv4)
	}
	return strings.Join(parts, ",")
}

func (s *session) containerTable(cs []pop.Container) error {
	tw := newTable(s.out)
	fmt.Fprintln(tw, "NAME\tSTATE\tIMAGE\tADDRESSES\tID\tSTATUS")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cell(c.Name), c.State, cell(c.Image), cell(endpoints(c.Endpoints)), c.ID, cell(c.ExtendedStatus))
	}
	return tw.Flush()
}

// showContainer prints one container in full, its status untruncated.
func (s *session) showContainer(c pop.Container) error {
	tw := newTable(s.out)
	row := func(k, v string) {
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "%s:\t%s\n", k, v)
	}
	row("Name", c.Name)
	row("ID", c.ID)
	row("State", c.State.String())
	row("Status", c.ExtendedStatus)
	row("Image", c.Image)
	row("Flavour", c.Flavour)
	row("Docker ID", c.DockerID)
	for _, e := range c.Endpoints {
		row("Network "+e.NetName, e.IPv4+" ("+e.Subnet+", gateway "+e.Gateway+")")
	}
	for _, k := range sortedKeys(c.Env) {
		row("Env "+k, c.Env[k])
	}
	for _, k := range sortedKeys(c.Metadata) {
		row("Metadata "+k, c.Metadata[k])
	}
	row("Created", c.Created.Format(time.RFC3339))
	if !c.Started.IsZero() {
		row("Started", c.Started.Format(time.RFC3339))
	}
	return tw.Flush()
}

func containerConfig(o *cmdOpts, args []string) (pop.ContainerConfig, error) {
	if len(args) != 2 {
		return pop.ContainerConfig{}, usageError{"want NAME IMAGE"}
	}
	cfg := pop.ContainerConfig{Name: args[0], Image: args[1], Flavour: o.flavour, CapAdd: o.caps}
	for _, n := range o.nets {
		name, ip, _ := strings.Cut(n, "=")
		if name == "" {
			return cfg, usageError{fmt.Sprintf("-net %q: want NAME or NAME=IPV4", n)}
		}
		cfg.Endpoints = append(cfg.Endpoints, pop.EndpointConfig{Network: name, IPv4: ip})
	}
	var err error
	if cfg.Env, err = keyValues("-env", o.env); err != nil {
		return cfg, err
	}
	if cfg.Metadata, err = keyValues("-md", o.md); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func (s *session) answer(c pop.Container) error {
	if s.json {
		return s.printJSON(c)
	}
	return s.containerTable([]pop.Container{c})
}

func cmdCreate(ctx context.Context, s *session, o *cmdOpts, args []string) error {
	cfg, err := containerConfig(o, args)
	if err != nil {
		return err
	}
	c, err := s.Create(ctx, cfg)
	if err != nil {
		return err
	}
	return s.answer(c)
}

func cmdSpawn(ctx context.Context, s *session, o *cmdOpts, args []string) error {
	cfg, err := containerConfig(o, args)
	if err != nil {
		return err
	}
	c, err := s.Create(ctx, cfg)
	if err != nil {
		return err
	}
	c, err = s.Start(ctx, pop.ByID(c.ID))
	if err != nil {
		return fmt.Errorf("%w (the container stays for its logs: popctl logs %s; popctl delete %s)", err, cfg.Name, cfg.Name)
	}
	return s.answer(c)
}

func cmdMetadata(ctx context.Context, s *session, _ *cmdOpts, args []string) error {
	if len(args) < 2 {
		return usageError{"want get TARGET, or set TARGET KEY=VALUE..."}
	}
	verb, f := args[0], target(args[1])
	var md map[string]string
	switch verb {
	case "get":
		if err := noArgs(args, 2); err != nil {
			return err
		}
		cs, err := s.Containers(ctx, f)
		if err != nil {
			return err
		}
		md = cs[0].Metadata
	case "set":
		if len(args) < 3 {
			return usageError{"set wants at least one KEY=VALUE"}
		}
		kv, err := keyValues("metadata", args[2:])
		if err != nil {
			return err
		}
		c, err := s.Metadata(ctx, f, kv)
		if err != nil {
			return err
		}
		md = c.Metadata
	default:
		return usageError{fmt.Sprintf("unknown metadata command %q (want get or set)", verb)}
	}
	if md == nil {
		md = map[string]string{}
	}
	if s.json {
		return s.printJSON(md)
	}
	for _, k := range sortedKeys(md) {
		fmt.Fprintf(s.out, "%s=%s\n", k, md[k])
	}
	return nil
}

func oneTarget(args []string) (pop.Filter, error) {
	if len(args) != 1 {
		return pop.Filter{}, usageError{"want one TARGET (NAME or id:ID)"}
	}
	return target(args[0]), nil
}

func cmdStart(ctx context.Context, s *session, _ *cmdOpts, args []string) error {
	f, err := oneTarget(args)
	if err != nil {
		return err
	}
	c, err := s.Start(ctx, f)
	if err != nil {
		return err
	}
	return s.answer(c)
}

func cmdStop(ctx context.Context, s *session, _ *cmdOpts, args []string) error {
	f, err := oneTarget(args)
	if err != nil {
		return err
	}
	c, err := s.Stop(ctx, f)
	if err != nil {
		return err
	}
	return s.answer(c)
}

func cmdDelete(ctx context.Context, s *session, _ *cmdOpts, args []string) error {
	f, err := oneTarget(args)
	if err != nil {
		return err
	}
	if err := s.Delete(ctx, f); err != nil {
		return err
	}
	if !s.json {
		fmt.Fprintf(s.out, "deleted %s\n", args[0])
	}
	return nil
}

func cmdLogs(ctx context.Context, s *session, o *cmdOpts, args []string) error {
	f, err := oneTarget(args)
	if err != nil {
		return err
	}
	text, err := s.Logs(ctx, f, o.tail)
	if err != nil {
		return err
	}
	if s.json {
		return s.printJSON(text)
	}
	_, err = io.WriteString(s.out, text)
	return err
}

func byName(args []string) (pop.Filter, error) {
	if err := noArgs(args, 1); err != nil {
		return pop.Filter{}, err
	}
	if len(args) == 1 {
		return pop.ByName(args[0]), nil
	}
	return pop.Filter{}, nil
}

func cmdImages(ctx context.Context, s *session, _ *cmdOpts, args []string) error {
	f, err := byName(args)
	if err != nil {
		return err
	}
	imgs, err := s.Images(ctx, f)
	if err != nil {
		return err
	}
	if s.json {
		return s.printJSON(imgs)
	}
	tw := newTable(s.out)
	fmt.Fprintln(tw, "TAGS\tID\tSIZE\tCREATED")
	for _, i := range imgs {
		fmt.Fprintf(tw, "%s\t%s\t%.1fMB\t%s\n", cell(strings.Join(i.Tags, ",")), cell(i.ID), float64(i.Size)/1e6, i.Created.Format(time.DateOnly))
	}
	return tw.Flush()
}

func cmdNetworks(ctx context.Context, s *session, _ *cmdOpts, args []string) error {
	f, err := byName(args)
	if err != nil {
		return err
	}
	ns, err := s.Networks(ctx, f)
	if err != nil {
		return err
	}
	if s.json {
		return s.printJSON(ns)
	}
	tw := newTable(s.out)
	fmt.Fprintln(tw, "NAME\tSUBNET\tGATEWAY\tDRIVER\tOWNED\tID")
	for _, n := range ns {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", cell(n.Name), n.Subnet, n.Gateway, n.Driver, n.Owned, cell(n.ID))
	}
	return tw.Flush()
}

func cmdFlavours(ctx context.Context, s *session, _ *cmdOpts, args []string) error {
	f, err := byName(args)
	if err != nil {
		return err
	}
	fl, err := s.Flavours(ctx, f)
	if err != nil {
		return err
	}
	if s.json {
		return s.printJSON(fl)
	}
	tw := newTable(s.out)
	fmt.Fprintln(tw, "NAME\tCPUS\tMEMORY_MB\tDISK_GB")
	limit := func(v string) string {
		if v == "0" {
			return "-"
		}
		return v
	}
	for _, x := range fl {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cell(x.Name), limit(fmt.Sprint(x.CPUs)), limit(fmt.Sprint(x.MemoryMB)), limit(fmt.Sprint(x.DiskGB)))
	}
	return tw.Flush()
}

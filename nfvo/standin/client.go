package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls a daemon's API (the CLI's side).
type Client struct {
	Base string // http://127.0.0.1:8080
	HTTP *http.Client
}

// NewClient calls the API at addr (host:port).
func NewClient(addr string) *Client {
	return &Client{Base: "http://" + addr, HTTP: &http.Client{}}
}

// Do sends a request and decodes the JSON answer into out (nil: ignored).
// An answer other than 200 is an error carrying the daemon's message.
func (c *Client) Do(ctx context.Context, method, path string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("nfvo stand-in api at %s: %w (is the daemon running?)", c.Base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s", method, path, e.Error)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// Command runs one CLI command against the daemon, writing JSON answers
// to stdout. args[0] is the command.
func (c *Client) Command(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("no command")
	}
	need := func(n int, usage string) error {
		if len(args)-1 != n {
			return fmt.Errorf("usage: nfvo-standin %s", usage)
		}
		return nil
	}
	var (
		out    json.RawMessage
		err    error
		escape = url.PathEscape
	)
	switch args[0] {
	case "health":
		if err = need(0, "health"); err == nil {
			hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			err = c.Do(hctx, http.MethodGet, "/health", nil, &out)
		}
	case "register-vim":
		if err = need(0, "register-vim < vim.json"); err == nil {
			err = c.Do(ctx, http.MethodPost, "/vims", stdin, &out)
		}
	case "deploy":
		if err = need(1, "deploy VIM-NAME < nsd.json"); err == nil {
			err = c.Do(ctx, http.MethodPost, "/ns-records?vim="+url.QueryEscape(args[1]), stdin, &out)
		}
	case "call":
		if err = need(2, "call VIM-NAME METHOD (a method without parameters besides the VIM, e.g. listServer)"); err == nil {
			err = c.Do(ctx, http.MethodPost, "/vims/"+escape(args[1])+"/"+escape(args[2]), nil, &out)
		}
	case "list":
		if err = need(0, "list"); err == nil {
			err = c.Do(ctx, http.MethodGet, "/ns-records", nil, &out)
		}
	case "show":
		if err = need(1, "show NSR-ID"); err == nil {
			err = c.Do(ctx, http.MethodGet, "/ns-records/"+escape(args[1]), nil, &out)
		}
	case "delete":
		if err = need(1, "delete NSR-ID"); err == nil {
			err = c.Do(ctx, http.MethodDelete, "/ns-records/"+escape(args[1]), nil, &out)
		}
	case "wait":
		if len(args) != 3 && len(args) != 4 {
			return fmt.Errorf("usage: nfvo-standin wait NSR-ID STATUS [TIMEOUT]")
		}
		q := url.Values{"status": {args[2]}}
		if len(args) == 4 {
			q.Set("timeout", args[3])
		}
		err = c.Do(ctx, http.MethodGet, "/ns-records/"+escape(args[1])+"/wait?"+q.Encode(), nil, &out)
	case "vnfr":
		if err = need(2, "vnfr NSR-ID VNFD-NAME"); err == nil {
			err = c.Do(ctx, http.MethodGet, "/ns-records/"+escape(args[1])+"/vnfrs/"+escape(args[2]), nil, &out)
		}
	case "logs":
		if err = need(3, "logs NSR-ID VNFD-NAME HOSTNAME"); err == nil {
			err = c.Do(ctx, http.MethodGet, "/ns-records/"+escape(args[1])+"/vnfrs/"+escape(args[2])+"/logs?host="+url.QueryEscape(args[3]), nil, &out)
		}
	default:
		return fmt.Errorf("unknown command %q (want %s)", args[0], strings.Join(Commands, ", "))
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(out))
	return err
}

// Commands are the CLI's commands besides serve.
var Commands = []string{"health", "register-vim", "call", "deploy", "list", "show", "delete", "wait", "vnfr", "logs"}

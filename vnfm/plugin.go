package vnfm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/openbaton-docker/obdocker/nfvo"
)

// vimStore keeps the VIM instances the NFVO handed over (GRANT's vduVim,
// SCALE_OUT's vimInstance) by id, and by name as a fallback, so that later
// commands, which carry only a VNFC's vim_id, can call the plugin. With a
// directory it survives a VNFM restart (files 0600: a VIM may hold TLS
// keys).
type vimStore struct {
	dir string

	mu     sync.Mutex
	byID   map[string]Obj
	byName map[string]Obj
}

var unsafeFile = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func newVimStore(dir string) (*vimStore, error) {
	s := &vimStore{dir: dir, byID: map[string]Obj{}, byName: map[string]Obj{}}
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "vims"), 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "vims", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if o, err := Decode(b); err == nil {
			s.index(o)
		}
	}
	return s, nil
}

func (s *vimStore) index(vim Obj) {
	if id := numberString(vim["id"]); id != "" {
		s.byID[id] = vim
	}
	if n := Str(vim, "name"); n != "" {
		s.byName[n] = vim
	}
}

func (s *vimStore) put(vim Obj) error {
	if vim == nil {
		return nil
	}
	vim = Clone(vim)
	s.mu.Lock()
	s.index(vim)
	s.mu.Unlock()
	id := numberString(vim["id"])
	if s.dir == "" || id == "" {
		return nil
	}
	b, err := json.Marshal(vim)
	if err != nil {
		return err
	}
	p := filepath.Join(s.dir, "vims", unsafeFile.ReplaceAllString(id, "_")+".json")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("store vim %s: %w", id, err)
	}
	return os.Rename(tmp, p)
}

// forRef finds the VIM of a VNFC instance: by its vim_id, else by the
// first of its VDU's vimInstanceName.
func (s *vimStore) forRef(r VNFCRef) (Obj, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.byID[numberString(r.Instance["vim_id"])]; ok {
		return Clone(v), nil
	}
	for _, n := range Strings(r.VDU, "vimInstanceName") {
		if v, ok := s.byName[n]; ok {
			return Clone(v), nil
		}
	}
	return nil, fmt.Errorf("VIM instance %q of VNFC %s is unknown to this VNFM (it was not granted through it)", numberString(r.Instance["vim_id"]), Str(r.Instance, "hostname"))
}

// callPlugin calls a VIM driver method the way the NFVO does (package
// nfvo's Call), with the VIM instance first. The plugin queue is the
// configured one, else the first queue named vim-drivers.<vim type>….
func (v *VNFM) callPlugin(ctx context.Context, vim Obj, method string, params ...any) (json.RawMessage, error) {
	return v.callPluginWithin(ctx, v.cfg.PluginTimeout, vim, method, params...)
}

// callPluginWithin is callPlugin bounded by timeout instead of
// PluginTimeout (an image pull may take longer than one driver call).
func (v *VNFM) callPluginWithin(ctx context.Context, timeout time.Duration, vim Obj, method string, params ...any) (json.RawMessage, error) {
	queue := v.cfg.PluginQueue
	if queue == "" {
		typ := Str(vim, "type")
		if typ == "" {
			typ = "docker"
		}
		q, err := v.plugin.FindPlugin(ctx, typ)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		queue = q
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ans, err := v.plugin.Call(ctx, queue, method, append([]any{vim}, params...)...)
	if err != nil {
		var exc *nfvo.Exception
		if errors.As(err, &exc) {
			return nil, fmt.Errorf("%s: %s", method, exc.DetailMessage)
		}
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	return ans, nil
}

// serverStatus is the part of a plugin Server the VNFM reads.
type serverStatus struct {
	ExtID          string              `json:"extId"`
	HostName       string              `json:"hostName"`
	Status         string              `json:"status"`
	ExtendedStatus string              `json:"extendedStatus"`
	IPs            map[string][]string `json:"ips"`
}

func (v *VNFM) serverCall(ctx context.Context, r VNFCRef, method string, params ...any) (serverStatus, error) {
	vim, err := v.vims.forRef(r)
	if err != nil {
		return serverStatus{}, err
	}
	ans, err := v.callPlugin(ctx, vim, method, append([]any{r.ExtID()}, params...)...)
	if err != nil {
		return serverStatus{}, err
	}
	var s serverStatus
	if err := json.Unmarshal(ans, &s); err != nil {
		return serverStatus{}, fmt.Errorf("%s: answer: %w", method, err)
	}
	return s, nil
}

func (v *VNFM) setMetadata(ctx context.Context, r VNFCRef, md map[string]string) error {
	if len(md) == 0 {
		return nil
	}
	_, err := v.serverCall(ctx, r, "setMetadata", md)
	return err
}

func (v *VNFM) startServer(ctx context.Context, r VNFCRef) (serverStatus, error) {
	return v.serverCall(ctx, r, "startServer")
}

func (v *VNFM) stopServer(ctx context.Context, r VNFCRef) (serverStatus, error) {
	return v.serverCall(ctx, r, "stopServer")
}

func (v *VNFM) serverLogs(ctx context.Context, r VNFCRef, tail int) (string, error) {
	vim, err := v.vims.forRef(r)
	if err != nil {
		return "", err
	}
	ans, err := v.callPlugin(ctx, vim, "serverLogs", r.ExtID(), tail)
	if err != nil {
		return "", err
	}
	var s string
	if err := json.Unmarshal(ans, &s); err != nil {
		return "", fmt.Errorf("serverLogs: answer: %w", err)
	}
	return s, nil
}

func (v *VNFM) listServers(ctx context.Context, vim Obj) ([]serverStatus, error) {
	ans, err := v.callPlugin(ctx, vim, "listServer")
	if err != nil {
		return nil, err
	}
	var out []serverStatus
	if err := json.Unmarshal(ans, &out); err != nil {
		return nil, fmt.Errorf("listServer: answer: %w", err)
	}
	return out, nil
}

func (s *vimStore) all() []Obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Obj, 0, len(s.byID))
	for _, k := range sortedKeys(s.byID) {
		out = append(out, Clone(s.byID[k]))
	}
	return out
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

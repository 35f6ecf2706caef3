package standin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/amqpx"
	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/nfvo/orchestrator"
)

// Run starts the stand-in and serves the API until ctx ends. The broker
// may come up after the daemon (compose starts it beside RabbitMQ): the
// start is retried until ctx ends.
func Run(ctx context.Context, cfg Config, log logrus.FieldLogger) error {
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state dir %s: %w (mount a volume writable by the daemon's user)", cfg.StateDir, err)
	}
	log.WithFields(logrus.Fields{"amqp": amqpx.Redact(cfg.AMQPURL), "management": cfg.ManagementURL,
		"state_dir": cfg.StateDir, "api": cfg.APIAddr}).Info("nfvo stand-in starting")
	var (
		n   *nfvo.NFVO
		err error
	)
	for delay := time.Second; ; delay = min(2*delay, 15*time.Second) {
		n, err = nfvo.Start(ctx, nfvo.Options{AMQPURL: cfg.AMQPURL, ManagementURL: cfg.ManagementURL,
			AdminUser: cfg.AdminUser, AdminPassword: cfg.AdminPassword,
			ManagerUser: cfg.ManagerUser, ManagerPassword: cfg.ManagerPassword,
			// The NFVO keeps the users it made: plugins still hold them.
			KeepUsers: true, CallTimeout: cfg.PluginTimeout, Logger: log})
		if err == nil {
			break
		}
		log.WithError(err).Warnf("broker not ready; retrying in %s", delay)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
	defer n.Close()
	o, err := orchestrator.Start(ctx, orchestrator.Options{NFVO: n, AMQPURL: cfg.AMQPURL,
		StateFile: filepath.Join(cfg.StateDir, "records.json"), Logger: log,
		OnEvent: func(e orchestrator.Event) {
			log.WithFields(logrus.Fields{"nsr": e.NSR, "vnfr": e.VNFR, "status": e.Status, "detail": e.Detail}).Info("event")
		}})
	if err != nil {
		return err
	}
	defer o.Close()
	ln, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	srv := &http.Server{Handler: (&api{o: o, log: log}).routes(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.WithField("records", len(o.Summaries())).Info("nfvo stand-in ready")
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("api: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

type api struct {
	o   *orchestrator.Orchestrator
	log logrus.FieldLogger
}

func (a *api) routes() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { reply(w, map[string]bool{"ok": true}, nil) })
	m.HandleFunc("POST /vims", a.registerVIM)
	m.HandleFunc("POST /vims/{name}/{method}", func(w http.ResponseWriter, r *http.Request) {
		ans, err := a.o.CallVIM(r.Context(), r.PathValue("name"), r.PathValue("method"))
		reply(w, ans, err)
	})
	m.HandleFunc("GET /ns-records", func(w http.ResponseWriter, r *http.Request) { reply(w, a.o.Summaries(), nil) })
	m.HandleFunc("POST /ns-records", a.deploy)
	m.HandleFunc("GET /ns-records/{id}", a.show)
	m.HandleFunc("DELETE /ns-records/{id}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]string{"id": r.PathValue("id")}, a.o.Delete(r.Context(), r.PathValue("id")))
	})
	m.HandleFunc("GET /ns-records/{id}/wait", a.wait)
	m.HandleFunc("GET /ns-records/{id}/vnfrs/{name}", func(w http.ResponseWriter, r *http.Request) {
		rec := a.o.VNFR(r.PathValue("id"), r.PathValue("name"))
		if rec == nil {
			reply(w, nil, errNotFound)
			return
		}
		reply(w, rec, nil)
	})
	m.HandleFunc("GET /ns-records/{id}/vnfrs/{name}/logs", func(w http.ResponseWriter, r *http.Request) {
		out, errs, err := a.o.Logs(r.Context(), r.PathValue("id"), r.PathValue("name"), r.URL.Query().Get("host"))
		reply(w, map[string][]string{"outputLog": out, "errorLog": errs}, err)
	})
	return m
}

var errNotFound = errors.New("not found")

func reply(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, errNotFound) {
			code = http.StatusNotFound
		}
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	json.NewEncoder(w).Encode(v)
}

func decodeBody(r *http.Request) (map[string]any, error) {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 4<<20))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("request body: %w", err)
	}
	return m, nil
}

func (a *api) registerVIM(w http.ResponseWriter, r *http.Request) {
	vim, err := decodeBody(r)
	if err != nil {
		reply(w, nil, err)
		return
	}
	out, err := a.o.RegisterVIM(r.Context(), vim)
	reply(w, out, err)
}

func (a *api) deploy(w http.ResponseWriter, r *http.Request) {
	nsd, err := decodeBody(r)
	if err != nil {
		reply(w, nil, err)
		return
	}
	id, err := a.o.Deploy(r.Context(), nsd, r.URL.Query().Get("vim"))
	reply(w, map[string]string{"id": id}, err)
}

func (a *api) show(w http.ResponseWriter, r *http.Request) {
	for _, s := range a.o.Summaries() {
		if s.ID == r.PathValue("id") {
			reply(w, s, nil)
			return
		}
	}
	reply(w, nil, fmt.Errorf("NSR %s: %w", r.PathValue("id"), errNotFound))
}

// wait blocks until the NSR has ?status= (DELETED once gone), for at most
// ?timeout= (default 3m).
func (a *api) wait(w http.ResponseWriter, r *http.Request) {
	timeout := 3 * time.Minute
	if s := r.URL.Query().Get("timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			reply(w, nil, fmt.Errorf("timeout %q: %w", s, err))
			return
		}
		timeout = d
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	id, status := r.PathValue("id"), r.URL.Query().Get("status")
	err := a.o.WaitStatus(ctx, id, status)
	reply(w, map[string]string{"id": id, "status": a.o.Status(id)}, err)
}

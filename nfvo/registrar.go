package nfvo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/amqpx"
)

// managerMessage is what components send to the manager queue: register
// {type, action} or unregister {type?, action, username, password}.
type managerMessage struct {
	Type     string `json:"type"`
	Action   string `json:"action"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// managerCredentials is the NFVO's Gson rendering of ManagerCredentials
// (a BaseEntity).
type managerCredentials struct {
	RabbitUsername string `json:"rabbitUsername"`
	RabbitPassword string `json:"rabbitPassword"`
	ID             string `json:"id"`
	HbVersion      int    `json:"hbVersion"`
	Shared         bool   `json:"shared"`
}

// decodeManagerMessage parses a manager message. The Java SDK sends
// single-quoted lenient JSON, which Gson accepts, so this does too.
func decodeManagerMessage(body []byte) (managerMessage, error) {
	var m managerMessage
	err := json.Unmarshal(body, &m)
	if err != nil && bytes.ContainsRune(body, '\'') {
		err = json.Unmarshal(bytes.ReplaceAll(body, []byte("'"), []byte(`"`)), &m)
	}
	return m, err
}

// handleManager is ComponentManager.enableManager: it answers a register
// with the credentials, and an unregister with nothing.
func (n *NFVO) handleManager(ctx context.Context, req *amqpx.Request) *amqpx.Reply {
	log := n.log.WithField("correlation_id", req.CorrelationID)
	msg, err := decodeManagerMessage(req.Body)
	if err != nil {
		// The NFVO's listener returns null on any error: no reply.
		log.WithError(err).Warn("undecodable manager message")
		return nil
	}
	switch strings.ToLower(msg.Action) {
	case "register":
		creds, err := n.register(ctx, msg.Type, log)
		if err != nil {
			log.WithError(err).Error("registration failed")
			return nil
		}
		body, err := json.Marshal(creds)
		if err != nil {
			log.WithError(err).Error("encode credentials")
			return nil
		}
		return &amqpx.Reply{Body: body, ContentType: "text/plain"}
	case "unregister", "deregister":
		n.unregister(ctx, msg, log)
		return nil
	default:
		log.WithField("action", msg.Action).Warn("unknown manager action")
		return nil
	}
}

func (n *NFVO) register(ctx context.Context, id string, log logrus.FieldLogger) (managerCredentials, error) {
	if id == "" {
		return managerCredentials{}, fmt.Errorf("register: no type")
	}
	log = log.WithField("plugin_id", id)
	n.mu.Lock()
	c, ok := n.creds[id]
	n.mu.Unlock()
	if ok {
		log.Info("manager already registered; returning its credentials")
		n.mu.Lock()
		n.registers[id]++
		n.notifyLocked()
		n.mu.Unlock()
		return managerCredentials{RabbitUsername: c.RabbitUsername, RabbitPassword: c.RabbitPassword, ID: uuid.NewString()}, nil
	}
	pw, err := randomPassword(16)
	if err != nil {
		return managerCredentials{}, err
	}
	if err := n.mgmt.PutUser(ctx, id, pw, "administrator"); err != nil {
		return managerCredentials{}, fmt.Errorf("register %s: %w", id, err)
	}
	n.noteUser(id)
	if err := n.mgmt.SetPermissions(ctx, id, PluginPermissions(id)); err != nil {
		return managerCredentials{}, fmt.Errorf("register %s: %w", id, err)
	}
	n.mu.Lock()
	n.creds[id] = Credentials{RabbitUsername: id, RabbitPassword: pw}
	n.registers[id]++
	n.notifyLocked()
	n.mu.Unlock()
	log.Info("plugin registered")
	return managerCredentials{RabbitUsername: id, RabbitPassword: pw, ID: uuid.NewString()}, nil
}

func (n *NFVO) unregister(ctx context.Context, msg managerMessage, log logrus.FieldLogger) {
	log = log.WithField("plugin_id", msg.Username)
	if msg.Username == "" || msg.Password == "" {
		log.Warn("unregister without username or password")
		return
	}
	n.mu.Lock()
	c, ok := n.creds[msg.Username]
	n.mu.Unlock()
	if !ok || c.RabbitPassword != msg.Password {
		log.Warn("unregister with unknown credentials; ignored")
		return
	}
	if err := n.mgmt.DeleteUser(ctx, msg.Username); err != nil {
		log.WithError(err).Error("delete plugin user")
	}
	n.mu.Lock()
	delete(n.creds, msg.Username)
	delete(n.createdUsers, msg.Username)
	n.unregisters[msg.Username]++
	n.notifyLocked()
	n.mu.Unlock()
	log.Info("plugin unregistered; user deleted")
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomPassword(n int) (string, error) {
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		if err != nil {
			return "", fmt.Errorf("random password: %w", err)
		}
		b[i] = alnum[k.Int64()]
	}
	return string(b), nil
}

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
// {type, action, vnfmManagerEndpoint?} or unregister {type?, action,
// username, password, vnfmManagerEndpoint?}. VNFMs send the endpoint, an
// object (a string fails to decode and gets no reply, as in the NFVO).
type managerMessage struct {
	Type     string        `json:"type"`
	Action   string        `json:"action"`
	Username string        `json:"username"`
	Password string        `json:"password"`
	Endpoint *VNFMEndpoint `json:"vnfmManagerEndpoint"`
}

// VNFMEndpoint is a registered VnfmManagerEndpoint (protocol spec §1.2):
// the NFVO finds a VNFD's VNFM by Type and sends commands to the queue
// Endpoint.
type VNFMEndpoint struct {
	Type         string `json:"type"`
	Endpoint     string `json:"endpoint"`
	EndpointType string `json:"endpointType"`
	Enabled      bool   `json:"enabled"`
	Active       bool   `json:"active"`
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
		creds, err := n.register(ctx, msg, log)
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

func (n *NFVO) register(ctx context.Context, msg managerMessage, log logrus.FieldLogger) (managerCredentials, error) {
	id := msg.Type
	if id == "" {
		return managerCredentials{}, fmt.Errorf("register: no type")
	}
	// Since 5.1 a VNFM's permissions are keyed by its endpoint (queue),
	// not its user name (spec §1.3).
	permKey := id
	if ep := msg.Endpoint; ep != nil {
		if ep.Type == "" || ep.Endpoint == "" {
			return managerCredentials{}, fmt.Errorf("register %s: vnfmManagerEndpoint without type or endpoint", id)
		}
		permKey = ep.Endpoint
	}
	log = log.WithField("plugin_id", id)
	n.mu.Lock()
	c, ok := n.creds[id]
	n.mu.Unlock()
	if ok {
		// As the NFVO: the old credentials, and the endpoint is not saved
		// again (commands keep going to the old queue).
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
	if err := n.mgmt.SetPermissions(ctx, id, PluginPermissions(permKey)); err != nil {
		return managerCredentials{}, fmt.Errorf("register %s: %w", id, err)
	}
	n.mu.Lock()
	n.creds[id] = Credentials{RabbitUsername: id, RabbitPassword: pw}
	if msg.Endpoint != nil {
		n.endpoints = append(n.endpoints, *msg.Endpoint)
	}
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
	if msg.Endpoint != nil {
		n.forgetEndpointLocked(msg.Endpoint.Type)
	}
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

// forgetEndpointLocked deletes the first endpoint of a type, as the NFVO's
// unregister does.
func (n *NFVO) forgetEndpointLocked(typ string) {
	for i, e := range n.endpoints {
		if e.Type == typ {
			n.endpoints = append(n.endpoints[:i:i], n.endpoints[i+1:]...)
			return
		}
	}
}

// VNFMByType finds a registered VNFM endpoint by type, the VNFD's
// "endpoint" field (VnfmRegister.getVnfm: the first whose type matches).
func (n *NFVO) VNFMByType(typ string) (VNFMEndpoint, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, e := range n.endpoints {
		if e.Type == typ {
			return e, true
		}
	}
	return VNFMEndpoint{}, false
}

package vnfm

import (
	"context"

	"github.com/sirupsen/logrus"
)

// dispatch runs one NFVO command and returns its answer; nil answers JSON
// null. Only actions with an NFVO task bean are ever answered (spec §3.2).
func (v *VNFM) dispatch(ctx context.Context, msg Obj) Obj {
	action := Str(msg, "action")
	log := v.log.WithField("action", action)
	if r := RecordOf(msg); r != nil {
		log = log.WithFields(logrus.Fields{"vnfr": Str(r, "name"), "vnfr_id": numberString(r["id"])})
	}
	log.Info("command received")
	var reply Obj
	switch action {
	case ActionInstantiate:
		reply = v.instantiate(ctx, msg, log)
	case ActionModify:
		reply = v.modify(ctx, msg, log)
	case ActionStart:
		reply = v.start(ctx, msg, log)
	case ActionStop:
		reply = v.stop(ctx, msg, log)
	case ActionReleaseResources:
		reply = v.release(ctx, msg, log)
	case ActionLogRequest:
		reply = v.logRequest(ctx, msg, log)
	case ActionScaleOut:
		reply = v.scaleOut(ctx, msg, log)
	case ActionHeal:
		reply = v.heal(ctx, msg, log)
	case ActionResume:
		reply = v.resume(ctx, msg, log)
	case ActionUpdate:
		// Nothing to run (images carry no scripts): save as is.
		if r := RecordOf(msg); r != nil {
			reply = genericMessage(ActionUpdate, r)
		}
	case ActionError:
		// The NFVO tells us a task failed; the answer is null (spec §2.1).
		log.WithField("message", Str(msg, "message")).Error("the NFVO reports an error for this VNFR")
	case ActionScaleIn, ActionExecute:
		// No result (spec §2.1 rule 3): the NFVO releases a scaled-in VNFC
		// itself, and images run no scripts.
		log.Info("nothing to do; answering null")
	default:
		log.Warn("unsupported action; answering null")
	}
	if reply != nil {
		if Str(reply, "action") == ActionError {
			log.WithField("error", Str(Sub(reply, "exception"), "detailMessage")).Error("command failed; answering ERROR")
		} else {
			log.WithField("reply", Str(reply, "action")).Info("command done")
		}
	}
	return reply
}

// failed is the ERROR answer for a command on vnfr.
func failed(vnfr Obj, err error) Obj {
	return errorMessage(vnfr, Str(vnfr, "parent_ns_id"), err.Error())
}
